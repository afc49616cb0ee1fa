"""Logging in for scripts: a bearer token from a username and password."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import JSONBody

from inspection.api._common import db_of, user_of
from inspection.auth import bearer_token, issue_token, require, revoke_token
from inspection.users import User, authenticate

# Password guessing is slowed per client address; argon2 makes each guess costly too.
login_limit = RateLimitConfig(rate_limit=("minute", 30))


class LoginRequest(msgspec.Struct, frozen=True):
    username: str
    password: str


class TokenResponse(msgspec.Struct, frozen=True):
    token: str
    expires_at: str
    role: str


@post(
    "/api/v1/auth/login",
    exclude_from_auth=True,
    status_code=200,
    middleware=[login_limit.middleware],
)
async def login(request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> TokenResponse:
    """Exchange a username and password for a bearer token."""
    user = await authenticate(db_of(request), data.username, data.password)
    if user is None:
        raise NotAuthorizedException("用户名或密码错误")
    token, expires = await issue_token(db_of(request), user, request.app.state.settings.token_hours)
    return TokenResponse(token, expires, user.role)


@post("/api/v1/auth/logout", guards=[require()], status_code=204)
async def logout(request: Request[Any, Any, Any]) -> None:
    """Revoke the bearer token this request carries."""
    token = bearer_token(request.headers)
    if token:
        await revoke_token(db_of(request), token)


@get("/api/v1/me", guards=[require()])
async def me(request: Request[Any, Any, Any]) -> User:
    """Who the token or session belongs to."""
    return user_of(request)


ROUTES = [login, logout, me]
