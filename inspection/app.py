"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.file import FileStore
from litestar.template.config import TemplateConfig

from inspection import api, http_errors, jobs, pages
from inspection.auth import BearerAwareCSRFMiddleware, XunchaAuthMiddleware
from inspection.db import Database
from inspection.fonts import find_cjk_font
from inspection.sessions import LoggedInSessionConfig
from inspection.settings import Settings, SettingsError
from scoring.policy import load_policy

logger = logging.getLogger(__name__)

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


@get("/healthz", exclude_from_auth=True)
async def healthz(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Answers 200 when the database is reachable."""
    await request.app.state.db.fetchval("SELECT 1")
    return {"status": "ok"}


def _check_media(media: Path) -> None:
    probe = media / ".write-test"
    try:
        media.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(f"XUNCHA_MEDIA={media} 不可写：{exc.strerror}") from None


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the service; start-up checks the database, media folder, font and policy."""
    settings = settings or Settings.from_env()
    policy = load_policy(settings.policy)

    _check_media(settings.media)
    font = find_cjk_font()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = await Database(settings.db).open()
        scheduler = jobs.start_scheduler(app) if settings.scheduler else None
        logger.info(
            "Xuncha started: db=%s media=%s policy=%s", settings.db, settings.media, policy.version
        )
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await app.state.db.close()
            logger.info("Xuncha stopped")

    session = LoggedInSessionConfig(
        store="sessions", max_age=12 * 3600, secure=settings.secure_cookies, samesite="lax"
    )
    csrf = CSRFConfig(
        secret=settings.secret,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="strict",
        exclude=["/healthz", "/api/v1/auth/login"],
    )
    auth = DefineMiddleware(XunchaAuthMiddleware, exclude=["/static", "/schema", "/healthz"])
    app = Litestar(
        route_handlers=[
            healthz,
            *api.ROUTES,
            *pages.ROUTES,
            create_static_files_router(
                path="/static", directories=[FRONTEND / "static"], include_in_schema=False
            ),
        ],
        lifespan=[lifespan],
        middleware=[
            session.middleware,
            DefineMiddleware(BearerAwareCSRFMiddleware, config=csrf),
            auth,
        ],
        stores={"sessions": FileStore(settings.media / "sessions")},
        template_config=TemplateConfig(
            directory=FRONTEND / "templates", engine=JinjaTemplateEngine
        ),
        exception_handlers=http_errors.HANDLERS,
        openapi_config=OpenAPIConfig(title="Xuncha 巡查", version="1", path="/schema"),
        request_max_body_size=settings.photo_max_bytes + 1_000_000,
    )
    app.state.settings = settings
    app.state.font = font
    app.state.policy = policy
    pages.configure_templates(app)
    return app
