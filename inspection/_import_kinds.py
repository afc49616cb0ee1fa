"""The private half of imports: register kinds, cell parsers, files and map files.

The seven register kinds an import understands: columns, aliases, types.
Each column has our name, a Chinese label for messages, the header names it is
recognised by (Chinese and English), and a parser. A parser turns one cell
into the stored value or raises ``BadValue`` with what was expected; a parser
may also append a warning (a USCC whose check character fails is imported,
but a person should look at it: see issue 4).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import string
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from checklists.identifiers import check_plate, check_uscc, check_vin, uscc_check_char
from inspection.errors import UnsupportedMediaError, ValidationError

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# A bare date becomes noon local time, so the stored UTC date is the local date.
BARE_DATE_TIME = time(12, 0)


class BadValue(Exception):
    """A cell that cannot be stored; ``expected`` says what would have been accepted."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class Options(msgspec.Struct, frozen=True):
    """Per-import parsing options that come from the map file."""

    date_format: str | None = None


Parser = Callable[[Any, Options, list[str]], Any]


class Column(msgspec.Struct, frozen=True):
    """One column of a register kind."""

    name: str
    label: str
    aliases: tuple[str, ...]
    parse: Parser
    required: bool = False
    # Stored in targets.attributes rather than a column of its own.
    attribute: bool = False
    # The kind whose key this column must name: "enterprises" or "targets".
    ref: str | None = None
    # Not a column of the table: handled by the kind's own step.
    virtual: bool = False


class KindSpec(msgspec.Struct, frozen=True):
    """A register kind: its table, key and columns."""

    kind: str
    label: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    defaults: dict[str, Any]
    timestamps: tuple[str, ...] = ("created_at", "updated_at")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# ---- parsers ---------------------------------------------------------------


def as_text(value: Any, options: Options, warnings: list[str]) -> str:
    """Text as written; an integral number from Excel loses its '.0'."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def parse_uscc(value: Any, options: Options, warnings: list[str]) -> str:
    check = check_uscc(as_text(value, options, warnings))
    if not check.valid:
        raise BadValue("18位统一社会信用代码（数字及除I、O、S、V、Z外的大写字母，第3-8位为数字）")
    if check.warning:
        expected = uscc_check_char(check.value[:17])
        warnings.append(f"校验位为“{expected}”的统一社会信用代码（校验位不符，已导入，请人工核实）")
    return check.value


def parse_usccs(value: Any, options: Options, warnings: list[str]) -> list[str]:
    """Several USCCs separated by ; ， 、 or spaces (the conflicts column)."""
    parts = [p for p in re.split(r"[;；,，、\s]+", as_text(value, options, warnings)) if p]
    try:
        return sorted({parse_uscc(p, options, warnings) for p in parts})
    except BadValue as bad:
        raise BadValue(f"以分号分隔的{bad.expected}") from None


def parse_vin(value: Any, options: Options, warnings: list[str]) -> str:
    check = check_vin(as_text(value, options, warnings))
    if not check.valid:
        raise BadValue("17位车辆识别代号（不含I、O、Q，第9位为正确的校验位）")
    return check.value


def parse_plate(value: Any, options: Options, warnings: list[str]) -> str:
    check = check_plate(as_text(value, options, warnings))
    if not check.valid:
        raise BadValue("机动车号牌（省份简称+发牌机关字母+5位，新能源6位，如“豫K12345”）")
    if check.warning:
        warnings.append("常规号牌或新能源号牌（号牌使用扩展字母，已导入，请人工核实）")
    return check.value


def number_between(low: float | None, high: float | None, *, integer: bool = False) -> Parser:
    """A parser for numbers within [low, high]; None leaves that side open."""
    what = "整数" if integer else "数字"
    if low is not None and high is not None:
        expected = f"{low:g} 到 {high:g} 之间的{what}"
    elif low is not None:
        expected = f"不小于 {low:g} 的{what}"
    else:
        expected = what

    def parse(value: Any, options: Options, warnings: list[str]) -> float | int:
        number = _number(value, integer)
        if number is None or (low is not None and number < low) or (
                high is not None and number > high):
            raise BadValue(expected)
        return number

    return parse


def _number(value: Any, integer: bool) -> float | int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if integer:
        return int(number) if number.is_integer() else None
    return number


def choice(choices: dict[str, str]) -> Parser:
    """A parser for an enumeration; aliases match without regard to case."""
    lookup = {k.casefold(): v for k, v in choices.items()}
    lookup.update({v.casefold(): v for v in choices.values()})
    by_value: dict[str, list[str]] = {}
    for alias, canonical in choices.items():
        by_value.setdefault(canonical, []).append(alias)
    expected = "以下之一：" + "；".join(f"{v}（{'/'.join(a)}）" for v, a in by_value.items())

    def parse(value: Any, options: Options, warnings: list[str]) -> str:
        found = lookup.get(as_text(value, options, warnings).casefold())
        if found is None:
            raise BadValue(expected)
        return found

    return parse


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME_TEXT = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
DATE_EXPECTED = "日期，如 2024-03-05、2024/3/5 或 2024年3月5日"
DATETIME_EXPECTED = "日期或时间，如 2024-03-05、2024-03-05 14:30 或 2024-03-05T14:30:00+08:00"


def _excel_serial(value: Any) -> datetime | None:
    """A number from an Excel cell formatted as a number rather than a date."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 1 <= value < 2958466:
        return None
    result = from_excel(value)
    return result if isinstance(result, datetime) else None


