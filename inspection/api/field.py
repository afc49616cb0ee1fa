"""What the field app needs beyond recording: the receipt check.

The phone keeps its own outbox; this endpoint says what the server actually
holds from the caller on one local day, so the app can show and resend any
difference.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
from litestar import Request, get
from litestar.params import FromQuery

from inspection.api._common import db_of, parse_day, user_of
from inspection.auth import STAFF, require
from inspection.clock import day_end_utc, local_text
from inspection.db import Database


class ReceivedInspection(msgspec.Struct, frozen=True):
    """One inspection the server holds, with the SHA-256 of every photo it received."""

    id: str
    target_id: str
    target_name: str
    assignment_id: int | None
    inspected_at: str
    received_at: str
    verdict: str
    photos_expected: list[str]
    photos: list[str]


class Receipt(msgspec.Struct, frozen=True):
    day: date
    username: str
    inspections: list[ReceivedInspection]


RECEIVED_SQL = """
SELECT i.id, i.target_id, t.name AS target_name, i.assignment_id, i.inspected_at,
       i.created_at, i.verdict
FROM inspections i JOIN targets t ON t.id = i.target_id
WHERE i.submitted_by = ? AND i.created_at >= ? AND i.created_at < ?
ORDER BY i.created_at
"""


async def _hashes(db: Database, table: str, inspection_id: str) -> list[str]:
    # Table names come from this module only, never from the request.
    rows = await db.fetchall(
        f"SELECT sha256 FROM {table} WHERE inspection_id = ? ORDER BY sha256", (inspection_id,)
    )
    return [r[0] for r in rows]


async def received(db: Database, username: str, day: date) -> Receipt:
    """Inspections the server received from a user on a local day, with their photo hashes."""
    window = (day_end_utc(day - timedelta(days=1)), day_end_utc(day))
    rows = await db.fetchall(RECEIVED_SQL, (username, *window))
    found = [
        ReceivedInspection(
            r["id"],
            r["target_id"],
            r["target_name"],
            r["assignment_id"],
            local_text(r["inspected_at"]),
            local_text(r["created_at"]),
            r["verdict"],
            await _hashes(db, "expected_photos", r["id"]),
            await _hashes(db, "photos", r["id"]),
        )
        for r in rows
    ]
    return Receipt(day, username, found)


@get("/api/v1/field/received", guards=[require("inspector", *STAFF)])
async def received_today(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> Receipt:
    """What the server received from the caller on a local day (today by default):
    each inspection with the hashes of the photos it holds, for the app's receipt check."""
    return await received(db_of(request), user_of(request).username, parse_day(date))


ROUTES = [received_today]
