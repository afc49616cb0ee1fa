"""The nightly roster job, called with a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from inspection import jobs
from inspection.db import Database
from scoring.policy import load_policy
from tests.inspection.city import seed

# 18:00 in Xuchang on 3 December is 10:00 UTC; "tomorrow" is then the 4th.
EVENING = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
# 23:30 UTC on the 3rd is already 07:30 on the 4th in Xuchang.
LATE_UTC = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)


async def test_draws_tomorrow_once(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        policy = load_policy()
        first = await jobs.draw_tomorrow(db, policy, now=EVENING)
        second = await jobs.draw_tomorrow(db, policy, now=EVENING)
        days = [r[0] for r in await db.fetchall("SELECT day FROM rosters")]
    assert first.startswith("roster 1 drawn")
    assert second == "claimed by another process"
    assert days == ["2026-12-04"]


async def test_tomorrow_is_a_local_day(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        await jobs.draw_tomorrow(db, load_policy(), now=LATE_UTC)
        assert await db.fetchval("SELECT day FROM rosters") == "2026-12-05"


async def test_two_processes_race_and_one_draws(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    async with Database(path) as setup:
        await seed(setup)
    policy = load_policy()
    async with Database(path) as one, Database(path) as two:
        outcomes = await asyncio.gather(jobs.draw_tomorrow(one, policy, now=EVENING),
                                        jobs.draw_tomorrow(two, policy, now=EVENING))
        assert sorted(o.split(" ")[0] for o in outcomes) == ["claimed", "roster"]
        assert await one.fetchval("SELECT COUNT(*) FROM rosters") == 1


async def test_an_existing_roster_is_kept(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        policy = load_policy()
        from datetime import date

        from inspection import rosters

        await rosters.generate(db, policy, date(2026, 12, 4), actor="leader")
        outcome = await jobs.draw_tomorrow(db, policy, now=EVENING)
        assert outcome == "roster already exists"
        assert await db.fetchval("SELECT COUNT(*) FROM rosters") == 1


# 01:00 on 1 December in Xuchang.
FIRST_OF_MONTH = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


async def test_monthly_review_records_every_target_once(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        policy = load_policy()
        first = await jobs.monthly_review(db, policy, now=FIRST_OF_MONTH)
        again = await jobs.monthly_review(db, policy, now=FIRST_OF_MONTH)
        rows = await db.fetchall("SELECT target_id, as_of FROM tier_reviews ORDER BY target_id")
    assert first == "3 targets reviewed as of 2026-11-30"
    assert again == "claimed by another process"
    assert [tuple(r) for r in rows] == [("R-1", "2026-11-30"), ("R-2", "2026-11-30"),
                                        ("S-1", "2026-11-30")]


async def test_only_the_latest_reviews_are_read(tmp_path: Path) -> None:
    from inspection.scores import REVIEWS_KEPT, previous_tiers

    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        months = [f"2026-{m:02d}-01" for m in range(1, 10)]
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO tier_reviews VALUES ('R-1', ?, ?, ?, 0, 'test')",
                [(day, tier, tier) for day, tier in zip(months, "LMEHXLMEH", strict=True)])
        found = await previous_tiers(db, date(2026, 9, 1))
        one = await previous_tiers(db, date(2026, 9, 1), target_id="R-1")
    # Reviews before 1 September, newest first, at most REVIEWS_KEPT of them.
    assert REVIEWS_KEPT == 6
    assert found == one == {"R-1": ("E", "M", "L", "X", "H", "E")}


async def test_the_roster_holds_a_tier_up_as_reviews_say(tmp_path: Path) -> None:
    from inspection.rosters import build_inputs
    from inspection.scores import score_target

    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        policy = load_policy()
        day = date(2026, 12, 4)
        before = await build_inputs(db, policy, day, "seed")
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO tier_reviews VALUES ('R-1', ?, 'H', 'H', 70, 'test')",
                [("2026-10-31",), ("2026-11-30",)])
        after = await build_inputs(db, policy, day, "seed")
        score = await score_target(db, policy, date(2026, 12, 3), "R-1")
    tier = {c.target_id: c.tier for c in after.candidates}
    assert {c.target_id: c.tier for c in before.candidates}["R-1"] != "H"
    assert score is not None and tier["R-1"] == score.tier == "H"


async def test_reviews_hold_a_tier_up_until_enough_qualify(tmp_path: Path) -> None:
    from inspection.scores import score_target

    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        policy = load_policy()
        as_of = date(2026, 12, 3)
        clean = await score_target(db, policy, as_of, "R-1")
        assert clean is not None
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO tier_reviews VALUES ('R-1', ?, 'H', 'H', 70, 'test')",
                [("2026-10-31",), ("2026-11-30",)])
        held = await score_target(db, policy, as_of, "R-1")
    assert held is not None
    assert held.computed_tier == clean.tier
    assert held.tier == "H" and clean.tier != "H"
