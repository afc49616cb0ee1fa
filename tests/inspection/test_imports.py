"""Register imports on real SQLite files and real CSV/XLSX files."""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from checklists.identifiers import uscc_check_char
from inspection import audit
from inspection._import_kinds import BadValue, Options, parse_date, parse_datetime
from inspection.db import Database
from inspection.errors import UnsupportedMediaError, ValidationError
from inspection.imports import KINDS, ImportReport, RowError, import_file

DATA = Path(__file__).parent / "data"
CHICAGO = Path(__file__).parents[3] / "shared/data/chicago-food-inspections/model_data_30_dat.csv"
CHICAGO_MAP = Path(__file__).parents[2] / "inspection/maps/chicago_food.toml"

E1, E2, E3 = "91411000MA44AB01XW", "91411000MA44AB02XX", "91411000MA44AB03XY"
BAD_CHECK = "91411000MA44AB01XA"  # E1 with a wrong check character
VIN = "LZZ5BLSJ3KA123456"
BAD_VIN = "LZZ5BLSJ4KA123456"

# Per kind: Chinese header, English header, rows (dates as date objects).
TABLES: dict[str, tuple[list[str], list[str], list[list[Any]]]] = {
    "enterprises": (
        ["统一社会信用代码", "企业名称", "所属区县", "地址", "联系方式"],
        ["uscc", "name", "district", "address", "contact"],
        [[E1, "许昌鑫源建设有限公司", "魏都区", "七一路12号", "张伟"],
         [E2, "许昌宏达餐饮管理有限公司", "建安区", "许继大道88号", "李娜"]],
    ),
    "targets": (
        ["检查对象编号", "统一社会信用代码", "对象类型", "名称", "纬度", "经度", "固有风险",
         "号牌号码", "车辆识别代号"],
        ["id", "enterprise_uscc", "kind", "name", "latitude", "longitude", "hazard", "plate",
         "vin"],
        [["X-1", E1, "construction_site", "颐和府工地", 34.0357, 113.8523, "high", "", ""],
         ["X-2", E2, "restaurant", "宏达酒家", 34.0071, 113.821, "medium", "", ""],
         ["X-3", E3, "diesel_truck", "重型货车", "", "", "low", "豫KA1234", VIN]],
    ),
    "whitelist": (
        ["统一社会信用代码", "有效期起", "有效期至", "入选理由"],
        ["uscc", "valid_from", "valid_to", "reason"],
        [[E1, date(2024, 3, 5), date(2025, 3, 4), "连续两年无违法"],
         [E2, date(2024, 1, 1), date(2024, 12, 31), "绩效A级"]],
    ),
    "complaints": (
        ["投诉编号", "检查对象编号", "受理时间", "渠道", "投诉内容", "办理状态"],
        ["id", "target_id", "received_at", "channel", "summary", "status"],
        [["C-1", "T-SITE-1", date(2024, 5, 6), "12369", "夜间施工扬尘", "substantiated"],
         ["C-2", "T-REST-1", date(2024, 6, 1), "12345", "油烟扰民", "pending"]],
    ),
    "violations": (
        ["违法行为编号", "检查对象编号", "发现日期", "严重程度", "违法事实", "处罚决定"],
        ["id", "target_id", "found_on", "severity", "description", "penalty"],
        [["V-1", "T-SITE-1", date(2024, 4, 2), "critical", "裸土未覆盖", "罚款2万元"],
         ["V-2", "T-REST-1", date(2024, 4, 9), "minor", "净化器未清洗", ""]],
    ),
    "inspections": (
        ["检查记录编号", "检查对象编号", "检查日期", "检查结论", "严重问题数", "较重问题数",
         "轻微问题数"],
        ["id", "target_id", "inspected_at", "verdict", "critical_count", "serious_count",
         "minor_count"],
        [["I-1", "T-SITE-1", date(2024, 4, 2), "fail", 1, 0, 2],
         ["I-2", "T-REST-1", date(2024, 4, 9), "pass", 0, 0, 0]],
    ),
    "inspectors": (
        ["检查员编号", "姓名", "班组", "所属区县", "在岗", "回避企业"],
        ["id", "name", "team", "district", "active", "conflicts"],
        [["P-1", "赵敏", "一中队", "魏都区", "1", f"{E1};{E2}"],
         ["P-2", "钱磊", "二中队", "建安区", "0", ""]],
    ),
}
# The Chinese files say the enumerations in Chinese.
CHINESE_VALUES = {"construction_site": "建筑工地", "restaurant": "餐饮", "diesel_truck": "柴油货车",
                  "high": "高", "medium": "中", "low": "低", "substantiated": "属实",
                  "pending": "待核查", "critical": "严重", "minor": "轻微", "fail": "不合格",
                  "pass": "合格", "1": "在岗", "0": "离岗"}
