"""The demo city: a synthetic Xuchang (许昌市) to try Xuncha with.

Everything here is invented. Enterprises, targets, inspectors, complaints,
violations and two years of inspections are drawn from one seeded random
stream, so the same seed and day always give the same city. ``generate``
builds the records without a database; ``load_demo`` writes them into an
empty one in a single transaction and adds the demo logins.

The stream is ``random.Random``: fine for made-up data, and deliberately not
the audited roster draw, which hashes its own numbers.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
import math
import random
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from checklists.identifiers import uscc_check_char, vin_check_digit
from inspection import audit
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError
from inspection.users import create_user, hash_password

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "xuncha-demo"
DEFAULT_SEED = 20261203
HISTORY_DAYS = 730
ENTERPRISE_COUNT = 300
WHITELIST_SHARE = 0.08
LOCAL = ZoneInfo("Asia/Shanghai")

NOTICE = (
    "【合成数据，非真实企业】演示城市“许昌市”中的企业、检查对象、检查员、投诉、违法行为"
    "和检查记录均由程序按随机种子生成，仅供演示和测试。统一社会信用代码、号牌和车辆识别代号"
    "只保证格式和校验位有效，与任何真实单位、车辆或个人无关。"
)


# --- the city ----------------------------------------------------------------


class District(msgspec.Struct, frozen=True):
    """One district or county of Xuchang, with where its targets scatter."""

    name: str
    short: str
    # Administrative division code used in USCC positions 3-8.
    division: str
    latitude: float
    longitude: float
    # Standard deviation of target positions around the centre, in degrees.
    spread: float
    # Share of the city's enterprises registered here.
    share: float
    # City districts name their firms "许昌…", counties by their own name.
    urban: bool
    roads: tuple[str, ...]


# 东城区 and the 城乡一体化示范区 are functional zones without a division
# code of their own; firms there commonly carry the city's 411000.
# One district per row reads better than one field per line.
# fmt: off
DISTRICTS: tuple[District, ...] = (
    District("魏都区", "魏都", "411002", 34.027, 113.823, 0.015, 0.18, True,
             ("七一路", "八一路", "文峰路", "劳动路", "建安大道", "许继大道", "学院路")),
    District("建安区", "建安", "411003", 34.095, 113.805, 0.035, 0.13, True,
             ("许由路", "新元大道", "桃园路", "永昌大道", "魏文路")),
    District("东城区", "东城", "411000", 34.040, 113.905, 0.015, 0.08, True,
             ("魏武大道", "永兴路", "瑞祥路", "长兴路", "中原路")),
    District("示范区", "示范区", "411000", 33.995, 113.860, 0.015, 0.06, True,
             ("芙蓉大道", "尚德路", "明礼街", "昌盛路")),
    District("禹州市", "禹州", "411081", 34.140, 113.488, 0.035, 0.17, False,
             ("药城路", "禹王大道", "颍川路", "滨河路", "钧台路")),
    District("长葛市", "长葛", "411082", 34.218, 113.768, 0.030, 0.14, False,
             ("钟繇大道", "葛天大道", "长社路", "人民路", "新建路")),
    District("鄢陵县", "鄢陵", "411024", 34.103, 114.177, 0.030, 0.12, False,
             ("花都大道", "金汇大道", "迎宾路", "人民路")),
    District("襄城县", "襄城", "411025", 33.851, 113.482, 0.030, 0.12, False,
             ("紫云大道", "八七路", "首山路", "襄城大道", "文昌路")),
)
# fmt: on
_DISTRICT = {d.name: d for d in DISTRICTS}


class _Profile(msgspec.Struct, frozen=True):
    """How an enterprise behaves: the hidden truth that scoring should find."""

    name: str
    share: float
    # Typical days between routine inspections of one of its targets.
    interval_days: int
    # Chance that a routine inspection finds a serious problem.
    fail: float
    # Chance that a passed inspection still records a minor finding.
    minor: float
    complaints_per_year: float
    substantiated: float


PROFILES: tuple[_Profile, ...] = (
    _Profile("exemplary", 0.15, 330, 0.01, 0.03, 0.06, 0.05),
    _Profile("clean", 0.55, 170, 0.05, 0.10, 0.20, 0.18),
    _Profile("average", 0.20, 95, 0.14, 0.18, 0.70, 0.35),
    _Profile("bad", 0.10, 45, 0.30, 0.22, 1.60, 0.55),
)
_PROFILE = {p.name: p for p in PROFILES}

SECTORS = {"construction": 0.30, "catering": 0.43, "logistics": 0.27}
_HAZARD_FAIL = {"low": 0.8, "medium": 1.0, "high": 1.3}
_HAZARD_INTERVAL = {"low": 1.2, "medium": 1.0, "high": 0.8}
_COMPLAINT_RATE = {"construction_site": 1.0, "restaurant": 1.0, "diesel_truck": 0.15}


def _words(text: str) -> tuple[str, ...]:
    """A word pool written as one space-separated string."""
    return tuple(text.split())


_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高郭马罗梁宋郑谢韩唐冯于董程曹袁邓许彭吕苏卢蒋蔡贾丁魏薛叶"
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建国红志文辉鹏飞晓宇"
    "浩凯鑫帅洁玲婷雪林斌亮峰波宁琳颖冬梅海新振雷永春"
)
_TRADE_WORDS = _words(
    "鑫源 宏达 恒泰 中原 瑞丰 德润 华宇 金盛 博远 豫通 天成 永安 建兴 "
    "嘉禾 润泽 广厦 诚信 聚力 安泰 昌盛 万通 通达 顺达 远航 腾飞 兴旺 "
    "盛世 锦程 宏图 众诚 汇丰 恒通 华安 四通 正阳 大地 金桥 新兴 弘毅 "
    "明德 卓越 蓝天 绿源 瑞祥 莲城 魏武 钧瓷 葛天 首山 花都 九州 春秋 "
    "同创 益民 鼎盛"
)
_FOOD_WORDS = _words(
    "老许 胖哥 鸿运 好运来 老街 福满楼 聚贤 一品 御膳 小厨 刘记 王记 张记 "
    "李记 老马家 兴隆 三国 曹府 豫香 家和 味之源 东来顺 宴宾 百味 乡里乡亲 "
    "春来 金鼎 食尚 开心 老地方"
)
_FOOD_KINDS = (
    ("烩面馆", "烩面"),
    ("饭店", "家常菜"),
    ("餐馆", "家常菜"),
    ("酒楼", "豫菜"),
    ("火锅店", "火锅"),
    ("烧烤店", "烧烤"),
    ("牛肉汤馆", "汤馆"),
    ("胡辣汤店", "早餐"),
    ("大酒店", "宴席"),
    ("家常菜馆", "家常菜"),
)
_BUILDER_SUFFIXES = (
    "建筑工程有限公司",
    "建设工程有限公司",
    "建设集团有限公司",
    "市政工程有限公司",
    "建筑安装工程有限公司",
    "路桥工程有限公司",
)
_HAULIER_SUFFIXES = ("物流有限公司", "运输有限公司", "货运有限公司", "汽车运输有限公司")
_ESTATES = _words(
    "御景 锦绣 学府 滨河 春晓 翡翠 天悦 和园 芙蓉 清潩 颍河 紫云 鹤鸣 "
    "瑞园 金域 未来城 悦府 书香 尚城 中央公园"
)
_PROJECTS = (
    ("花园住宅小区", "住宅"),
    ("商业综合体", "商业"),
    ("安置房项目", "住宅"),
    ("中学新建工程", "公共建筑"),
    ("道路改造工程", "市政"),
    ("标准化厂房", "工业"),
    ("医院门诊楼", "公共建筑"),
    ("雨污分流改造工程", "市政"),
)
_STAGES = (("土石方", 0.25), ("主体施工", 0.45), ("装饰装修", 0.2), ("收尾", 0.1))
_PURIFIERS = ("静电式油烟净化器", "运水烟罩", "复合式油烟净化器")

# GB 18483-2001 Table 1: size class by reference burners (<3 small, <6 medium).
_SIZE_HAZARD = {"small": "low", "medium": "medium", "large": "high"}

# Heavy diesel stages by model year (国IV 2013, 国V 2017, 国VI 2021 nationally).
_STAGE_YEARS = {
    "国III": (2008, 2012),
    "国IV": (2013, 2016),
    "国V": (2017, 2020),
    "国VI": (2021, 2026),
}
_STAGE_WEIGHTS = {"国III": 0.08, "国IV": 0.17, "国V": 0.40, "国VI": 0.35}
_STAGE_HAZARD = {"国III": "high", "国IV": "high", "国V": "medium", "国VI": "low"}
# ISO 3779 model-year codes (position 10).
_VIN_YEAR = dict(zip(range(2008, 2027), "89ABCDEFGHJKLMNPRST", strict=True))
_VIN_MAKERS = (("LFW", "解放"), ("LZZ", "重汽"), ("LZG", "陕汽"), ("LGA", "东风"))
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_VEHICLES = (
    ("重型半挂牵引车", 0.35),
    ("重型自卸货车", 0.25),
    ("重型厢式货车", 0.2),
    ("中型厢式货车", 0.1),
    ("混凝土搅拌运输车", 0.1),
)

_FINDINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "construction_site": {
        "critical": (
            "土方作业未采取湿法作业，扬尘污染严重",
            "重污染天气预警期间违规土方作业",
            "扬尘在线监测设备擅自停运",
        ),
        "serious": (
            "裸露土方未按要求覆盖",
            "出入车辆未冲洗，带泥上路",
            "施工现场围挡不连续",
            "主要道路未硬化，扬尘明显",
            "渣土运输车辆未密闭",
        ),
        "minor": ("围挡局部破损", "洒水保洁不及时", "物料堆放覆盖不完整"),
        "administrative": ("扬尘防治公示牌信息不全", "未建立扬尘防治台账"),
    },
    "restaurant": {
        "critical": ("未安装油烟净化设施，油烟直排", "油烟净化设施拆除闲置"),
        "serious": (
            "油烟净化设施未正常运行",
            "油烟净化设施未定期清洗，去除效率不达标",
            "油烟排放浓度超标",
        ),
        "minor": ("油烟净化设施清洗不及时", "排烟管道局部油污"),
        "administrative": ("未建立油烟净化设施运维台账",),
    },
    "diesel_truck": {
        "critical": ("拆除或篡改污染控制装置（DPF/SCR）", "未添加车用尿素，SCR系统失效"),
        "serious": ("自由加速烟度检测不合格", "OBD检测发现排放相关故障未修复"),
        "minor": ("OBD故障指示灯点亮", "车用尿素液位偏低"),
        "administrative": ("未建立车辆排放维护台账",),
    },
}
_FINE_RANGE = {  # yuan, by kind and severity, in thousands
    "construction_site": {"critical": (50, 100), "serious": (10, 50)},
    "restaurant": {"critical": (20, 50), "serious": (5, 20)},
    "diesel_truck": {"critical": (5, 10), "serious": (1, 5)},
}
_COMPLAINTS = {
    "construction_site": (
        "反映工地夜间施工噪声扰民",
        "反映工地扬尘污染严重",
        "反映渣土车带泥上路",
        "反映工地裸土未覆盖",
    ),
    "restaurant": (
        "反映饭店油烟扰民",
        "反映餐馆油烟直排",
        "反映烧烤店露天烧烤冒烟",
        "反映饭店排烟口正对居民窗户",
    ),
    "diesel_truck": ("反映柴油货车冒黑烟", "反映货车尾气刺鼻"),
}
_CHANNELS = {"12369": 0.5, "12345": 0.4, "来信": 0.1}
_CONFLICT_REASONS = (
    "配偶在该企业任职",
    "近亲属为该企业股东",
    "曾在该企业任职，离职未满三年",
    "与企业负责人系近亲属，本人申请回避",
)
_WHITELIST_REASONS = (
    "正面清单：两年内无违法记录",
    "正面清单：两年内无违法记录，治污设施运行规范",
    "标杆企业：两年内无违法记录，无有效投诉",
)


# --- records -----------------------------------------------------------------


class DemoEnterprise(msgspec.Struct, frozen=True):
    uscc: str
    name: str
    district: str
    address: str
    contact: str
    sector: str
    # The generator's hidden truth: exemplary, clean, average or bad.
    behaviour: str


class DemoTarget(msgspec.Struct, frozen=True):
    id: str
    enterprise_uscc: str
    kind: str
    name: str
    district: str
    address: str
    latitude: float
    longitude: float
    hazard: str
    attributes: dict[str, Any]
    crs: str = "wgs84"


class DemoInspector(msgspec.Struct, frozen=True):
    id: str
    name: str
    team: str
    district: str
    active: bool
    # 执法证号: the schema has no column for it yet, so it stays here.
    badge: str


class DemoConflict(msgspec.Struct, frozen=True):
    inspector_id: str
    enterprise_uscc: str
    reason: str


class DemoWhitelistEntry(msgspec.Struct, frozen=True):
    enterprise_uscc: str
    valid_from: date
    valid_to: date
    reason: str
    revoked_on: date | None = None
    revoked_reason: str | None = None


class DemoComplaint(msgspec.Struct, frozen=True):
    id: str
    target_id: str
    received_at: str
    channel: str
    summary: str
    status: str
    checked_on: date | None


class DemoViolation(msgspec.Struct, frozen=True):
    id: str
    target_id: str
    found_on: date
    severity: str
    description: str
    penalty: str
    inspection_id: str


class DemoInspection(msgspec.Struct, frozen=True):
    id: str
    target_id: str
    inspected_at: str
    inspector_a: str
    inspector_b: str
    verdict: str
    remark: str
    # routine, reinspection or complaint; kept for tools, written into remark.
    reason: str
    body_sha256: str


class DemoUser(msgspec.Struct, frozen=True):
    username: str
    role: str
    description: str
    enterprise_uscc: str | None = None
    inspector_id: str | None = None


class DemoCity(msgspec.Struct, frozen=True):
    """Every record of one generated city, ready to be written or inspected."""

    today: date
    seed: int
    enterprises: list[DemoEnterprise]
    targets: list[DemoTarget]
    inspectors: list[DemoInspector]
    conflicts: list[DemoConflict]
    whitelist: list[DemoWhitelistEntry]
    complaints: list[DemoComplaint]
    violations: list[DemoViolation]
    inspections: list[DemoInspection]
    users: list[DemoUser]


class DemoSummary(msgspec.Struct, frozen=True):
    """What ``load_demo`` wrote, the logins to try, and the synthetic-data notice."""

    enterprises: int
    targets: dict[str, int]
    inspectors: int
    complaints: int
    violations: int
    inspections: int
    whitelisted: int
    logins: list[tuple[str, str, str]]
    notice: str = NOTICE


# --- small helpers -----------------------------------------------------------


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character for the 8-character body of an organization code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    rest = 11 - total % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


def _utc(day: date, minute_of_day: int) -> str:
    """A local Xuchang time on ``day`` as the database's UTC string."""
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), LOCAL)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _workday(day: date) -> date:
    """Move a weekend visit back to the Friday before it."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _body_sha256(row: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(row).encode("utf-8")).hexdigest()


# --- the generator -----------------------------------------------------------


class _Visit(msgspec.Struct, order=True, frozen=True):
    day: date
    order: int
    reason: str
    complaint: DemoComplaint | None = None
    previous_pair: tuple[str, str] | None = None


class _CityBuilder:
    """Draws one city from one seeded stream; call ``build`` once."""

    def __init__(self, today: date, seed: int) -> None:
        self.today = today
        self.seed = seed
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.rng = random.Random(seed)
        self.counters: Counter[str] = Counter()
        self.taken: set[str] = set()
        self.enterprises: list[DemoEnterprise] = []
        self.targets: list[DemoTarget] = []
        self.inspectors: list[DemoInspector] = []
        self.conflicts: list[DemoConflict] = []
        self.complaints: list[DemoComplaint] = []
        self.violations: list[DemoViolation] = []
        self.inspections: list[DemoInspection] = []

    def build(self) -> DemoCity:
        self._make_inspectors()
        self._make_enterprises()
        self._make_conflicts()
        for target in self.targets:
            self._make_history(target)
        self.inspections.sort(key=lambda i: (i.inspected_at, i.id))
        self.complaints.sort(key=lambda c: (c.received_at, c.id))
        self.violations.sort(key=lambda v: (v.found_on, v.id))
        whitelist = self._make_whitelist()
        return DemoCity(
            self.today,
            self.seed,
            self.enterprises,
            self.targets,
            self.inspectors,
            self.conflicts,
            whitelist,
            self.complaints,
            self.violations,
            self.inspections,
            self._make_users(whitelist),
        )

    def _next(self, prefix: str, width: int = 4) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.counters[prefix]:0{width}d}"

    def _unique(self, make: Callable[[], str]) -> str:
        """Call ``make`` until it gives a value not handed out before."""
        while (value := make()) in self.taken:
            pass
        self.taken.add(value)
        return value

    def _person(self) -> str:
        given = "".join(self.rng.choices(_GIVEN, k=self.rng.choice((1, 2, 2))))
        return self.rng.choice(_SURNAMES) + given

    def _place(self, district: District) -> tuple[str, float, float]:
        road = self.rng.choice(district.roads)
        address = f"许昌市{district.name}{road}{self.rng.randint(1, 1899)}号"
        lat = self.rng.gauss(district.latitude, district.spread)
        lon = self.rng.gauss(district.longitude, district.spread)
        return address, round(lat, 6), round(lon, 6)

    # inspectors

    def _make_inspectors(self) -> None:
        """Four inspectors per district team; two later ones have left the service."""
        inactive = {"XC-014", "XC-027"}
        for district in DISTRICTS:
            team = f"{district.short}执法中队"
            for _ in range(4):
                ident = self._next("XC", 3)
                badge = f"{district.division}{self.rng.randint(2016, 2024)}{ident[-3:]}"
                self.inspectors.append(
                    DemoInspector(
                        ident,
                        self._unique(self._person),
                        team,
                        district.name,
                        ident not in inactive,
                        badge,
                    )
                )

    def _team(self, district: str, uscc: str, avoid: tuple[str, ...] = ()) -> list[str]:
        """Active inspectors who may visit this enterprise, the district's own first.

        Two are needed; when the district team is too small once conflicts and
        the failed visit's pair are left out, the rest of the city fills in.
        """
        barred = {c.inspector_id for c in self.conflicts if c.enterprise_uscc == uscc}
        barred.update(avoid)
        allowed = [i for i in self.inspectors if i.active and i.id not in barred]
        team = [i.id for i in allowed if i.district == district]
        return team if len(team) >= 2 else [i.id for i in allowed]

    def _make_conflicts(self) -> None:
        for _ in range(6):
            enterprise = self.rng.choice(self.enterprises)
            local = [i for i in self.inspectors if i.district == enterprise.district]
            inspector = self.rng.choice(local)
            if any(
                c.inspector_id == inspector.id and c.enterprise_uscc == enterprise.uscc
                for c in self.conflicts
            ):
                continue
            self.conflicts.append(
                DemoConflict(inspector.id, enterprise.uscc, self.rng.choice(_CONFLICT_REASONS))
            )

    # enterprises

    def _make_enterprises(self) -> None:
        districts = {d.name: d.share for d in DISTRICTS}
        profiles = {p.name: p.share for p in PROFILES}
        for _ in range(ENTERPRISE_COUNT):
            district = _DISTRICT[_pick(self.rng, districts)]
            sector = _pick(self.rng, SECTORS)
            enterprise = DemoEnterprise(
                self._uscc(district),
                self._firm_name(district, sector),
                district.name,
                self._place(district)[0],
                self._person(),
                sector,
                _pick(self.rng, profiles),
            )
            self.enterprises.append(enterprise)
            self._make_targets(enterprise)

    def _uscc(self, district: District) -> str:
        """91 (enterprise), division code, GB 11714 organization code, GB 32100 check."""

        def make() -> str:
            if self.rng.random() < 0.6:
                tail = "".join(self.rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=5))
                body = "MA4" + tail
            else:
                body = self.rng.choice("0567") + "".join(self.rng.choices("0123456789", k=7))
            first17 = f"91{district.division}{body}{org_code_check_char(body)}"
            return first17 + uscc_check_char(first17)

        return self._unique(make)

    def _firm_name(self, district: District, sector: str) -> str:
        return self._unique(lambda: self._draft_name(district, sector))

    def _draft_name(self, district: District, sector: str) -> str:
        word = self.rng.choice(_TRADE_WORDS)
        place = "许昌" if district.urban else district.name
        if sector == "construction":
            return place + word + self.rng.choice(_BUILDER_SUFFIXES)
        if sector == "logistics":
            return place + word + self.rng.choice(_HAULIER_SUFFIXES)
        shop = self.rng.choice(_FOOD_KINDS)[0]
        return district.name + self.rng.choice(_FOOD_WORDS) + shop

    # targets

    def _make_targets(self, enterprise: DemoEnterprise) -> None:
        if enterprise.sector == "construction":
            for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3))):
                self.targets.append(self._site(enterprise))
        elif enterprise.sector == "catering":
            branches = self.rng.choice((1,) * 8 + (2, 3))
            for branch in range(branches):
                self.targets.append(self._restaurant(enterprise, branch, branches))
        else:
            for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))):
                self.targets.append(self._truck(enterprise))

    def _site(self, enterprise: DemoEnterprise) -> DemoTarget:
        home = _DISTRICT[enterprise.district]
        district = home if self.rng.random() < 0.8 else self.rng.choice(DISTRICTS)
        address, lat, lon = self._place(district)
        area = int(min(150_000, max(800, self.rng.lognormvariate(math.log(8000), 0.9))))
        area = round(area, -1)
        stage = _pick(self.rng, dict(_STAGES))
        project, use = self.rng.choice(_PROJECTS)
        name = self._unique(
            lambda: (
                district.short
                + self.rng.choice(_ESTATES)
                + project
                + self.rng.choice(("", "", "（一期）", "（二期）"))
            )
        )
        hazard = (
            "high" if area >= 20_000 or stage == "土石方" else ("medium" if area >= 5000 else "low")
        )
        attributes = {
            "area_m2": area,
            "project_type": use,
            "stage": stage,
            "online_monitoring": area >= 5000,
        }
        return DemoTarget(
            self._next("CS"),
            enterprise.uscc,
            "construction_site",
            name,
            district.name,
            address,
            lat,
            lon,
            hazard,
            attributes,
        )

    def _restaurant(self, enterprise: DemoEnterprise, branch: int, branches: int) -> DemoTarget:
        district = _DISTRICT[enterprise.district]
        address, lat, lon = self._place(district)
        burners = self.rng.choices(range(1, 9), weights=(20, 25, 20, 12, 8, 7, 4, 4))[0]
        size = "small" if burners < 3 else "medium" if burners < 6 else "large"
        cuisine = next((c for shop, c in _FOOD_KINDS if enterprise.name.endswith(shop)), "家常菜")
        name = (
            enterprise.name
            if branches == 1
            else (f"{enterprise.name}（{self.rng.choice(district.roads)}{'一二三'[branch]}店）")
        )
        attributes = {
            "reference_burners": burners,
            "size_class": size,
            "cuisine": cuisine,
            "purifier": self.rng.choice(_PURIFIERS),
        }
        return DemoTarget(
            self._next("RS"),
            enterprise.uscc,
            "restaurant",
            name,
            district.name,
            address,
            lat,
            lon,
            _SIZE_HAZARD[size],
            attributes,
        )

    def _truck(self, enterprise: DemoEnterprise) -> DemoTarget:
        district = _DISTRICT[enterprise.district]
        _, lat, lon = self._place(district)
        stage = _pick(self.rng, _STAGE_WEIGHTS)
        low, high = _STAGE_YEARS[stage]
        year = self.rng.randint(low, max(low, min(high, self.today.year)))
        vehicle = _pick(self.rng, dict(_VEHICLES))
        maker, brand = self.rng.choice(_VIN_MAKERS)
        plate = self._unique(self._plate)
        attributes: dict[str, Any] = {
            "plate": plate,
            "vin": self._unique(lambda: self._vin(maker, year)),
            "emission_stage": stage,
            "model_year": year,
            "vehicle_type": vehicle,
            "brand": brand,
            "fuel": "柴油",
        }
        if vehicle == "重型半挂牵引车":
            attributes["trailer_plate"] = self._unique(self._trailer_plate)
        return DemoTarget(
            self._next("DT"),
            enterprise.uscc,
            "diesel_truck",
            f"{plate}（{vehicle}）",
            district.name,
            enterprise.address,
            lat,
            lon,
            _STAGE_HAZARD[stage],
            attributes,
        )

    def _plate(self) -> str:
        """An ordinary yellow 豫K plate: five characters, at most two of them letters."""
        chars = self.rng.choices("0123456789", k=5)
        for _ in range(self.rng.choices((0, 1, 2), weights=(4, 4, 2))[0]):
            chars[self.rng.randrange(5)] = self.rng.choice(_PLATE_LETTERS)
        return "豫K" + "".join(chars)

    def _trailer_plate(self) -> str:
        chars = self.rng.choices("0123456789", k=4)
        if self.rng.random() < 0.4:
            chars[0] = self.rng.choice(_PLATE_LETTERS)
        return "豫K" + "".join(chars) + "挂"

    def _vin(self, maker: str, year: int) -> str:
        descriptor = "".join(self.rng.choices(_VIN_CHARS, k=5))
        plant = self.rng.choice("123ABCDK")
        serial = f"{self.rng.randrange(1_000_000):06d}"
        draft = f"{maker}{descriptor}0{_VIN_YEAR[year]}{plant}{serial}"
        return draft[:8] + vin_check_digit(draft) + draft[9:]

    # history

    def _make_history(self, target: DemoTarget) -> None:
        """Complaints and inspections of one target over the last two years."""
        enterprise = self._enterprise(target.enterprise_uscc)
        profile = _PROFILE[enterprise.behaviour]
        visits: list[_Visit] = []
        for complaint in self._target_complaints(target, profile):
            if complaint.checked_on is not None:
                visits.append(self._visit(complaint.checked_on, "complaint", complaint))
        interval = profile.interval_days * _HAZARD_INTERVAL[target.hazard]
        day = self.start + timedelta(days=self.rng.randint(0, int(interval)))
        while day < self.today:
            visits.append(self._visit(_workday(day), "routine"))
            day += timedelta(days=round(interval * self.rng.uniform(0.7, 1.3)))

        heapq.heapify(visits)
        while visits:
            visit = heapq.heappop(visits)
            again = self._inspect(target, enterprise, profile, visit)
            if again is not None:
                heapq.heappush(visits, again)

    def _visit(
        self,
        day: date,
        reason: str,
        complaint: DemoComplaint | None = None,
        pair: tuple[str, str] | None = None,
    ) -> _Visit:
        self.counters["visit"] += 1
        return _Visit(day, self.counters["visit"], reason, complaint, pair)

    def _enterprise(self, uscc: str) -> DemoEnterprise:
        return next(e for e in self.enterprises if e.uscc == uscc)

    def _target_complaints(self, target: DemoTarget, profile: _Profile) -> list[DemoComplaint]:
        rate = profile.complaints_per_year * _COMPLAINT_RATE[target.kind] / 365
        found = []
        day = self.start + timedelta(days=self.rng.expovariate(rate))
        while day < self.today:
            found.append(self._complaint(target, profile, day))
            day += timedelta(days=max(1.0, self.rng.expovariate(rate)))
        self.complaints.extend(found)
        return found

    def _complaint(self, target: DemoTarget, profile: _Profile, day: date) -> DemoComplaint:
        """One complaint; recent ones still await their visit."""
        age = (self.today - day).days
        pending = age <= 14 or (age <= 28 and self.rng.random() < 0.3)
        if pending:
            status, checked = "pending", None
        else:
            checked = _workday(day + timedelta(days=self.rng.randint(1, 7)))
            checked = max(checked, day)
            real = self.rng.random() < profile.substantiated
            status = "substantiated" if real else "unsubstantiated"
        minute = self.rng.randint(7 * 60, 22 * 60)
        return DemoComplaint(
            self._next("CP", 5),
            target.id,
            _utc(day, minute),
            _pick(self.rng, _CHANNELS),
            self.rng.choice(_COMPLAINTS[target.kind]),
            status,
            checked,
        )

    def _inspect(
        self, target: DemoTarget, enterprise: DemoEnterprise, profile: _Profile, visit: _Visit
    ) -> _Visit | None:
        """Record one visit; a failure books a re-inspection by two other inspectors."""
        pair = self._pair(target, enterprise, visit.previous_pair)
        severity = self._finding(target, profile, visit)
        verdict = "fail" if severity in ("serious", "critical") else "pass"
        finding = self.rng.choice(_FINDINGS[target.kind][severity]) if severity else ""
        inspection = self._inspection(target, visit, pair, verdict, finding)
        self.inspections.append(inspection)
        if severity:
            penalty = self._penalty(target.kind, severity)
            self.violations.append(
                DemoViolation(
                    self._next("VL", 5),
                    target.id,
                    visit.day,
                    severity,
                    finding,
                    penalty,
                    inspection.id,
                )
            )

        again = visit.day + timedelta(days=self.rng.randint(7, 30))
        if verdict == "fail" and again < self.today:
            return self._visit(_workday(again), "reinspection", pair=pair)
        return None

    def _inspection(
        self, target: DemoTarget, visit: _Visit, pair: tuple[str, str], verdict: str, finding: str
    ) -> DemoInspection:
        """An imported history row, its body digest taken over its canonical JSON."""
        remark = self._remark(visit, verdict, finding)
        inspected_at = _utc(visit.day, self.rng.randint(8 * 60 + 30, 17 * 60 + 30))
        row: dict[str, Any] = {
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "target_id": target.id,
            "inspected_at": inspected_at,
            "inspector_a": pair[0],
            "inspector_b": pair[1],
            "verdict": verdict,
            "remark": remark,
            "answers": {},
            "source": "import",
        }
        return DemoInspection(
            row["id"],
            target.id,
            inspected_at,
            pair[0],
            pair[1],
            verdict,
            remark,
            visit.reason,
            _body_sha256(row),
        )

    def _finding(self, target: DemoTarget, profile: _Profile, visit: _Visit) -> str:
        """The worst severity found on this visit, or '' when nothing was."""
        fail = profile.fail * _HAZARD_FAIL[target.hazard]
        if visit.reason == "reinspection":
            fail *= 0.35
        elif visit.complaint is not None:
            fail = 0.55 if visit.complaint.status == "substantiated" else fail * 0.5
        draw = self.rng.random()
        if draw < fail:
            return "critical" if self.rng.random() < 0.15 + fail / 3 else "serious"
        if draw < fail + profile.minor * (1 - fail):
            return "minor" if self.rng.random() < 0.7 else "administrative"
        return ""

    def _remark(self, visit: _Visit, verdict: str, finding: str) -> str:
        prefix = {"routine": "日常检查", "reinspection": "复查"}.get(visit.reason, "投诉核查")
        if visit.complaint is not None:
            prefix += f"（{visit.complaint.id}）"
        if verdict == "fail":
            return f"{prefix}：{finding}，已责令整改并立案处理"
        if finding:
            return f"{prefix}：{finding}，一般问题，现场责令改正"
        return f"{prefix}：未发现环境违法问题"

    def _penalty(self, kind: str, severity: str) -> str:
        if severity not in _FINE_RANGE[kind]:
            return "责令改正"
        low, high = _FINE_RANGE[kind][severity]
        fine = self.rng.randint(low, high) * 1000
        stop = "责令停工整治，" if kind == "construction_site" and severity == "critical" else ""
        return f"{stop}罚款 {fine} 元，责令改正"

    def _pair(
        self, target: DemoTarget, enterprise: DemoEnterprise, previous: tuple[str, str] | None
    ) -> tuple[str, str]:
        """Two inspectors; a re-inspection gets neither member of the failed visit."""
        team = self._team(target.district, enterprise.uscc, previous or ())
        a, b = self.rng.sample(team, 2)
        return a, b

    # whitelist and users

    def _make_whitelist(self) -> list[DemoWhitelistEntry]:
        """About 8 % of enterprises, all with two clean years; the best behaved first."""
        owner = {t.id: t.enterprise_uscc for t in self.targets}
        blemished = {owner[v.target_id] for v in self.violations}
        blemished |= {owner[c.target_id] for c in self.complaints if c.status == "substantiated"}
        rank = {p.name: n for n, p in enumerate(PROFILES)}
        clean = [e for e in self.enterprises if e.uscc not in blemished]
        clean.sort(key=lambda e: (rank[e.behaviour], self.rng.random()))
        entries = []
        for enterprise in clean[: round(WHITELIST_SHARE * len(self.enterprises))]:
            start = self.today - timedelta(days=self.rng.randint(0, 364))
            end = start + timedelta(days=self.rng.randint(365, 730))
            entries.append(
                DemoWhitelistEntry(enterprise.uscc, start, end, self.rng.choice(_WHITELIST_REASONS))
            )
        return entries + self._revoked_entries(owner)

    def _revoked_entries(self, owner: dict[str, str]) -> list[DemoWhitelistEntry]:
        """Two firms listed after clean years and removed at their first serious finding."""
        first: dict[str, DemoViolation] = {}
        for violation in self.violations:
            first.setdefault(owner[violation.target_id], violation)
        entries: list[DemoWhitelistEntry] = []
        for uscc, violation in first.items():
            recent = self.today - timedelta(days=330) <= violation.found_on
            if violation.severity in ("serious", "critical") and recent and len(entries) < 2:
                listed = violation.found_on - timedelta(days=self.rng.randint(90, 240))
                revoked = violation.found_on + timedelta(days=self.rng.randint(1, 5))
                entries.append(
                    DemoWhitelistEntry(
                        uscc,
                        listed,
                        listed + timedelta(days=730),
                        _WHITELIST_REASONS[0],
                        min(revoked, self.today),
                        f"{violation.found_on.isoformat()}检查发现"
                        f"违法行为（{violation.description}），移出正面清单",
                    )
                )
        return entries

    def _make_users(self, whitelist: list[DemoWhitelistEntry]) -> list[DemoUser]:
        users = [
            DemoUser("admin", "admin", "管理员"),
            DemoUser("leader", "leader", "执法支队负责人（全市）"),
        ]
        for n, inspector in enumerate(self.inspectors[:4], start=1):
            users.append(
                DemoUser(
                    f"inspector{n}",
                    "inspector",
                    f"检查员 {inspector.id} {inspector.name}（{inspector.team}）",
                    inspector_id=inspector.id,
                )
            )
        for n, (uscc, why) in enumerate(self._showcase_firms(whitelist), start=1):
            name = self._enterprise(uscc).name
            users.append(
                DemoUser(
                    f"enterprise{n}", "enterprise", f"企业 {name}（{why}）", enterprise_uscc=uscc
                )
            )
        return users

    def _showcase_firms(self, whitelist: list[DemoWhitelistEntry]) -> list[tuple[str, str]]:
        """A listed firm, the firm failed most recently, and a haulier."""
        owner = {t.id: t.enterprise_uscc for t in self.targets}
        listed = next(w.enterprise_uscc for w in whitelist if w.revoked_on is None)
        failed = owner[next(i.target_id for i in reversed(self.inspections) if i.verdict == "fail")]
        haulier = next(
            e.uscc
            for e in self.enterprises
            if e.sector == "logistics" and e.uscc not in (listed, failed)
        )
        return [(listed, "标杆企业"), (failed, "近期检查不合格"), (haulier, "柴油货车")]


def generate(today: date, seed: int = DEFAULT_SEED) -> DemoCity:
    """Build the synthetic city as of ``today`` without touching a database."""
    return _CityBuilder(today, seed).build()


# --- loading -----------------------------------------------------------------


async def load_demo(db: Database, *, today: date, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Fill an empty database with the demo city and its logins, in one transaction.

    Raises:
        ConflictError: when the registers already hold data; nothing is written.
    """
    # Ask once before the slow part, and again under the write lock.
    await _refuse_non_empty(db)
    city = await asyncio.to_thread(generate, today, seed)
    password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
    async with db.transaction() as tx:
        await _refuse_non_empty(tx)
        now = utcnow()
        await _write_registers(tx, city, now)
        await _write_history(tx, city, now)
        await _write_users(tx, city, password_hash)
        summary = summarize(city)
        await audit.record(tx, "demo", "demo.load", "demo", str(seed), _audit_detail(city, summary))
    logger.info(
        "loaded demo city (seed %s, as of %s): %s enterprises, %s inspections",
        seed,
        today,
        summary.enterprises,
        summary.inspections,
    )
    return summary