def _date_from(value: Any, options: Options) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    serial = _excel_serial(value)
    if serial is not None:
        return serial.date()
    text = str(value).strip()
    if options.date_format:
        try:
            return datetime.strptime(text, options.date_format).date()
        except ValueError:
            return None
    match = _DATE_TEXT.match(text)
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_date(value: Any, options: Options, warnings: list[str]) -> str:
    """A local day as 'YYYY-MM-DD'."""
    day = _date_from(value, options)
    if day is None:
        raise BadValue(_date_expected(options, DATE_EXPECTED))
    return day.isoformat()


def _date_expected(options: Options, default: str) -> str:
    if options.date_format:
        return f"格式为“{options.date_format}”的日期（映射文件 date_format）"
    return default


def parse_datetime(value: Any, options: Options, warnings: list[str]) -> str:
    """A moment as UTC ISO 8601 with 'Z'; naive times are local (Asia/Shanghai)."""
    moment = _datetime_from(value, options)
    if moment is None:
        raise BadValue(_date_expected(options, DATETIME_EXPECTED))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _datetime_from(value: Any, options: Options) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.time() != time(0) else datetime.combine(value, BARE_DATE_TIME)
    serial = _excel_serial(value)
    if serial is not None:
        return serial if serial.time() != time(0) else datetime.combine(serial, BARE_DATE_TIME)
    match = _DATETIME_TEXT.match(str(value).strip())
    if match is not None and not options.date_format:
        return _datetime_match(match)
    day = _date_from(value, options)
    return None if day is None else datetime.combine(day, BARE_DATE_TIME)


def _datetime_match(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second or 0))
    except ValueError:
        return None
    if zone is None:
        return moment
    if zone == "Z":
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset))


def local_day(utc_iso: str) -> str:
    """The Asia/Shanghai day of a stored UTC timestamp."""
    return datetime.fromisoformat(utc_iso).astimezone(LOCAL_TZ).date().isoformat()


# ---- enumerations ----------------------------------------------------------

TARGET_KINDS = {
    "建筑工地": "construction_site", "工地": "construction_site",
    "施工工地": "construction_site", "construction site": "construction_site",
    "餐饮": "restaurant", "餐饮店": "restaurant", "餐馆": "restaurant", "饭店": "restaurant",
    "柴油货车": "diesel_truck", "柴油车": "diesel_truck", "货车": "diesel_truck",
    "diesel truck": "diesel_truck",
}
HAZARDS = {"低": "low", "低风险": "low", "中": "medium", "中风险": "medium",
           "高": "high", "高风险": "high"}
CRS = {"WGS-84": "wgs84", "GCJ-02": "gcj02", "火星坐标": "gcj02", "高德": "gcj02",
       "BD-09": "bd09", "百度": "bd09"}
# 一般 (ordinary) is the middle grade, like the CCS "serious" category.
SEVERITIES = {"严重": "critical", "重大": "critical", "较重": "serious", "一般": "serious",
              "轻微": "minor", "程序性": "administrative", "行政": "administrative"}
