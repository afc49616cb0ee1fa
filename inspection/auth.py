"""Who is calling: session cookies for pages, bearer tokens for scripts, role guards.

A request with an ``Authorization: Bearer`` header is judged by that token
alone and never by a cookie, which is why such requests may skip the CSRF
check: a browser never adds that header on its own.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from inspection.clock import now_utc, to_utc_text
from inspection.db import Database
from inspection.users import User, get_user

logger = logging.getLogger(__name__)

SESSION_USER_KEY = "user_id"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def issue_token(db: Database, user: User, hours: int) -> tuple[str, str]:
    """A new bearer token for the user and its expiry; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    expires = to_utc_text(now_utc() + timedelta(hours=hours))
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO api_tokens (token_sha256, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_digest(token), user.id, to_utc_text(now_utc()), expires),
        )
    return token, expires


async def revoke_token(db: Database, token: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM api_tokens WHERE token_sha256 = ?", (token_digest(token),))


def bearer_token(headers: Any) -> str | None:
    value = str(headers.get("authorization", ""))
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class XunchaAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to the caller, or None for the public."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        db: Database = connection.app.state.db
        token = bearer_token(connection.headers)
        if token is not None:
            user_id = await db.fetchval(
                "SELECT user_id FROM api_tokens WHERE token_sha256 = ? AND expires_at > ?",
                (token_digest(token), to_utc_text(now_utc())),
            )
            user = None if user_id is None else await get_user(db, user_id)
            if user is None:
                raise NotAuthorizedException("令牌无效或已过期，请重新登录")
            return AuthenticationResult(user=user, auth=token)

        session = connection.scope.get("session")
        user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
        user = None if user_id is None else await get_user(db, int(user_id))
        return AuthenticationResult(user=user, auth=None)


class BearerAwareCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, skipped for bearer-token requests (see module docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            for name, value in scope["headers"]:
                if name == b"authorization" and value[:7].lower() == b"bearer ":
                    await self.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    user = connection.scope.get("user")
    return user if isinstance(user, User) else None


def require(*roles: str) -> Any:
    """A guard: 401 for the public, 403 for a logged-in user of another role."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException("请先登录")
        if roles and user.role not in roles:
            logger.warning(
                "denied %s %s to %s (%s)",
                connection.scope.get("method"),
                connection.url.path,
                user.username,
                user.role,
            )
            raise PermissionDeniedException("无权访问")

    return guard


STAFF = ("admin", "leader")