NEEDS = {"targets": ["enterprises"], "whitelist": ["enterprises"], "inspectors": ["enterprises"],
         "complaints": ["enterprises", "targets"], "violations": ["enterprises", "targets"],
         "inspections": ["enterprises", "targets"]}
PREREQUISITES = {"enterprises": DATA / "enterprises.csv", "targets": DATA / "targets_bom.csv"}


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    async with Database(tmp_path / "xuncha.db") as database:
        yield database


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str,
              chinese: bool) -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_text(v, chinese) for v in row] for row in rows])
    data = out.getvalue().encode("gb18030" if encoding == "gb18030" else "utf-8")
    path.write_bytes((codecs.BOM_UTF8 if encoding == "bom" else b"") + data)
    return path


def _text(value: Any, chinese: bool) -> str:
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}" if chinese else value.isoformat()
    if not isinstance(value, str):
        return str(value)
    return CHINESE_VALUES.get(value, value) if chinese else value


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]], chinese: bool,
               sheet: str = "Sheet1") -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append([v if isinstance(v, date | int | float) else _text(v, chinese) for v in row])
    book.save(path)
    return path


def make_file(tmp_path: Path, kind: str, fmt: str, lang: str,
              rows: list[list[Any]] | None = None) -> Path:
    zh_header, en_header, default_rows = TABLES[kind]
    header = zh_header if lang == "zh" else en_header
    chinese = lang == "zh"
    if fmt == "xlsx":
        return write_xlsx(tmp_path / f"{kind}.xlsx", header, rows or default_rows, chinese)
    return write_csv(tmp_path / f"{kind}.csv", header, rows or default_rows, fmt, chinese)


async def load_prerequisites(db: Database, kind: str) -> None:
    for need in NEEDS.get(kind, []):
        report = await import_file(db, need, PREREQUISITES[need])
        assert report.stored and not report.rejected


async def counts(db: Database) -> dict[str, int]:
    tables = ("enterprises", "targets", "whitelist", "complaints", "violations", "inspections",
              "inspectors", "conflicts", "audit_log")
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


# ---- every kind, every encoding, both header languages --------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["utf-8", "bom", "gb18030", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
async def test_each_kind_imports_once_and_then_changes_nothing(
        db: Database, tmp_path: Path, kind: str, fmt: str, lang: str) -> None:
    await load_prerequisites(db, kind)
    path = make_file(tmp_path, kind, fmt, lang)
    rows = len(TABLES[kind][2])

    first = await import_file(db, kind, path)
    assert (first.rows, first.added, first.updated, first.rejected) == (rows, rows, 0, [])
    assert first.stored
    before = await counts(db)
    second = await import_file(db, kind, path)

    assert (second.added, second.updated, second.unchanged) == (0, 0, rows)
    assert await counts(db) == before


async def test_values_land_as_stored_forms(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "inspections")
    await import_file(db, "inspections", make_file(tmp_path, "inspections", "gb18030", "zh"))
    await import_file(db, "inspectors", make_file(tmp_path, "inspectors", "xlsx", "zh"))

    row = await db.fetchone("SELECT * FROM inspections WHERE id = 'I-1'")
    assert row is not None
    # A bare date is noon in Asia/Shanghai: 04:00 UTC the same day.
    assert row["inspected_at"] == "2024-04-02T04:00:00.000000Z"
    assert (row["verdict"], row["source"], row["published"]) == ("fail", "import", 1)
    assert row["judgement"] == '{"critical":1,"minor":2,"serious":0}'
    violations = await db.fetchall(
        "SELECT id, severity, found_on FROM violations WHERE inspection_id = 'I-1' ORDER BY id")
    assert [tuple(v) for v in violations] == [
        ("I-1-critical-1", "critical", "2024-04-02"),
        ("I-1-minor-1", "minor", "2024-04-02"), ("I-1-minor-2", "minor", "2024-04-02")]
    conflicts = await db.fetchall("SELECT enterprise_uscc FROM conflicts WHERE inspector_id='P-1'")
    assert sorted(r[0] for r in conflicts) == [E1, E2]
    assert await db.fetchval("SELECT active FROM inspectors WHERE id = 'P-2'") == 0