COMPLAINT_STATUS = {"待核查": "pending", "待处理": "pending", "处理中": "pending",
                    "属实": "substantiated", "查实": "substantiated",
                    "基本属实": "substantiated", "不属实": "unsubstantiated",
                    "未查实": "unsubstantiated"}
VERDICTS = {"合格": "pass", "通过": "pass", "达标": "pass", "不合格": "fail",
            "未通过": "fail", "不达标": "fail", "无效": "void", "作废": "void"}
ACTIVE = {"是": "1", "在岗": "1", "有效": "1", "true": "1", "yes": "1", "y": "1",
          "否": "0", "离岗": "0", "停用": "0", "false": "0", "no": "0", "n": "0"}


def _active(value: Any, options: Options, warnings: list[str]) -> int:
    return int(choice(ACTIVE)(value, options, warnings))


# ---- the kinds -------------------------------------------------------------

text = as_text
latitude = number_between(-90, 90)
longitude = number_between(-180, 180)
count = number_between(0, None, integer=True)

_USCC = ("统一社会信用代码", "社会信用代码", "信用代码", "企业信用代码", "uscc", "credit_code",
         "enterprise_uscc")
_TARGET = ("检查对象编号", "对象编号", "target_id", "target")
_DISTRICT = ("所属区县", "区县", "行政区", "所属区域", "district", "county")
_ADDRESS = ("地址", "详细地址", "注册地址", "address")

ENTERPRISES = KindSpec(
    "enterprises", "企业", "enterprises", ("uscc",),
    (
        Column("uscc", "统一社会信用代码", _USCC, parse_uscc, required=True),
        Column("name", "企业名称", ("企业名称", "单位名称", "名称", "name", "enterprise_name"),
               text, required=True),
        Column("district", "所属区县", _DISTRICT, text),
        Column("address", "地址", _ADDRESS, text),
        Column("contact", "联系方式", ("联系人", "联系方式", "联系电话", "contact"), text),
    ),
    {"district": "", "address": "", "contact": ""},
)

TARGETS = KindSpec(
    "targets", "检查对象", "targets", ("id",),
    (
        Column("id", "检查对象编号", ("检查对象编号", "对象编号", "编号", "id", "target_id"),
               text, required=True),
        Column("enterprise_uscc", "统一社会信用代码", _USCC, parse_uscc, required=True,
               ref="enterprises"),
        Column("kind", "对象类型", ("对象类型", "类型", "类别", "kind", "type"),
               choice(TARGET_KINDS), required=True),
        Column("name", "名称", ("对象名称", "名称", "name"), text, required=True),
        Column("district", "所属区县", _DISTRICT, text),
        Column("address", "地址", _ADDRESS, text),
        Column("latitude", "纬度", ("纬度", "lat", "latitude"), latitude),
        Column("longitude", "经度", ("经度", "lng", "lon", "longitude"), longitude),
        Column("crs", "坐标系", ("坐标系", "crs"), choice(CRS)),
        Column("hazard", "固有风险", ("固有风险", "风险等级", "hazard", "risk"), choice(HAZARDS)),
        Column("area_m2", "面积（平方米）", ("面积", "占地面积", "建筑面积", "area_m2", "area"),
               number_between(0, None), attribute=True),
        Column("reference_burners", "基准灶头数", ("基准灶头数", "灶头数", "reference_burners",
               "burners"), count, attribute=True),
        Column("plate", "号牌号码", ("号牌号码", "车牌号", "号牌", "plate"), parse_plate,
               attribute=True),
        Column("vin", "车辆识别代号", ("车辆识别代号", "车架号", "vin"), parse_vin, attribute=True),
        Column("emission_stage", "排放阶段", ("排放阶段", "排放标准", "emission_stage"), text,
               attribute=True),
        Column("performance_grade", "绩效等级", ("绩效等级", "绩效分级", "performance_grade"),
               text, attribute=True),
        Column("facility_type", "场所类型", ("场所类型", "设施类型", "facility_type"), text,
               attribute=True),
    ),
    {"enterprise_uscc": None, "district": "", "address": "", "latitude": None,
     "longitude": None, "crs": "wgs84", "hazard": "medium", "attributes": "{}", "active": 1},
)

