"""Bad requests get one clear Chinese sentence and a 4xx, never a 500 or Python text."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspection.clock import local_today
from tests.inspection.city import VISIT_TIME, seed, token
from tests.inspection.test_api import assignment_of, draw, inspection_body

Client = AsyncTestClient[Litestar]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


def assert_clear(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert CHINESE.search(detail), detail
    assert "Traceback" not in detail and "msgspec" not in detail


async def test_missing_field_and_naive_time(city: Client) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    body = inspection_body(assignment_of(roster, "XC-001"))
    missing = {k: v for k, v in body.items() if k != "target_id"}
    response = await city.post("/api/v1/inspections", json=missing, headers=inspector)
    assert_clear(response, 422)
    assert "target_id" in response.json()["detail"]
    naive = {**body, "inspected_at": VISIT_TIME[:-6]}
    assert_clear(await city.post("/api/v1/inspections", json=naive, headers=inspector), 422)


@pytest.mark.parametrize("change", [
    {"assignment_id": 99999999999999999999},
    {"inspected_at": "0001-01-01T00:00:00+08:00"},
    {"remark": "长" * 5000},
    {"photos": [{"sha256": "a" * 64, "item_key": "x"}] * 101},
])
async def test_out_of_range_bodies(city: Client, change: dict[str, Any]) -> None:
    roster = await draw(city)
    body = {**inspection_body(assignment_of(roster, "XC-001")), **change}
    response = await city.post("/api/v1/inspections", json=body,
                               headers=await token(city, "insp1"))
    assert_clear(response, 422)


async def test_a_visit_in_the_future_or_on_another_day(city: Client) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    visit = assignment_of(roster, "XC-001")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    future = inspection_body(visit, inspected_at=f"{tomorrow}T10:00:00+08:00")
    assert_clear(await city.post("/api/v1/inspections", json=future, headers=inspector), 422)
    earlier = (local_today() - timedelta(days=3)).isoformat()
    wrong_day = inspection_body(visit, inspected_at=f"{earlier}T10:00:00+08:00")
    assert_clear(await city.post("/api/v1/inspections", json=wrong_day, headers=inspector), 422)


async def test_an_assignment_takes_one_inspection_and_then_no_reassignment(
        city: Client) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    visit = assignment_of(roster, "XC-001")
    first = await city.post("/api/v1/inspections", json=inspection_body(visit),
                            headers=inspector)
    assert first.status_code == 201
    second = await city.post("/api/v1/inspections", json=inspection_body(visit),
                             headers=inspector)
    assert_clear(second, 409)
    moved = await city.post(f"/api/v1/assignments/{visit['id']}/reassign",
                            headers=await token(city, "leader"),
                            json={"inspector_a": "XC-003", "inspector_b": "XC-004",
                                  "reason": "调整"})
    assert_clear(moved, 409)


async def test_an_empty_checklist_is_refused(city: Client, app: Litestar) -> None:
    roster = await draw(city)
    body = inspection_body(assignment_of(roster, "XC-001"), answers={})
    response = await city.post("/api/v1/inspections", json=body,
                               headers=await token(city, "insp1"))
    assert_clear(response, 422)
    assert "尚未填写" in response.json()["detail"]
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM inspections") == 0


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/api/v1/rosters/0001-01-01", 422),
    ("POST", "/api/v1/assignments/99999999999999999999/reassign", 422),
    ("GET", "/api/v1/nowhere", 404),
])
async def test_odd_paths(city: Client, method: str, path: str, status: int) -> None:
    response = await city.request(method, path, headers=await token(city, "leader"),
                                  json={"inspector_a": "XC-003", "inspector_b": "XC-004",
                                        "reason": "x"} if method == "POST" else None)
    assert_clear(response, status)


async def test_huge_offsets_are_a_page_not_an_error(city: Client) -> None:
    response = await city.get("/api/v1/public/results", params={"offset": 10**20})
    assert response.status_code in (200, 422)
    assert (await city.get("/public", params={"page": 10**20})).status_code in (200, 422)


async def test_a_seed_must_be_plain_text(city: Client) -> None:
    response = await city.post("/api/v1/rosters/2026-12-04", json={"seed": "x y" * 3},
                               headers=await token(city, "leader"))
    assert_clear(response, 422)


async def test_malformed_json(city: Client) -> None:
    response = await city.post("/api/v1/inspections", content=b'{"id": ',
                               headers={**await token(city, "insp1"),
                                        "content-type": "application/json"})
    assert_clear(response, 400)
    assert "JSON" in response.json()["detail"]



@pytest.mark.parametrize(("path", "body", "field", "message"), [
    ("/api/v1/rosters/2026-12-04", {"seed": 123}, "seed",
     "字段“seed”：类型不对：应为 str，收到 int"),
    ("/api/v1/holidays", {"day": "2026-13-01", "name": "元旦"}, "day",
     "字段“day”：日期或时间格式有误"),
    ("/api/v1/alerts", {"level": "red", "from_day": "2026-12-04", "to_day": 5}, "to_day",
     "字段“to_day”："),
])
async def test_a_wrong_type_names_its_field(city: Client, path: str, body: dict[str, Any],
                                            field: str, message: str) -> None:
    response = await city.post(path, json=body, headers=await token(city, "leader"))
    assert response.status_code == 422
    assert response.json()["field"] == field and message in response.json()["detail"]