_REGISTERS = ("enterprises", "targets", "inspectors", "inspections")


async def _refuse_non_empty(db: Database | Transaction) -> None:
    for table in _REGISTERS:
        count = await db.fetchval(f"SELECT COUNT(*) FROM {table}")
        if count:
            raise ConflictError(
                f"演示数据只能载入空数据库：{table} 表已有 {count} 行，应为 0 行；"
                "请换一个新的数据库文件（--db）后再载入"
            )


async def _write_registers(tx: Transaction, city: DemoCity, now: str) -> None:
    await tx.executemany(
        "INSERT INTO enterprises (uscc, name, district, address, contact, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e.uscc, e.name, e.district, e.address, e.contact, now, now) for e in city.enterprises],
    )
    await tx.executemany(
        "INSERT INTO targets (id, enterprise_uscc, kind, name, district, address, latitude,"
        " longitude, crs, hazard, attributes, active, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [
            (
                t.id,
                t.enterprise_uscc,
                t.kind,
                t.name,
                t.district,
                t.address,
                t.latitude,
                t.longitude,
                t.crs,
                t.hazard,
                audit.canonical(t.attributes),
                now,
                now,
            )
            for t in city.targets
        ],
    )
    await tx.executemany(
        "INSERT INTO inspectors (id, name, team, district, active, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i.id, i.name, i.team, i.district, int(i.active), now, now) for i in city.inspectors],
    )
    await tx.executemany(
        "INSERT INTO conflicts (inspector_id, enterprise_uscc, reason) VALUES (?, ?, ?)",
        [(c.inspector_id, c.enterprise_uscc, c.reason) for c in city.conflicts],
    )
    await tx.executemany(
        "INSERT INTO whitelist (enterprise_uscc, valid_from, valid_to, reason, revoked_on,"
        " revoked_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                w.enterprise_uscc,
                w.valid_from.isoformat(),
                w.valid_to.isoformat(),
                w.reason,
                w.revoked_on.isoformat() if w.revoked_on else None,
                w.revoked_reason,
                now,
            )
            for w in city.whitelist
        ],
    )


