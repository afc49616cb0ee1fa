"""Scheduled jobs: plain async functions of (database, policy, clock), and the scheduler
that calls them.

Each run first claims its (job, key) row in ``job_runs``; the primary key lets
exactly one process win, so a service with several workers runs a job once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from inspection import corrective, rosters
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


async def draw_tomorrow(db: Database, policy: Policy, *, now: datetime | None = None) -> str:
    """Draw tomorrow's roster unless one exists; returns what happened, for the log."""
    tomorrow = local_today(now) + timedelta(days=1)
    key = tomorrow.isoformat()
    if not await claim(db, "draw_tomorrow", key):
        outcome = "claimed by another process"
    elif await rosters.current_roster_id(db, tomorrow) is not None:
        outcome = "roster already exists"
        await finish(db, "draw_tomorrow", key, outcome)
    else:
        try:
            roster_id = await rosters.generate(db, policy, tomorrow, actor=JOB_ACTOR)
        except Exception as exc:
            logger.exception("drawing the roster for %s failed", tomorrow)
            await finish(db, "draw_tomorrow", key, f"failed: {exc}")
            raise
        outcome = f"roster {roster_id} drawn"
        await finish(db, "draw_tomorrow", key, outcome)
    logger.info("job draw_tomorrow for %s: %s", tomorrow, outcome)
    return outcome


async def mark_overdue(db: Database, *, now: datetime | None = None) -> str:
    """Mark corrective actions past their deadline overdue, once per local day, and
    notify the enterprise and the leaders; returns what happened, for the log."""
    today = local_today(now)
    key = today.isoformat()
    if not await claim(db, "mark_overdue", key):
        outcome = "claimed by another process"
    else:
        try:
            marked = await corrective.mark_overdue(db, today, actor=JOB_ACTOR)
        except Exception as exc:
            logger.exception("marking corrective actions overdue on %s failed", today)
            await finish(db, "mark_overdue", key, f"failed: {exc}")
            raise
        outcome = f"{len(marked)} corrective actions marked overdue"
        await finish(db, "mark_overdue", key, outcome)
    logger.info("job mark_overdue for %s: %s", today, outcome)
    return outcome


# Just after local midnight: an action is overdue from the day after its deadline.
OVERDUE_TIME = (0, 5)


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
    return scheduler