async def test_targets_from_bom_and_gb18030_files(db: Database) -> None:
    await import_file(db, "enterprises", DATA / "enterprises.csv")
    bom = await import_file(db, "targets", DATA / "targets_bom.csv")
    gb = await import_file(db, "targets", DATA / "targets_gb18030.csv")

    assert (bom.added, gb.added) == (3, 3)
    truck = await db.fetchone("SELECT * FROM targets WHERE id = 'T-TRUCK-2'")
    assert truck is not None
    assert (truck["kind"], truck["hazard"], truck["district"]) == ("diesel_truck", "low", "禹州市")
    assert truck["attributes"] == (
        '{"emission_stage":"国六","plate":"豫KB5678","vin":"LZZ5BLSJ3KA123456"}')
    site = await db.fetchone("SELECT * FROM targets WHERE id = 'T-SITE-1'")
    assert site is not None
    assert (site["latitude"], site["attributes"]) == (34.0357, '{"area_m2":52000.0}')


# ---- rejected rows ---------------------------------------------------------


async def test_rejected_row_names_file_row_column_value_expected(
        db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    bad = [*rows, ["X-4", E1, "建筑工地", "工地四", 34.0, "abc", "高", "", ""]]
    path = write_csv(tmp_path / "targets.csv", header, bad, "utf-8", chinese=True)

    report = await import_file(db, "targets", path)

    assert report.rejected == [RowError("targets.csv", 5, "经度", "abc", "-180 到 180 之间的数字")]
    assert str(report.rejected[0]) == (
        "targets.csv 第5行 “经度” 列：值“abc”，应为 -180 到 180 之间的数字")


async def test_one_bad_row_stores_nothing(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    bad = [*rows, ["X-4", E1, "建筑工地", "工地四", 91, 113.0, "高", "", ""]]
    path = write_csv(tmp_path / "targets.csv", header, bad, "utf-8", chinese=True)
    before = await counts(db)

    report = await import_file(db, "targets", path)

    assert not report.stored
    assert (report.added, report.updated) == (0, 0)
    assert [(e.row, e.column, e.value) for e in report.rejected] == [(5, "纬度", "91")]
    assert await counts(db) == before


async def test_skip_bad_keeps_the_good_rows(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    bad = [*rows, ["X-4", E1, "建筑工地", "工地四", 91, 113.0, "高", "", ""]]
    path = write_csv(tmp_path / "targets.csv", header, bad, "utf-8", chinese=True)
    before = await counts(db)

    report = await import_file(db, "targets", path, skip_bad=True)

    assert report.stored and report.added == 3 and len(report.rejected) == 1
    after = await counts(db)
    assert after["targets"] == before["targets"] + 3
    assert after["audit_log"] == before["audit_log"] + 1


async def test_bad_vin_is_rejected(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    truck = [*rows[2][:8], BAD_VIN]
    path = write_csv(tmp_path / "t.csv", header, [truck], "utf-8", chinese=True)

    report = await import_file(db, "targets", path)

    assert [(e.row, e.column, e.value) for e in report.rejected] == [(2, "车辆识别代号", BAD_VIN)]
    assert "校验位" in report.rejected[0].expected


async def test_diesel_truck_needs_a_valid_plate(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    no_plate = [*rows[2][:7], "", VIN]
    bad_plate = ["X-5", *rows[2][1:7], "豫K12", VIN]
    path = write_csv(tmp_path / "t.csv", header, [no_plate, bad_plate], "utf-8", chinese=True)

    report = await import_file(db, "targets", path)

    assert [(e.row, e.column) for e in report.rejected] == [(2, "号牌号码"), (3, "号牌号码")]


async def test_unknown_enterprise_is_rejected(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "targets")
    header, _, rows = TABLES["targets"]
    stranger = "91411000MA44AB09X" + uscc_check_char("91411000MA44AB09X")
    path = write_csv(tmp_path / "t.csv", header, [["X-9", stranger, *rows[0][2:]]], "utf-8",
                     chinese=True)

    report = await import_file(db, "targets", path)

    assert [(e.row, e.column, e.value) for e in report.rejected] == [(2, "统一社会信用代码",
                                                                      stranger)]
    assert "enterprises" in report.rejected[0].expected


async def test_unknown_target_is_rejected(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "complaints")
    header, _, rows = TABLES["complaints"]
    path = write_csv(tmp_path / "c.csv", header, [["C-9", "NOPE", *rows[0][2:]]], "utf-8",
                     chinese=True)

    report = await import_file(db, "complaints", path)

    assert [(e.row, e.column, e.value) for e in report.rejected] == [(2, "检查对象编号", "NOPE")]


async def test_uscc_checksum_failure_is_a_warning(db: Database, tmp_path: Path) -> None:
    header, _, _ = TABLES["enterprises"]
    path = write_csv(tmp_path / "e.csv", header, [[BAD_CHECK, "某公司", "", "", ""]], "utf-8",
                     chinese=True)

    report = await import_file(db, "enterprises", path)

    assert report.stored and report.added == 1 and report.rejected == []
    assert [(w.row, w.column, w.value) for w in report.warnings] == [(2, "统一社会信用代码",
                                                                      BAD_CHECK)]
    assert "“W”" in report.warnings[0].expected


async def test_malformed_uscc_is_rejected(db: Database, tmp_path: Path) -> None:
    header, _, _ = TABLES["enterprises"]
    path = write_csv(tmp_path / "e.csv", header, [["91411000MA44AB01X", "短一位", "", "", ""],
                                                  ["", "没有代码", "", "", ""]], "utf-8", True)

    report = await import_file(db, "enterprises", path)

    assert [(e.row, e.column, e.expected[:4]) for e in report.rejected] == [
        (2, "统一社会信用代码", "18位统"), (3, "统一社会信用代码", "必填，不")]


# ---- upserts and duplicates ------------------------------------------------


async def test_changed_row_is_updated_and_audited_once(db: Database, tmp_path: Path) -> None:
    await import_file(db, "enterprises", DATA / "enterprises.csv")
    header, _, rows = TABLES["enterprises"]
    changed = [[rows[0][0], "许昌鑫源建设集团有限公司", *rows[0][2:]], rows[1]]
    path = write_csv(tmp_path / "e.csv", header, changed, "utf-8", True)
    audits = await db.fetchval("SELECT count(*) FROM audit_log")

    report = await import_file(db, "enterprises", path)

    assert (report.added, report.updated, report.unchanged) == (0, 2, 0)
    assert await db.fetchval("SELECT name FROM enterprises WHERE uscc = ?", (E1,)) == (
        "许昌鑫源建设集团有限公司")
    assert await db.fetchval("SELECT count(*) FROM audit_log") == audits + 1
    entry = await db.fetchone("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert entry is not None and (entry["action"], entry["entity"]) == ("import", "enterprises")
    assert await audit.verify(db) == (audits + 1, None)


async def test_columns_absent_from_the_file_keep_their_values(db: Database,
                                                               tmp_path: Path) -> None:
    await import_file(db, "enterprises", DATA / "enterprises.csv")
    path = write_csv(tmp_path / "e.csv", ["uscc", "name"], [[E1, "新名称"]], "utf-8", False)

    await import_file(db, "enterprises", path)

    row = await db.fetchone("SELECT name, district FROM enterprises WHERE uscc = ?", (E1,))
    assert row is not None and tuple(row) == ("新名称", "魏都区")


async def test_duplicate_keys_collapse_or_the_later_row_wins(db: Database,
                                                              tmp_path: Path) -> None:
    header, _, rows = TABLES["enterprises"]
    renamed = [rows[0][0], "后来的名称", *rows[0][2:]]
    path = write_csv(tmp_path / "e.csv", header, [rows[0], rows[0], renamed], "utf-8", True)

    report = await import_file(db, "enterprises", path)

    assert (report.rows, report.added) == (3, 1)
    assert [(w.row, w.column, w.value) for w in report.warnings] == [(4, "企业名称", "后来的名称")]
    assert "第3行" in report.warnings[0].expected
    assert await db.fetchval("SELECT name FROM enterprises") == "后来的名称"


async def test_fewer_counts_remove_derived_violations(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "inspections")
    await import_file(db, "inspections", make_file(tmp_path, "inspections", "utf-8", "en"))
    header = TABLES["inspections"][1]
    path = write_csv(tmp_path / "again.csv", header,
                     [["I-1", "T-SITE-1", "2024-04-02", "fail", 1, 0, 0]], "utf-8", False)

    report = await import_file(db, "inspections", path)

    assert report.updated == 1
    assert report.details["violations_removed"] == 2
    assert await db.fetchval("SELECT count(*) FROM violations WHERE inspection_id='I-1'") == 1


async def test_whitelist_end_before_start_is_rejected(db: Database, tmp_path: Path) -> None:
    await load_prerequisites(db, "whitelist")
    header = TABLES["whitelist"][0]
    path = write_csv(tmp_path / "w.csv", header,
                     [[E1, date(2024, 3, 5), date(2024, 3, 4), ""]], "utf-8", True)

    report = await import_file(db, "whitelist", path)

    assert [(e.row, e.column, e.value) for e in report.rejected] == [(2, "有效期至", "2024-03-04")]


# ---- files, encodings, headers and maps -----------------------------------


async def test_utf16_is_refused_clearly(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes("统一社会信用代码,企业名称\n".encode("utf-16"))

    with pytest.raises(ValidationError, match="UTF-8 或 GB18030"):
        await import_file(db, "enterprises", path)


async def test_xls_and_other_files_are_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "e.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    with pytest.raises(UnsupportedMediaError, match=r"\.xlsx"):
        await import_file(db, "enterprises", path)


async def test_missing_required_column_names_its_aliases(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", ["企业名称"], [["某公司"]], "utf-8", True)

    with pytest.raises(ValidationError, match="缺少必填列“统一社会信用代码”"):
        await import_file(db, "enterprises", path)


async def test_unknown_kind_is_refused(db: Database) -> None:
    with pytest.raises(ValidationError, match="导入类型应为"):
        await import_file(db, "penalties", DATA / "enterprises.csv")


async def test_map_renames_columns_values_and_sets_constants(db: Database,
                                                             tmp_path: Path) -> None:
    await import_file(db, "enterprises", DATA / "enterprises.csv")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[targets]\nsheet = "登记表"\n'
        '[targets.columns]\n"Site No" = "id"\n"Owner" = "enterprise_uscc"\n"Site" = "name"\n'
        '"Level" = "hazard"\n'
        '[targets.constants]\nkind = "建筑工地"\n'
        '[targets.prefix]\nid = "XC-"\n'
        '[targets.values.hazard]\n"A" = "high"\n"C" = "low"\n', encoding="utf-8")
    path = write_xlsx(tmp_path / "sites.xlsx", ["Site No", "Owner", "Site", "Level"],
                      [[17, E1, "一号工地", "A"], [18, E1, "二号工地", "C"]], False,
                      sheet="登记表")

    report = await import_file(db, "targets", path, mapping=mapping)

    assert report.added == 2
    rows = await db.fetchall("SELECT id, kind, hazard FROM targets ORDER BY id")
    assert [tuple(r) for r in rows] == [("XC-17", "construction_site", "high"),
                                        ("XC-18", "construction_site", "low")]


@pytest.mark.parametrize(("text", "message"), [
    ('[targets.columns]\n"A" = "nosuch"\n', "“nosuch”不是本类的列"),
    ('[targets]\nunknown = 1\n', "未知的键“unknown”"),
    ('[penalties]\n', "未知的一节“[penalties]”"),
    ('[enterprises]\n', "没有 [targets] 一节"),
    ('[targets]\nencoding = "klingon"\n', "未知的编码“klingon”"),
    ('[targets]\nallow_missing_enterprise = "yes"\n', "true 或 false"),
    ('[targets]\ndate_format = "YYYY"\n', "strftime"),
    ('[targets\n', "不是有效的 UTF-8 TOML"),
])
async def test_bad_map_files_are_explained(db: Database, tmp_path: Path, text: str,
                                           message: str) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(text, encoding="utf-8")

    with pytest.raises(ValidationError, match=re.escape(message)):
        await import_file(db, "targets", DATA / "targets_bom.csv", mapping=mapping)


async def test_map_encoding_and_date_format(db: Database, tmp_path: Path) -> None:
    await import_file(db, "enterprises", DATA / "enterprises.csv")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[whitelist]\nencoding = "latin-1"\ndate_format = "%Y%m%d"\n'
                       '[whitelist.columns]\n"Raison" = "reason"\n', encoding="utf-8")
    path = tmp_path / "w.csv"
    path.write_bytes(f"uscc,valid_from,valid_to,Raison\n{E1},20240305,20250304,Café\n"
                     .encode("latin-1"))

    report = await import_file(db, "whitelist", path, mapping=mapping)

    assert report.added == 1
    row = await db.fetchone("SELECT valid_from, valid_to, reason FROM whitelist")
    assert row is not None and tuple(row) == ("2024-03-05", "2025-03-04", "Café")


# ---- dates -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "day"), [
    ("2024-03-05", "2024-03-05"), ("2024/3/5", "2024-03-05"), ("2024年3月5日", "2024-03-05"),
    ("2024.03.05", "2024-03-05"), (date(2024, 3, 5), "2024-03-05"),
    (datetime(2024, 3, 5, 9, 30), "2024-03-05"), (45356, "2024-03-05"),
])
def test_dates_in_the_forms_registers_use(value: Any, day: str) -> None:
    assert parse_date(value, Options(), []) == day


@pytest.mark.parametrize("value", ["2024-02-30", "5/3/2024", "abc", "2024-13-01"])
def test_impossible_dates_are_refused(value: str) -> None:
    with pytest.raises(BadValue):
        parse_date(value, Options(), [])


@pytest.mark.parametrize(("value", "utc"), [
    ("2024-03-05", "2024-03-05T04:00:00.000000Z"),
    ("2024-03-05 14:30", "2024-03-05T06:30:00.000000Z"),
    ("2024/3/5 00:30:15", "2024-03-04T16:30:15.000000Z"),
    ("2024-03-05T14:30:00Z", "2024-03-05T14:30:00.000000Z"),
    ("2024-03-05T14:30:00-05:00", "2024-03-05T19:30:00.000000Z"),
    (datetime(2024, 3, 5, 8, 0), "2024-03-05T00:00:00.000000Z"),
])
def test_times_are_stored_as_utc(value: Any, utc: str) -> None:
    assert parse_datetime(value, Options(), []) == utc


# ---- the real Chicago file -------------------------------------------------


@pytest.mark.skipif(not CHICAGO.exists(), reason="shared Chicago data set not present")
async def test_chicago_history_through_the_map(db: Database) -> None:
    started = time.perf_counter()
    targets = await import_file(db, "targets", CHICAGO, mapping=CHICAGO_MAP)
    inspections = await import_file(db, "inspections", CHICAGO, mapping=CHICAGO_MAP)
    first_pass = time.perf_counter() - started

    assert (targets.rows, targets.added, targets.rejected) == (18781, 9729, [])
    # Licences whose name, risk or place changed between inspections.
    assert len(targets.warnings) == 128
    assert (inspections.rows, inspections.added, inspections.rejected) == (18781, 18781, [])
    assert inspections.details["violations_added"] == 3895 + 6790 + 70105
    assert await _chicago_figures(db) == {
        "targets": 9729, "inspections": 18781, "fail": 3750, "critical": 3895,
        "serious": 6790, "minor": 70105, "high": 6452, "medium": 2479, "low": 798,
    }
    # About 8 s on an idle two-core machine; the bound leaves room for a busy one.
    assert first_pass < 30, f"the Chicago import took {first_pass:.1f} s"

    before = await counts(db)
    again = [await import_file(db, k, CHICAGO, mapping=CHICAGO_MAP)
             for k in ("targets", "inspections")]
    assert [(r.added, r.updated, r.unchanged) for r in again] == [(0, 0, 9729), (0, 0, 18781)]
    assert await counts(db) == before


async def _chicago_figures(db: Database) -> dict[str, int]:
    figures = {
        "targets": await db.fetchval("SELECT count(*) FROM targets"),
        "inspections": await db.fetchval("SELECT count(*) FROM inspections"),
        "fail": await db.fetchval("SELECT count(*) FROM inspections WHERE verdict = 'fail'"),
    }
    for severity, n in await db.fetchall(
            "SELECT severity, count(*) FROM violations GROUP BY severity"):
        figures[severity] = n
    for hazard, n in await db.fetchall("SELECT hazard, count(*) FROM targets GROUP BY hazard"):
        figures[hazard] = n
    return figures


def test_report_is_a_msgspec_struct() -> None:
    report = ImportReport("targets", "t.csv", 0, 0, 0, 0, [], [], stored=True)
    assert report.details == {}
