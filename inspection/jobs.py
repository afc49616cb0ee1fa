"""Scheduled jobs: plain async functions of (database, policy, clock), and the scheduler
that calls them.

Each run first claims its (job, key) row in ``job_runs``; the primary key lets
exactly one process win, so a service with several workers runs a job once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from inspection import corrective, duty, rosters, scores, whitelist
from inspection.clock import LOCAL, local_today
from inspection.db import Database, utcnow
from scoring.policy import Policy

logger = logging.getLogger(__name__)

JOB_ACTOR = "scheduler"


async def claim(db: Database, job: str, run_key: str) -> bool:
    """True for the one caller that gets to run this job for this key."""
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT OR IGNORE INTO job_runs (job, run_key, started_at) VALUES (?, ?, ?)",
            (job, run_key, utcnow()),
        )
        return cursor.rowcount == 1


async def finish(db: Database, job: str, run_key: str, outcome: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE job_runs SET finished_at = ?, outcome = ? WHERE job = ? AND run_key = ?",
            (utcnow(), outcome, job, run_key),
        )


async def run_once(db: Database, job: str, key: str, work: Callable[[], Awaitable[str]]) -> str:
    """Run ``work`` unless another process already claimed (job, key); log one line."""
    if not await claim(db, job, key):
        outcome = "claimed by another process"
    else:
        try:
            outcome = await work()
        except Exception as exc:
            logger.exception("job %s for %s failed", job, key)
            await finish(db, job, key, f"failed: {exc}")
            raise
        await finish(db, job, key, outcome)
    logger.info("job %s for %s: %s", job, key, outcome)
    return outcome


async def draw_tomorrow(db: Database, policy: Policy, *, now: datetime | None = None) -> str:
    """Draw tomorrow's roster unless one exists or it is a holiday; returns what happened."""
    tomorrow = local_today(now) + timedelta(days=1)

    async def work() -> str:
        if await rosters.current_roster_id(db, tomorrow) is not None:
            return "roster already exists"
        holiday = await duty.holiday_name(db, tomorrow)
        if holiday:
            return f"holiday ({holiday}): no roster"
        return f"roster {await rosters.generate(db, policy, tomorrow, actor=JOB_ACTOR)} drawn"

    return await run_once(db, "draw_tomorrow", tomorrow.isoformat(), work)


async def mark_overdue(db: Database, *, now: datetime | None = None) -> str:
    """Mark corrective actions past their deadline overdue, once per local day, and
    notify the enterprise and the leaders; returns what happened, for the log."""
    today = local_today(now)

    async def work() -> str:
        marked = await corrective.mark_overdue(db, today, actor=JOB_ACTOR)
        return f"{len(marked)} corrective actions marked overdue"

    return await run_once(db, "mark_overdue", today.isoformat(), work)


async def monthly_review(db: Database, policy: Policy, *, now: datetime | None = None) -> str:
    """The periodic review on the first of a month: every target's computed tier as of the
    last day of the month before, which the hysteresis rule reads later."""
    as_of = local_today(now).replace(day=1) - timedelta(days=1)

    async def work() -> str:
        reviewed = await scores.record_review(db, policy, as_of, actor=JOB_ACTOR)
        return f"{reviewed} targets reviewed as of {as_of}"

    return await run_once(db, "monthly_review", as_of.strftime("%Y-%m"), work)


async def whitelist_review(db: Database, policy: Policy, *, now: datetime | None = None) -> str:
    """The weekly whitelist review: proposals for a leader over the facts known at the
    end of the day before, once per ISO week."""
    today = local_today(now)
    as_of = today - timedelta(days=1)
    year, week, _ = today.isocalendar()

    async def work() -> str:
        stored = await whitelist.review(db, policy, as_of, actor=JOB_ACTOR, today=today)
        return f"{len(stored)} whitelist proposals stored as of {as_of}"

    return await run_once(db, "whitelist_review", f"{year}-W{week:02d}", work)


# Just after local midnight: an action is overdue from the day after its deadline.
OVERDUE_TIME = (0, 5)
REVIEW_TIME = (1, 0)
# Monday early morning, after the nightly jobs, so the week's proposals wait for the leader.
WHITELIST_TIME = ("mon", 2, 0)


def start_scheduler(app: Any) -> AsyncIOScheduler:
    """Start the in-process scheduler on the running loop (time zone Asia/Shanghai)."""
    settings = app.state.settings
    hour, minute = settings.roster_time
    scheduler = AsyncIOScheduler(timezone=LOCAL, event_loop=asyncio.get_running_loop())
    scheduler.add_job(
        draw_tomorrow,
        CronTrigger(hour=hour, minute=minute, timezone=LOCAL),
        args=[app.state.db, app.state.policy],
        id="draw_tomorrow",
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    scheduler.add_job(
        mark_overdue,
        CronTrigger(hour=OVERDUE_TIME[0], minute=OVERDUE_TIME[1], timezone=LOCAL),
        args=[app.state.db],
        id="mark_overdue",
        coalesce=True,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    scheduler.add_job(
        monthly_review,
        CronTrigger(day=1, hour=REVIEW_TIME[0], minute=REVIEW_TIME[1], timezone=LOCAL),
        args=[app.state.db, app.state.policy],
        id="monthly_review",
        coalesce=True,
        misfire_grace_time=24 * 3600,
        replace_existing=True,
    )
    scheduler.add_job(
        whitelist_review,
        CronTrigger(
            day_of_week=WHITELIST_TIME[0],
            hour=WHITELIST_TIME[1],
            minute=WHITELIST_TIME[2],
            timezone=LOCAL,
        ),
        args=[app.state.db, app.state.policy],
        id="whitelist_review",
        coalesce=True,
        misfire_grace_time=24 * 3600,
        replace_existing=True,
    )
    scheduler.start()
    logger.info(
        "scheduler started: draw_tomorrow daily at %02d:%02d Asia/Shanghai (next %s)",
        hour,
        minute,
        scheduler.get_job("draw_tomorrow").next_run_time,
    )
    logger.info(
        "scheduler: mark_overdue daily at %02d:%02d Asia/Shanghai (next %s)",
        *OVERDUE_TIME,
        scheduler.get_job("mark_overdue").next_run_time,
    )
    logger.info(
        "scheduler: whitelist_review on Mondays at %02d:%02d Asia/Shanghai (next %s)",
        *WHITELIST_TIME[1:],
        scheduler.get_job("whitelist_review").next_run_time,
    )
    return scheduler
