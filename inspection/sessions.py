"""Server-side sessions that exist only for logged-in users.

Litestar's backend stores a session for every request, even an empty one,
so anonymous traffic would fill the store. This backend writes nothing for an
empty session, and gives a fresh session id at login so that an id handed
out before login is worth nothing after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

ROTATE_KEY = "_rotate"


def start_session(request: Any, data: dict[str, Any]) -> None:
    """Begin a logged-in session under a new id."""
    request.set_session({**data, ROTATE_KEY: True})


class LoggedInSessionBackend(ServerSideSessionBackend):
    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        old_id = connection.cookies.get(self.config.key)
        if scope_session is not Empty and not scope_session and not old_id:
            return
        if not isinstance(scope_session, dict) or not scope_session.pop(ROTATE_KEY, False):
            await super().store_in_message(scope_session, message, connection)
            return

        store = self.config.get_store_from_app(connection.scope["app"])
        if old_id:
            await self.delete(old_id, store=store)
        new_id = self.generate_session_id()
        await self.set(new_id, self.serialize_data(scope_session, connection.scope), store=store)
        params = dict(extract_dataclass_items(self.config, exclude_none=True,
                                              include=Cookie.__dict__.keys()))
        MutableScopeHeaders.from_message(message).add(
            "Set-Cookie", Cookie(value=new_id, key=self.config.key, **params).to_header(header=""))


@dataclass
class LoggedInSessionConfig(ServerSideSessionConfig):
    _backend_class = LoggedInSessionBackend