WHITELIST = KindSpec(
    "whitelist", "标杆企业名单", "whitelist", ("enterprise_uscc", "valid_from"),
    (
        Column("enterprise_uscc", "统一社会信用代码", _USCC, parse_uscc, required=True,
               ref="enterprises"),
        Column("valid_from", "有效期起", ("有效期起", "生效日期", "起始日期", "valid_from"),
               parse_date, required=True),
        Column("valid_to", "有效期至", ("有效期至", "截止日期", "失效日期", "valid_to"),
               parse_date, required=True),
        Column("reason", "入选理由", ("入选理由", "理由", "原因", "reason"), text),
        Column("revoked_on", "撤销日期", ("撤销日期", "revoked_on"), parse_date),
        Column("revoked_reason", "撤销原因", ("撤销原因", "revoked_reason"), text),
    ),
    {"reason": "", "revoked_on": None, "revoked_reason": None},
    timestamps=("created_at",),
)

COMPLAINTS = KindSpec(
    "complaints", "投诉举报", "complaints", ("id",),
    (
        Column("id", "投诉编号", ("投诉编号", "编号", "id", "complaint_id"), text, required=True),
        Column("target_id", "检查对象编号", _TARGET, text, required=True, ref="targets"),
        Column("received_at", "受理时间", ("受理时间", "接收时间", "投诉时间", "received_at"),
               parse_datetime, required=True),
        Column("channel", "渠道", ("渠道", "来源", "投诉渠道", "channel"), text),
        Column("summary", "投诉内容", ("投诉内容", "内容", "摘要", "summary"), text),
        Column("status", "办理状态", ("办理状态", "状态", "核查结果", "status"),
               choice(COMPLAINT_STATUS)),
        Column("checked_on", "核查日期", ("核查日期", "checked_on"), parse_date),
    ),
    {"channel": "12369", "summary": "", "status": "pending", "checked_on": None},
    timestamps=("created_at",),
)

VIOLATIONS = KindSpec(
    "violations", "违法行为", "violations", ("id",),
    (
        Column("id", "违法行为编号", ("违法行为编号", "案件编号", "编号", "id", "violation_id"),
               text, required=True),
        Column("target_id", "检查对象编号", _TARGET, text, required=True, ref="targets"),
        Column("found_on", "发现日期", ("发现日期", "立案日期", "日期", "found_on", "date"),
               parse_date, required=True),
        Column("severity", "严重程度", ("严重程度", "违法程度", "等级", "severity"),
               choice(SEVERITIES), required=True),
        Column("description", "违法事实", ("违法事实", "描述", "description"), text),
        Column("penalty", "处罚决定", ("处罚决定", "处罚", "penalty"), text),
        Column("inspection_id", "检查记录编号", ("检查记录编号", "inspection_id"), text),
    ),
    {"description": "", "penalty": "", "inspection_id": None},
    timestamps=("created_at",),
)

INSPECTIONS = KindSpec(
    "inspections", "检查记录", "inspections", ("id",),
    (
        Column("id", "检查记录编号", ("检查记录编号", "编号", "id", "inspection_id"), text,
               required=True),
        Column("target_id", "检查对象编号", _TARGET, text, required=True, ref="targets"),
        Column("inspected_at", "检查时间", ("检查时间", "检查日期", "inspected_at",
               "inspection_date", "date"), parse_datetime, required=True),
        Column("verdict", "检查结论", ("检查结论", "结论", "结果", "verdict", "result"),
               choice(VERDICTS), required=True),
        Column("remark", "备注", ("备注", "remark"), text),
        Column("critical_count", "严重问题数", ("严重问题数", "critical_count"), count,
               virtual=True),
        Column("serious_count", "较重问题数", ("较重问题数", "serious_count"), count,
               virtual=True),
        Column("minor_count", "轻微问题数", ("轻微问题数", "minor_count"), count, virtual=True),
    ),
    {"remark": "", "judgement": "{}", "source": "import", "published": 1},
    timestamps=("created_at",),
)

