"""Seeds committed ahead, leave, holidays, alerts and the published draws."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspection import rosters
from inspection.clock import local_today
from scoring.policy import load_policy
from tests.inspection.city import seed, token

Client = AsyncTestClient[Litestar]
DAY = date(2026, 12, 4)


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


async def test_drawing_a_day_commits_the_next_days_seed(city: Client, app: Litestar) -> None:
    db = app.state.db
    await rosters.generate(db, load_policy(), DAY, actor="t")
    row = await db.fetchone("SELECT seed_sha256, seed, revealed_at FROM seed_commitments"
                            " WHERE day = ?", ((DAY + timedelta(days=1)).isoformat(),))
    assert row["revealed_at"] is None
    assert hashlib.sha256(row["seed"].encode()).hexdigest() == row["seed_sha256"]

    await rosters.generate(db, load_policy(), DAY + timedelta(days=1), actor="t")
    used = await db.fetchval("SELECT seed FROM rosters WHERE day = ?",
                             ((DAY + timedelta(days=1)).isoformat(),))
    assert used == row["seed"]


async def test_a_committed_seed_cannot_be_swapped(city: Client, app: Litestar) -> None:
    db = app.state.db
    await rosters.generate(db, load_policy(), DAY, actor="t")
    with pytest.raises(Exception, match="事先承诺"):
        await rosters.generate(db, load_policy(), DAY + timedelta(days=1), actor="t",
                               seed="chosen-after-the-fact")


async def test_an_inspector_on_leave_is_not_drawn(city: Client, app: Litestar) -> None:
    leader = await token(city, "leader")
    response = await city.post("/api/v1/inspectors/XC-001/absences", headers=leader, json={
        "from_day": "2026-12-04", "to_day": "2026-12-04", "reason": "年假"})
    assert response.status_code == 201
    roster = (await city.post("/api/v1/rosters/2026-12-04", json={}, headers=leader)).json()
    drawn = {i for a in roster["assignments"] for i in (a["inspector_a"], a["inspector_b"])}
    assert "XC-001" not in drawn
    assert roster["capacity"] == 4


async def test_leave_needs_a_sane_range_and_a_known_inspector(city: Client) -> None:
    leader = await token(city, "leader")
    backwards = await city.post("/api/v1/inspectors/XC-001/absences", headers=leader, json={
        "from_day": "2026-12-05", "to_day": "2026-12-04"})
    assert backwards.status_code == 422
    unknown = await city.post("/api/v1/inspectors/XC-999/absences", headers=leader, json={
        "from_day": "2026-12-04", "to_day": "2026-12-04"})
    assert unknown.status_code == 404


async def test_no_roster_on_a_holiday(city: Client) -> None:
    leader = await token(city, "leader")
    await city.post("/api/v1/holidays", headers=leader,
                    json={"day": "2027-01-01", "name": "元旦"})
    refused = await city.post("/api/v1/rosters/2027-01-01", json={}, headers=leader)
    assert refused.status_code == 422 and "元旦" in refused.json()["detail"]


async def test_alert_levels_are_checked(city: Client) -> None:
    leader = await token(city, "leader")
    ok = await city.post("/api/v1/alerts", headers=leader, json={
        "level": "orange", "from_day": "2026-12-04", "to_day": "2026-12-06"})
    assert ok.status_code == 201
    bad = await city.post("/api/v1/alerts", headers=leader, json={
        "level": "purple", "from_day": "2026-12-04", "to_day": "2026-12-06"})
    assert bad.status_code == 422 and "purple" in bad.json()["detail"]
    # 31 days at most: 2026-12-04 to 2027-01-03 is 31, one more day is refused.
    longest = await city.post("/api/v1/alerts", headers=leader, json={
        "level": "red", "from_day": "2026-12-04", "to_day": "2027-01-03"})
    assert longest.status_code == 201
    too_long = await city.post("/api/v1/alerts", headers=leader, json={
        "level": "red", "from_day": "2026-12-04", "to_day": "2027-01-04"})
    assert too_long.status_code == 422 and too_long.json()["field"] == "to_day"
    detail = too_long.json()["detail"]
    assert "一次预警最长 31 天" in detail and "32 天" in detail


async def test_a_holiday_needs_a_name(city: Client) -> None:
    leader = await token(city, "leader")
    blank = await city.post("/api/v1/holidays", headers=leader, json={"day": "2027-01-01",
                                                                      "name": "  "})
    assert blank.status_code == 422 and blank.json()["field"] == "name"


async def test_a_drawn_day_cannot_become_a_holiday(city: Client, app: Litestar) -> None:
    leader = await token(city, "leader")
    assert (await city.post(f"/api/v1/rosters/{DAY}", json={}, headers=leader)).status_code == 201
    late = await city.post("/api/v1/holidays", headers=leader,
                           json={"day": DAY.isoformat(), "name": "临时停工"})
    assert late.status_code == 409 and late.json()["field"] == "day"
    assert "已有检查计划" in late.json()["detail"]
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM holidays") == 0


async def test_public_sees_past_draws_and_only_hashes_of_future_seeds(
        city: Client, app: Litestar) -> None:
    today = local_today()
    await rosters.generate(app.state.db, load_policy(), today - timedelta(days=1), actor="t")
    past = (await city.get("/api/v1/public/rosters")).json()
    assert [d["day"] for d in past] == [(today - timedelta(days=1)).isoformat()]
    # Nothing was committed before this first draw: the page must not pass it off as committed.
    assert past[0]["committed_in_advance"] is False
    assert past[0]["seed"] and past[0]["candidates_digest"] and len(past[0]["visits"]) == 3
    assert "XC-00" not in str(past)
    future = (await city.get("/api/v1/public/seed-commitments")).json()
    assert [c["day"] for c in future] == [today.isoformat()]
    assert set(future[0]) == {"day", "seed_sha256", "committed_at"}


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/inspectors/XC-001/absences", {"from_day": "2026-12-04", "to_day": "2026-12-04"}),
    ("/api/v1/holidays", {"day": "2027-01-01", "name": "元旦"}),
    ("/api/v1/alerts", {"level": "red", "from_day": "2026-12-04", "to_day": "2026-12-04"}),
])
@pytest.mark.parametrize("who", ["insp1", "acme"])
async def test_only_staff_manage_duty(city: Client, path: str, body: dict[str, str],
                                      who: str) -> None:
    response = await city.post(path, json=body, headers=await token(city, who))
    assert response.status_code == 403


async def test_public_page_shows_past_draws(city: Client, app: Litestar) -> None:
    today = local_today()
    await rosters.generate(app.state.db, load_policy(), today - timedelta(days=1), actor="t")
    await rosters.generate(app.state.db, load_policy(), today - timedelta(days=1), actor="t",
                           redraw_reason="两名检查员临时请假")
    page = await city.get("/public/rosters")
    assert page.status_code == 200
    assert "种子摘要" in page.text and "清风小厨" in page.text
    assert page.text.count("此种子未事先承诺") == 1
    assert "本日计划曾重新抽取 1 次" in page.text and "两名检查员临时请假" in page.text
    # Today's seed was committed by yesterday's draw: in advance, so no warning for it.
    await rosters.generate(app.state.db, load_policy(), today, actor="t")
    await rosters.generate(app.state.db, load_policy(), today + timedelta(days=1), actor="t")
    tomorrow = local_today() + timedelta(days=2)
    from inspection.duty import public_rosters

    days = {d["day"]: d["committed_in_advance"]
            for d in await public_rosters(app.state.db, tomorrow)}
    assert days == {(today - timedelta(days=1)).isoformat(): False,
                    today.isoformat(): True, (today + timedelta(days=1)).isoformat(): True}
    assert "XC-00" not in page.text and "张伟" not in page.text


async def test_an_alert_is_part_of_the_draw_and_of_verify(city: Client, app: Litestar) -> None:
    leader = await token(city, "leader")
    await city.post("/api/v1/alerts", headers=leader, json={
        "level": "red", "from_day": "2026-12-04", "to_day": "2026-12-04", "reason": "重污染"})
    roster = (await city.post("/api/v1/rosters/2026-12-04", json={}, headers=leader)).json()
    assert "alert=red" in roster["algorithm"]
    verified = (await city.get("/api/v1/rosters/2026-12-04/verify", headers=leader)).json()
    assert verified["identical"]
    inputs = await app.state.db.fetchval("SELECT inputs FROM rosters")
    assert '"alert":"red"' in inputs


async def test_workload_so_far_this_month_is_recorded(city: Client, app: Litestar) -> None:
    db = app.state.db
    await rosters.generate(db, load_policy(), date(2026, 12, 2), actor="t")
    await rosters.generate(db, load_policy(), date(2026, 12, 3), actor="t")
    inputs = await db.fetchval("SELECT inputs FROM rosters WHERE day = '2026-12-03'")
    workload = json.loads(inputs)["workload"]
    assert sum(workload.values()) == 2 * 3


async def test_a_drawn_target_no_pair_may_visit_is_stored_and_shown(
    city: Client, app: Litestar
) -> None:
    from tests.inspection.city import ACME

    db = app.state.db
    async with db.transaction() as tx:
        inspectors = [r[0] for r in await tx.fetchall("SELECT id FROM inspectors")]
        await tx.executemany(
            "INSERT INTO conflicts (inspector_id, enterprise_uscc, reason) VALUES (?, ?, '亲属')",
            [(i, ACME) for i in inspectors],
        )
    leader = await token(city, "leader")
    roster = (await city.post(f"/api/v1/rosters/{DAY}", json={}, headers=leader)).json()
    # Every inspector declared a conflict with ACME: its two restaurants are drawn
    # (capacity exceeds the register) but no pair may take them.
    assert [u["target_id"] for u in roster["unpaired"]] == ["R-1", "R-2"]
    assert {a["target_id"] for a in roster["assignments"]} == {"S-1"}
    assert roster["backlog"] == 0
    assert (await rosters.verify(db, DAY)) == []
    page = await city.get(f"/leader/roster?date={DAY}", headers=leader)
    assert "2 个抽中对象没有可派的检查组" in page.text and "R-2" in page.text
    from inspection.cli import _roster_table

    table = _roster_table(await rosters.show(db, DAY))
    assert "须人工安排" in table and "R-1" in table.split("须人工安排")[1]

    async with db.transaction() as tx:
        await tx.execute("UPDATE rosters SET unpaired = '[]'")
    [difference] = await rosters.verify(db, DAY)
    # In selection order, which the day's random seed decides.
    assert difference.what == "unpaired" and sorted(json.loads(difference.redrawn)) == [
        "R-1", "R-2"]
