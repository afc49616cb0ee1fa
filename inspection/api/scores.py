"""Risk scores for staff and an enterprise's own status."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath, FromQuery

from inspection import scores, status
from inspection.api._common import db_of, parse_day, user_of
from inspection.auth import STAFF, require
from inspection.errors import NotFoundError
from inspection.status import EnterpriseStatus
from scoring.risk import Score


@get("/api/v1/scores", guards=[require(*STAFF)])
async def list_scores(
    request: Request[Any, Any, Any],
    as_of: FromQuery[str | None] = None,
    tier: FromQuery[str | None] = None,
) -> list[Score]:
    """Every target's tier, interval, score and factors as of a local day."""
    found = await scores.score_targets(
        db_of(request), request.app.state.policy, parse_day(as_of, "as_of")
    )
    return [s for s in found if tier is None or s.tier == tier]


@get("/api/v1/targets/{target_id:str}/score", guards=[require(*STAFF)])
async def target_score(
    request: Request[Any, Any, Any], target_id: FromPath[str], as_of: FromQuery[str | None] = None
) -> Score:
    """One target's score with every factor and the records behind it."""
    found = await scores.score_target(
        db_of(request), request.app.state.policy, parse_day(as_of, "as_of"), target_id
    )
    if found is None:
        raise NotFoundError(f"检查对象“{target_id}”不存在")
    return found


@get("/api/v1/enterprises/{uscc:str}/status", guards=[require("enterprise", *STAFF)])
async def enterprise_status(
    request: Request[Any, Any, Any], uscc: FromPath[str]
) -> EnterpriseStatus:
    """Whitelist, tiers and why, and results of one enterprise; never a next-visit date."""
    status.check_enterprise_access(user_of(request), uscc)
    return await status.enterprise_status(
        db_of(request), request.app.state.policy, uscc, parse_day(None)
    )


ROUTES: list[Any] = [list_scores, target_score, enterprise_status]
