"""The whitelist (标杆企业名单): entries in force, the review's proposals, decisions.

Staff only: an enterprise sees its own status on its pages, an inspector nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from inspection import whitelist
from inspection.api._common import db_of, user_of
from inspection.auth import STAFF, require
from inspection.clock import local_today
from inspection.whitelist import Decision, ProposalRead, WhitelistRead


class ReviewResult(msgspec.Struct, frozen=True):
    """What a review run stored."""

    as_of: str
    proposals: list[ProposalRead]


@get("/api/v1/whitelist", guards=[require(*STAFF)])
async def list_whitelist(request: Request[Any, Any, Any]) -> list[WhitelistRead]:
    """The whitelist in force today (local), with enterprise names."""
    return await whitelist.list_current(db_of(request), local_today())


@get("/api/v1/whitelist/proposals", guards=[require(*STAFF)])
async def list_proposals(
    request: Request[Any, Any, Any], status: FromQuery[str | None] = None
) -> list[ProposalRead]:
    """The review's proposals, newest first; ``status`` is pending, approved or rejected."""
    return await whitelist.list_proposals(db_of(request), status=status or None)


@post(
    "/api/v1/whitelist/proposals/{proposal_id:int}/decision",
    guards=[require(*STAFF)],
    status_code=200,
)
async def decide(
    request: Request[Any, Any, Any], proposal_id: FromPath[int], data: JSONBody[Decision]
) -> ProposalRead:
    """Approve or reject a pending proposal; a rejection needs a reason (422). A proposal
    already decided is 409."""
    return await whitelist.decide(
        db_of(request),
        proposal_id,
        approve=data.approve,
        reason=data.reason,
        actor=user_of(request),
    )


@post("/api/v1/whitelist/review", guards=[require(*STAFF)], status_code=201)
async def run_review(request: Request[Any, Any, Any]) -> ReviewResult:
    """Run the periodic review now, over the facts known at the end of yesterday (local);
    answers the proposals it stored (none when all were already pending)."""
    as_of = local_today() - timedelta(days=1)
    db = db_of(request)
    ids = await whitelist.review(
        db, request.app.state.policy, as_of, actor=user_of(request).username
    )
    return ReviewResult(as_of.isoformat(), [await whitelist.read_proposal(db, i) for i in ids])


ROUTES: list[Any] = [list_whitelist, list_proposals, decide, run_review]