async def _write_history(tx: Transaction, city: DemoCity, now: str) -> None:
    await tx.executemany(
        "INSERT INTO complaints (id, target_id, received_at, channel, summary, status,"
        " checked_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.id,
                c.target_id,
                c.received_at,
                c.channel,
                c.summary,
                c.status,
                c.checked_on.isoformat() if c.checked_on else None,
                now,
            )
            for c in city.complaints
        ],
    )
    await tx.executemany(
        "INSERT INTO inspections (id, target_id, inspected_at, inspector_a, inspector_b,"
        " verdict, remark, body_sha256, source, published, submitted_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import', 1, 'demo', ?)",
        [
            (
                i.id,
                i.target_id,
                i.inspected_at,
                i.inspector_a,
                i.inspector_b,
                i.verdict,
                i.remark,
                i.body_sha256,
                now,
            )
            for i in city.inspections
        ],
    )
    await tx.executemany(
        "INSERT INTO violations (id, target_id, found_on, severity, description, penalty,"
        " inspection_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                v.id,
                v.target_id,
                v.found_on.isoformat(),
                v.severity,
                v.description,
                v.penalty,
                v.inspection_id,
                now,
            )
            for v in city.violations
        ],
    )


async def _write_users(tx: Transaction, city: DemoCity, password_hash: str) -> None:
    """The demo logins, all sharing one hash of DEMO_PASSWORD (argon2 is slow on purpose)."""
    for user in city.users:
        await create_user(
            tx,
            user.username,
            DEMO_PASSWORD,
            user.role,
            enterprise_uscc=user.enterprise_uscc,
            inspector_id=user.inspector_id,
            actor="demo",
            password_hash=password_hash,
        )


