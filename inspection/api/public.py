"""Published results for everyone (一公开)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromQuery

from inspection import status
from inspection.api._common import db_of
from inspection.status import PublicResult


@get("/api/v1/public/results")
async def public_results(
    request: Request[Any, Any, Any],
    q: FromQuery[str] = "",
    limit: FromQuery[int] = 50,
    offset: FromQuery[int] = 0,
) -> list[PublicResult]:
    """Published inspection results, searchable by name or USCC; no personal details."""
    return await status.public_results(
        db_of(request), q, limit=min(max(limit, 1), 200), offset=max(offset, 0)
    )


ROUTES: list[Any] = [public_results]
