"""Sessions: none for anonymous traffic, a new id at login."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspection.settings import Settings
from tests.inspection.city import PASSWORD, seed

Client = AsyncTestClient[Litestar]


def stored_sessions(settings: Settings) -> list[Path]:
    folder = settings.media / "sessions"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def test_anonymous_requests_store_no_session(client: Client, settings: Settings) -> None:
    for path in ("/healthz", "/public", "/login", "/api/v1/public/results"):
        response = await client.get(path)
        assert "session=" not in response.headers.get("set-cookie", "")
    assert stored_sessions(settings) == []


async def test_login_gets_a_fresh_session_id(client: Client, app: Litestar,
                                             settings: Settings) -> None:
    await seed(app.state.db)
    client.cookies.set("session", "a" * 32)
    form = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token
    response = await client.post("/login", follow_redirects=False, data={
        "username": "leader", "password": PASSWORD, "_csrf_token": token.group(1)})
    assert response.status_code == 303
    new_id = response.cookies.get("session")
    assert new_id and new_id != "a" * 32
    assert len(stored_sessions(settings)) == 1
    assert (await client.get("/leader/roster")).status_code == 200
