"""What every API module needs: the database, the caller, dates from the query."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from inspection.clock import FIRST_DAY, LAST_DAY, local_today
from inspection.db import Database
from inspection.errors import ValidationError
from inspection.users import User


def db_of(request: Request[Any, Any, Any]) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def user_of(request: Request[Any, Any, Any]) -> User:
    user = request.scope.get("user")
    if not isinstance(user, User):
        raise NotAuthorizedException("请先登录")
    return user




def parse_day(value: str | None, field: str = "date") -> date:
    """A local day from the query, today when absent; years 2000 to 2099 only."""
    if not value:
        return local_today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"日期应为 YYYY-MM-DD 格式，收到“{value}”", field=field) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间，收到 {day}", field=field)
    return day