INSPECTORS = KindSpec(
    "inspectors", "检查人员", "inspectors", ("id",),
    (
        Column("id", "检查员编号", ("检查员编号", "执法证号", "编号", "id", "inspector_id"), text,
               required=True),
        Column("name", "姓名", ("姓名", "name"), text, required=True),
        Column("team", "班组", ("班组", "小组", "所属中队", "team"), text),
        Column("district", "所属区县", _DISTRICT, text),
        Column("active", "在岗", ("在岗", "是否在岗", "active"), _active),
        Column("conflicts", "回避企业", ("回避企业", "利益冲突企业", "利益冲突", "conflicts"),
               parse_usccs, ref="enterprises", virtual=True),
    ),
    {"team": "", "district": "", "active": 1},
)

SPECS = {s.kind: s for s in (ENTERPRISES, TARGETS, WHITELIST, COMPLAINTS, VIOLATIONS,
                             INSPECTIONS, INSPECTORS)}

MAP_KEYS = ("columns", "values", "patterns", "constants", "prefix", "fallback",
            "allow_missing_enterprise", "date_format", "encoding", "sheet")


class Table(msgspec.Struct):
    """A file's header and its rows as (row number, cells)."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


class MapRules(msgspec.Struct, frozen=True):
    """One kind's section of a map file; empty when no map is given."""

    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    # Regular expression = our value, tried in order when `values` has no exact match.
    patterns: dict[str, dict[str, str]] = {}
    constants: dict[str, str] = {}
    prefix: dict[str, str] = {}
    fallback: dict[str, str] = {}
    allow_missing_enterprise: bool = False
    date_format: str | None = None
    encoding: str | None = None
    sheet: str | None = None


# ---- files -----------------------------------------------------------------


def read_table(path: Path, rules: MapRules) -> Table:
    """The header and rows of a .csv or .xlsx file."""
    if not path.is_file():
        raise ValidationError(f"找不到导入文件“{path}”")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_table(path, rules.encoding)
    if suffix == ".xlsx":
        return _xlsx_table(path, rules.sheet)
    raise UnsupportedMediaError(
        f"导入文件应为 .csv 或 .xlsx，收到“{path.name}”（.xls 请在 Excel 中另存为 .xlsx）")


def decode_csv(data: bytes, name: str, encoding: str | None = None) -> str:
    """CSV text: the map's encoding, else UTF-8 (BOM or not), else GB18030."""
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ValidationError(
                f"{name} 第{line}行无法按映射文件指定的编码“{encoding}”解码") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise ValidationError(
            f"{name} 是 UTF-16 等编码，应为 UTF-8 或 GB18030：请在 Excel 中另存为“CSV UTF-8”")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    for candidate in ("utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        f"{name} 既不是 UTF-8 也不是 GB18030 编码：请另存为“CSV UTF-8”，"
        "或在映射文件中写明 encoding")


def _csv_table(path: Path, encoding: str | None) -> Table:
    text = decode_csv(path.read_bytes(), path.name, encoding)
    records = csv.reader(io.StringIO(text, newline=""))
    header = next(records, None)
    if header is None:
        raise ValidationError(f"{path.name} 是空文件，第1行应为表头")
    # Excel shows one row per record, so a quoted line break stays one row.
    rows = [(n, cells) for n, cells in enumerate(records, start=2) if "".join(cells).strip()]
    return Table([h.strip() for h in header], rows)


