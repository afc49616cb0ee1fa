"""Excel exports for the leader: a day's roster and inspection results.

Workbooks are built in a worker thread (openpyxl is pure Python and slow enough
to stall the event loop on a month of results). Text that begins with "=" is
stored as text, never as a formula: names and remarks come from outside.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from inspection import rosters
from inspection.clock import day_end_utc, local_text
from inspection.db import Database
from inspection.labels import KINDS, REASONS, STATUSES, VERDICTS

# The longest span of days one results export may cover (a leap year).
MAX_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ROSTER_HEADER = (
    "序号", "检查对象编号", "检查对象", "类别", "区县", "地址", "统一社会信用代码",
    "抽取原因", "入选概率", "检查员一", "检查员二", "状态", "人工调整次数", "检查记录编号",
)  # fmt: skip

RESULTS_HEADER = (
    "检查记录编号", "检查时间", "企业名称", "统一社会信用代码", "检查对象", "类别", "区县",
    "检查员一", "检查员二", "结论", "问题数", "发现的问题", "照片数", "来源",
)  # fmt: skip

RESULTS_SQL = """
SELECT i.id, i.inspected_at, e.name AS enterprise, t.enterprise_uscc, t.name AS target,
       t.kind, t.district, ia.name AS inspector_a, ib.name AS inspector_b, i.verdict,
       i.judgement, i.source,
       (SELECT COUNT(*) FROM photos p WHERE p.inspection_id = i.id) AS photos
FROM inspections i
JOIN targets t ON t.id = i.target_id
LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc
LEFT JOIN inspectors ia ON ia.id = i.inspector_a
LEFT JOIN inspectors ib ON ib.id = i.inspector_b
WHERE i.inspected_at >= ? AND i.inspected_at < ?
ORDER BY i.inspected_at, i.id
"""


def _write(sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for number, (column, title) in enumerate(zip(sheet.columns, header, strict=False), 1):
        widest = max((len(str(c.value or "")) for c in column), default=len(title))
        sheet.column_dimensions[get_column_letter(number)].width = min(max(widest, 6) * 1.6, 48)


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_workbook(roster: dict[str, Any]) -> bytes:
    """A roster as a workbook: the visits, and a second sheet with what the draw used."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{roster['day']} 检查计划"
    rows = (
        (
            a["position"], a["target_id"], a["target_name"], KINDS.get(a["kind"], a["kind"]),
            a["district"], a["address"], a["enterprise_uscc"] or "",
            REASONS.get(a["reason"], a["reason"]), round(a["probability"], 4),
            a["inspector_a_name"], a["inspector_b_name"], STATUSES.get(a["status"], a["status"]),
            a["changes"], a["inspection_id"] or "",
        )
        for a in roster["assignments"]
    )  # fmt: skip
    _write(sheet, ROSTER_HEADER, rows)
    about = book.create_sheet("抽取信息")
    facts = [
        ("日期", str(roster["day"])), ("随机种子", roster["seed"]),
        ("评分规则版本", roster["policy_version"]), ("抽取算法", roster["algorithm"]),
        ("评分截至", str(roster["as_of"])), ("容量", roster["capacity"]),
        ("候选清单摘要", roster["candidates_digest"]),
        ("检查员清单摘要", roster["inspectors_digest"]),
        ("抽取人", roster["created_by"]), ("抽取时间", local_text(roster["created_at"])),
    ]  # fmt: skip
    _write(about, ("项目", "内容"), facts)
    return _save(book)


async def roster_xlsx(db: Database, day: date) -> bytes:
    """The current roster of a day as .xlsx bytes; NotFoundError when none is drawn."""
    roster = await rosters.show(db, day)
    return await asyncio.to_thread(roster_workbook, roster)


def _result_row(r: Any) -> tuple[Any, ...]:
    findings = msgspec.json.decode(r["judgement"]).get("findings", [])
    return (
        r["id"], local_text(r["inspected_at"]), r["enterprise"] or "", r["enterprise_uscc"] or "",
        r["target"], KINDS.get(r["kind"], r["kind"]), r["district"], r["inspector_a"] or "",
        r["inspector_b"] or "", VERDICTS.get(r["verdict"], r["verdict"]), len(findings),
        "；".join(f["message"] for f in findings), r["photos"],
        "现场检查" if r["source"] == "app" else "导入",
    )  # fmt: skip


def results_workbook(rows: Sequence[Any], first: date, last: date) -> bytes:
    """Inspection results of a span of local days as a workbook."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "检查结果"
    _write(sheet, RESULTS_HEADER, (_result_row(r) for r in rows))
    _write(
        book.create_sheet("说明"),
        ("项目", "内容"),
        [("起始日期", str(first)), ("截止日期", str(last)), ("记录数", len(rows))],
    )
    return _save(book)


async def results_xlsx(db: Database, first: date, last: date) -> bytes:
    """Inspections with local days from first to last (inclusive) as .xlsx bytes."""
    window = (day_end_utc(first - timedelta(days=1)), day_end_utc(last))
    rows = await db.fetchall(RESULTS_SQL, window)
    return await asyncio.to_thread(results_workbook, rows, first, last)
