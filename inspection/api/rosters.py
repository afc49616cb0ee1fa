"""Rosters for leaders, and each inspector's own assignments."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from inspection import rosters
from inspection.api._common import db_of, parse_day, user_of
from inspection.auth import STAFF, require


class GenerateRequest(msgspec.Struct, frozen=True):
    seed: str | None = None
    redraw_reason: str | None = None


class ReassignRequest(msgspec.Struct, frozen=True):
    inspector_a: str
    inspector_b: str
    reason: str


@get("/api/v1/rosters/{day:str}", guards=[require(*STAFF)])
async def show_roster(request: Request[Any, Any, Any], day: FromPath[str]) -> dict[str, Any]:
    """A day's current roster with every assignment."""
    return await rosters.show(db_of(request), parse_day(day))


@post("/api/v1/rosters/{day:str}", guards=[require(*STAFF)], status_code=201)
async def generate_roster(
    request: Request[Any, Any, Any], day: FromPath[str], data: JSONBody[GenerateRequest]
) -> dict[str, Any]:
    """Draw a day's roster; a second draw for the same day needs ``redraw_reason``."""
    when = parse_day(day)
    await rosters.generate(
        db_of(request),
        request.app.state.policy,
        when,
        actor=user_of(request).username,
        seed=data.seed,
        redraw_reason=data.redraw_reason,
    )
    return await rosters.show(db_of(request), when)


@get("/api/v1/rosters/{day:str}/verify", guards=[require(*STAFF)])
async def verify_roster(request: Request[Any, Any, Any], day: FromPath[str]) -> dict[str, Any]:
    """Re-run the stored draw and list any difference."""
    differences = await rosters.verify(db_of(request), parse_day(day))
    return {"identical": not differences, "differences": msgspec.to_builtins(differences)}


@get("/api/v1/assignments", guards=[require("inspector", *STAFF)])
async def my_assignments(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> list[dict[str, Any]]:
    """The day's assignments: an inspector's own, or all of them for staff."""
    return await rosters.assignments_for(db_of(request), user_of(request), parse_day(date))


@post("/api/v1/assignments/{assignment_id:int}/reassign", guards=[require(*STAFF)], status_code=200)
async def reassign(
    request: Request[Any, Any, Any], assignment_id: FromPath[int], data: JSONBody[ReassignRequest]
) -> dict[str, str]:
    """Give a visit to another pair; the reason is required and the original kept."""
    await rosters.reassign(
        db_of(request),
        assignment_id,
        inspector_a=data.inspector_a,
        inspector_b=data.inspector_b,
        reason=data.reason,
        actor=user_of(request).username,
    )
    return {"status": "reassigned"}


ROUTES = [show_roster, generate_roster, verify_roster, my_assignments, reassign]