def summarize(city: DemoCity) -> DemoSummary:
    """Counts of a generated city and its demo logins."""
    kinds = Counter(t.kind for t in city.targets)
    current = [
        w
        for w in city.whitelist
        if w.revoked_on is None and w.valid_from <= city.today <= w.valid_to
    ]
    logins = [(u.username, DEMO_PASSWORD, u.description) for u in city.users]
    return DemoSummary(
        len(city.enterprises),
        dict(sorted(kinds.items())),
        len(city.inspectors),
        len(city.complaints),
        len(city.violations),
        len(city.inspections),
        len(current),
        logins,
    )


def _audit_detail(city: DemoCity, summary: DemoSummary) -> dict[str, Any]:
    detail: dict[str, Any] = msgspec.to_builtins(summary)
    detail.pop("logins")
    detail.update(
        today=city.today.isoformat(),
        seed=city.seed,
        conflicts=len(city.conflicts),
        users=[u.username for u in city.users],
    )
    return detail


def describe(summary: DemoSummary) -> str:
    """The summary as Chinese text for a terminal, the synthetic-data notice first."""
    kinds = {"construction_site": "建筑工地", "restaurant": "餐饮单位", "diesel_truck": "柴油货车"}
    targets = "，".join(f"{kinds.get(k, k)} {n} 个" for k, n in summary.targets.items())
    lines = [
        summary.notice,
        f"已载入演示数据：企业 {summary.enterprises} 家（其中标杆企业 {summary.whitelisted} 家），"
        f"检查对象 {targets}；检查员 {summary.inspectors} 名；近两年检查记录 "
        f"{summary.inspections} 条，违法行为 {summary.violations} 条，投诉举报 "
        f"{summary.complaints} 件。",
        "演示账号（用户名 / 密码 / 身份）：",
    ]
    lines += [f"  {user} / {password} / {role}" for user, password, role in summary.logins]
    return "\n".join(lines)