def _xlsx_table(path: Path, sheet: str | None) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise ValidationError(f"{path.name} 不是可读取的 .xlsx 文件：{exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ValidationError(
                f"{path.name} 中没有名为“{sheet}”的工作表，现有：{'、'.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return _sheet_table(ws.iter_rows(values_only=True), path.name)
    finally:
        book.close()


def _sheet_table(rows: Iterator[tuple[Any, ...]], name: str) -> Table:
    header = next(rows, None)
    if header is None:
        raise ValidationError(f"{name} 的工作表是空的，第1行应为表头")
    data = [(n, list(cells)) for n, cells in enumerate(rows, start=2)
            if any(c is not None and str(c).strip() for c in cells)]
    return Table(["" if h is None else str(h).strip() for h in header], data)


# ---- map files -------------------------------------------------------------


def load_map(path: Path, kind: str) -> MapRules:
    """The section of a map file for one kind, checked against that kind's columns."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"找不到映射文件“{path}”") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"映射文件 {path.name} 不是有效的 UTF-8 TOML：{exc}") from None
    for key in document:
        if key not in SPECS and key != "description":
            raise ValidationError(
                f"映射文件 {path.name}：未知的一节“[{key}]”，应为 {'、'.join(SPECS)} 之一")
    section = document.get(kind)
    if not isinstance(section, dict):
        raise ValidationError(f"映射文件 {path.name} 没有 [{kind}] 一节")
    return _check_section(section, SPECS[kind], path.name)


def _check_section(section: dict[str, Any], spec: KindSpec, name: str) -> MapRules:
    where = f"映射文件 {name} [{spec.kind}]"
    for key in section:
        if key not in MAP_KEYS:
            raise ValidationError(f"{where}：未知的键“{key}”，应为 {'、'.join(MAP_KEYS)} 之一")
    known = {c.name for c in spec.columns}
    columns = _str_table(section, "columns", where)
    for source, ours in columns.items():
        _known_column(ours, known, f"{where}.columns 中“{source}”的值")
    for key in ("constants", "prefix", "fallback"):
        for ours in _str_table(section, key, where):
            _known_column(ours, known, f"{where}.{key} 的键")
    nested = {key: _nested_tables(section, key, known, where) for key in ("values", "patterns")}
    for ours, table in nested["patterns"].items():
        for pattern in table:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValidationError(
                    f"{where}.patterns.{ours}：正则表达式“{pattern}”有误：{exc}") from None
    _check_scalars(section, where)
    plain: dict[str, dict[str, str]] = {
        k: _str_table(section, k, where)
        for k in ("columns", "constants", "prefix", "fallback") if k in section
    }
    fields: dict[str, Any] = {k: v for k, v in section.items() if k not in (*nested, *plain)}
    fields.update(plain)
    fields.update(nested)
    rules = MapRules(**fields)
    _check_options(rules, spec, where)
    return rules


def _nested_tables(section: dict[str, Any], key: str, known: set[str],
                   where: str) -> dict[str, dict[str, str]]:
    """`values` or `patterns`: our column = {source text or pattern = our value}."""
    tables = section.get(key, {})
    if not isinstance(tables, dict):
        raise ValidationError(f"{where}.{key} 应为一张表（列名 = {{源值 = 值}}）")
    for ours in tables:
        _known_column(ours, known, f"{where}.{key} 的键")
    return {ours: _str_table(tables, ours, f"{where}.{key}") for ours in tables}


def _str_table(section: dict[str, Any], key: str, where: str) -> dict[str, str]:
    table = section.get(key, {})
    if not isinstance(table, dict):
        raise ValidationError(f"{where}.{key} 应为一张表，收到 {type(table).__name__}")
    for k, v in table.items():
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ValidationError(f"{where}.{key} 中“{k}”的值应为文本，收到 {v!r}")
    return {str(k): str(v) for k, v in table.items()}


def _check_scalars(section: dict[str, Any], where: str) -> None:
    if not isinstance(section.get("allow_missing_enterprise", False), bool):
        raise ValidationError(f"{where}.allow_missing_enterprise 应为 true 或 false")
    for key in ("date_format", "encoding", "sheet"):
        if key in section and not isinstance(section[key], str):
            raise ValidationError(f"{where}.{key} 应为文本，收到 {section[key]!r}")


def _known_column(ours: str, known: set[str], what: str) -> None:
    if ours not in known:
        raise ValidationError(f"{what}“{ours}”不是本类的列，应为 {'、'.join(sorted(known))} 之一")


def _check_options(rules: MapRules, spec: KindSpec, where: str) -> None:
    if rules.allow_missing_enterprise and spec.kind != "targets":
        raise ValidationError(f"{where}：allow_missing_enterprise 只用于 [targets]")
    if rules.encoding is not None:
        try:
            codecs.lookup(rules.encoding)
        except LookupError:
            raise ValidationError(f"{where}.encoding：未知的编码“{rules.encoding}”") from None
    if rules.date_format is not None and "%" not in rules.date_format:
        raise ValidationError(
            f"{where}.date_format 应为 strftime 格式（如“%Y%m%d”），收到“{rules.date_format}”")
    for ours, template in rules.fallback.items():
        try:
            template_fields(template)
        except ValueError:
            raise ValidationError(f"{where}.fallback.{ours}：模板“{template}”格式有误") from None


def template_fields(template: str) -> list[str]:
    """The source column names a fallback template such as "Licence {License}" uses."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]
