"""Duty and transparency: absences, holidays, pollution alerts, published draws."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from inspection import duty
from inspection.api._common import db_of, user_of
from inspection.auth import STAFF, require
from inspection.clock import local_today
from inspection.duty import AbsenceCreate, AlertCreate, HolidayCreate


@post("/api/v1/inspectors/{inspector_id:str}/absences", guards=[require(*STAFF)], status_code=201)
async def add_absence(
    request: Request[Any, Any, Any], inspector_id: FromPath[str], data: JSONBody[AbsenceCreate]
) -> dict[str, int]:
    """Record leave: the inspector is left out of the draws for those days."""
    absence_id = await duty.add_absence(
        db_of(request), inspector_id, data, user_of(request).username
    )
    return {"id": absence_id}


@post("/api/v1/holidays", guards=[require(*STAFF)], status_code=201)
async def add_holiday(
    request: Request[Any, Any, Any], data: JSONBody[HolidayCreate]
) -> dict[str, str]:
    """Mark a holiday: no routine roster is drawn for it."""
    await duty.add_holiday(db_of(request), data, user_of(request).username)
    return {"day": data.day.isoformat()}


@post("/api/v1/alerts", guards=[require(*STAFF)], status_code=201)
async def declare_alert(
    request: Request[Any, Any, Any], data: JSONBody[AlertCreate]
) -> dict[str, int]:
    """Declare a yellow, orange or red heavy-pollution alert for a range of days."""
    alert_id = await duty.declare_alert(db_of(request), data, user_of(request).username)
    return {"id": alert_id}


@get("/api/v1/public/rosters")
async def public_rosters(
    request: Request[Any, Any, Any], limit: FromQuery[int] = 30
) -> list[dict[str, Any]]:
    """Each past day's draw: seed, its earlier commitment, digests and drawn targets."""
    return await duty.public_rosters(db_of(request), local_today(), limit=min(max(limit, 1), 365))


@get("/api/v1/public/seed-commitments")
async def seed_commitments(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """SHA-256 of the seeds of draws still to come, published before the draw."""
    return await duty.upcoming_commitments(db_of(request), local_today())


ROUTES: list[Any] = [add_absence, add_holiday, declare_alert, public_rosters, seed_commitments]
