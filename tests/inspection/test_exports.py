"""Excel exports of a day's roster and of inspection results, through the real app."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from inspection import exports
from inspection.db import utcnow
from tests.inspection.city import seed, token
from tests.inspection.test_pages import DAY, PHOTO, drawn, record_visit, visit_of

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


def sheet_rows(content: bytes, sheet: int = 0) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    return [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


async def test_roster_export_has_every_visit_and_the_draw(city: Client) -> None:
    roster = await drawn(city)
    response = await city.get(f"/leader/roster.xlsx?date={DAY}",
                              headers=await token(city, "leader"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(exports.XLSX)
    assert "filename*=UTF-8''" in response.headers["content-disposition"]

    rows = sheet_rows(response.content)
    assert tuple(rows[0]) == exports.ROSTER_HEADER
    assert len(rows) == len(roster["assignments"]) + 1
    first = roster["assignments"][0]
    assert rows[1][:4] == [1, first["target_id"], first["target_name"], "餐饮单位"
                           if first["kind"] == "restaurant" else "建筑工地"]
    about = dict((k, v) for k, v in sheet_rows(response.content, 1)[1:])
    assert about["随机种子"] == roster["seed"]
    assert about["候选清单摘要"] == roster["candidates_digest"]


async def test_roster_export_of_an_undrawn_day_is_not_found(city: Client) -> None:
    response = await city.get("/leader/roster.xlsx?date=2026-12-05",
                              headers=await token(city, "leader"))
    assert response.status_code == 404


async def test_results_export_covers_the_days_asked_for(city: Client) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    inspection_id = await record_visit(city, visit, PHOTO.read_bytes(), fail=True)
    leader = await token(city, "leader")

    inside = await city.get(f"/leader/results.xlsx?start={DAY}&end={DAY}", headers=leader)
    rows = sheet_rows(inside.content)
    assert tuple(rows[0]) == exports.RESULTS_HEADER
    (row,) = rows[1:]
    assert row[0] == inspection_id and row[1] == "2026-12-04 00:05"
    assert row[9] == "不合格" and row[10] == 1 and row[13] == "现场检查"

    # 00:05 local on the 4th; the day before and the day after hold nothing.
    for day in ("2026-12-03", "2026-12-05"):
        other = await city.get(f"/leader/results.xlsx?start={day}&end={day}", headers=leader)
        assert len(sheet_rows(other.content)) == 1


@pytest.mark.parametrize(("query", "field"), [
    ("start=2026-12-05&end=2026-12-04", "start"),
    ("start=2025-12-03&end=2026-12-04", "start"),
    ("start=4.12.2026", "start"),
])
async def test_results_export_refuses_a_bad_span(city: Client, query: str, field: str) -> None:
    headers = {**await token(city, "leader"), "accept": "application/json"}
    response = await city.get(f"/leader/results.xlsx?{query}", headers=headers)
    assert response.status_code == 422
    assert response.json()["field"] == field


async def test_a_span_of_366_days_is_allowed(city: Client) -> None:
    response = await city.get("/leader/results.xlsx?start=2025-12-04&end=2026-12-04",
                              headers=await token(city, "leader"))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["insp1", "acme"])
async def test_exports_are_for_leaders_only(city: Client, who: str) -> None:
    await drawn(city)
    for path in (f"/leader/roster.xlsx?date={DAY}", "/leader/results.xlsx"):
        response = await city.get(path, headers=await token(city, who))
        assert response.status_code == 403, path


async def test_text_that_looks_like_a_formula_stays_text(city: Client, app: Litestar) -> None:
    async with app.state.db.transaction() as tx:
        await tx.execute("UPDATE targets SET name = ?, updated_at = ? WHERE id = 'R-1'",
                         ('=HYPERLINK("http://example.com","点我")', utcnow()))
    await drawn(city)
    content = await exports.roster_xlsx(app.state.db, date.fromisoformat(DAY))
    book = load_workbook(io.BytesIO(content))
    cells = [c for row in book.active.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)
