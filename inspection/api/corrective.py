"""Corrective actions (整改), their evidence and photos, and notifications."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import File

from inspection import corrective, evidence_photos
from inspection.api._common import db_of, user_of
from inspection.auth import STAFF, require
from inspection.corrective import ActionRead, ActionSummary, EvidenceCreate, Notification
from inspection.errors import NotFoundError, ValidationError
from inspection.photos import PhotoLimits

READERS = ("enterprise", "inspector", *STAFF)


@get("/api/v1/corrective-actions", guards=[require(*READERS)])
async def list_actions(
    request: Request[Any, Any, Any],
    status: FromQuery[str | None] = None,
    target_id: FromQuery[str | None] = None,
) -> list[ActionSummary]:
    """Corrective actions: staff all, an enterprise its own, an inspector those of targets
    they inspected; ``status`` is open, overdue, awaiting_reinspection or closed."""
    return await corrective.list_actions(
        db_of(request), user_of(request), status=status or None, target_id=target_id or None
    )


@get("/api/v1/corrective-actions/{action_id:int}", guards=[require(*READERS)])
async def get_action(request: Request[Any, Any, Any], action_id: FromPath[int]) -> ActionRead:
    """One corrective action with its findings and evidence; 404 for anyone who may not
    see it."""
    return await corrective.read_action(db_of(request), user_of(request), action_id)


@post(
    "/api/v1/corrective-actions/{action_id:int}/evidence",
    guards=[require("enterprise")],
    status_code=201,
)
async def add_evidence(
    request: Request[Any, Any, Any], action_id: FromPath[int], data: JSONBody[EvidenceCreate]
) -> ActionRead:
    """The enterprise's evidence for its own action: what it did, and the SHA-256 of the
    photos it will upload. 404 for another enterprise's action, 409 once closed."""
    user = user_of(request)
    await corrective.add_evidence(db_of(request), user, action_id, data)
    return await corrective.read_action(db_of(request), user, action_id)


def _limits(request: Request[Any, Any, Any]) -> PhotoLimits:
    settings = request.app.state.settings
    return PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        max_per_inspection=settings.photos_per_inspection,
    )


@put(
    "/api/v1/corrective-actions/{action_id:int}/evidence/photos/{sha256:str}",
    guards=[require("enterprise")],
    status_code=201,
)
async def upload_evidence_photo(
    request: Request[Any, Any, Any], action_id: FromPath[int], sha256: FromPath[str]
) -> Response[dict[str, Any]]:
    """Upload one declared evidence photo as the raw request body, addressed by its
    SHA-256; sending it again is a no-op (200)."""
    user = user_of(request)
    await corrective.read_action(db_of(request), user, action_id)
    data = await request.body()
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ValidationError(
            f"照片内容的 SHA-256 与地址中的 {sha256} 不符，可能上传不完整", field="sha256"
        )
    saved = await evidence_photos.save(
        db_of(request),
        request.app.state.settings.media,
        action_id=action_id,
        data=data,
        uploaded_by=user.username,
        limits=_limits(request),
    )
    return Response(msgspec.to_builtins(saved), status_code=201 if saved.created else 200)


VARIANTS = ("original", "display", "thumb")


@get(
    "/api/v1/corrective-actions/{action_id:int}/evidence/photos/{sha256:str}/{variant:str}",
    guards=[require(*READERS)],
)
async def evidence_photo_file(
    request: Request[Any, Any, Any],
    action_id: FromPath[int],
    sha256: FromPath[str],
    variant: FromPath[str],
) -> File:
    """An evidence photo: display copy and thumbnail for whoever may see the action, the
    original (byte-identical) for staff and inspectors."""
    user = user_of(request)
    if variant not in VARIANTS or (variant == "original" and user.role == "enterprise"):
        raise NotFoundError(f"照片版本应为 display 或 thumb，收到“{variant}”")
    await corrective.read_action(db_of(request), user, action_id)
    row = await db_of(request).fetchone(
        "SELECT * FROM evidence_photos WHERE action_id = ? AND sha256 = ?"
        " AND received_at IS NOT NULL",
        (action_id, sha256.lower()),
    )
    if row is None:
        raise NotFoundError(f"整改事项 {action_id} 没有照片 {sha256}")
    path = evidence_photos.file_path(request.app.state.settings.media, row, variant)
    return File(
        path=path,
        media_type=row["media_type"] if variant == "original" else "image/jpeg",
        content_disposition_type="inline",
        filename=f"{row['sha256']}{path.suffix}",
    )


@get("/api/v1/notifications", guards=[require()])
async def list_notifications(
    request: Request[Any, Any, Any], unread: FromQuery[bool] = False
) -> list[Notification]:
    """The caller's notifications, newest first (leaders' for staff, its own for an
    enterprise, none for inspectors)."""
    return await corrective.notifications_for(db_of(request), user_of(request), unread_only=unread)


@post("/api/v1/notifications/{notification_id:int}/read", guards=[require()], status_code=200)
async def read_notification(
    request: Request[Any, Any, Any], notification_id: FromPath[int]
) -> dict[str, Any]:
    """Mark one of the caller's notifications read; 404 for anyone else's."""
    await corrective.mark_read(db_of(request), user_of(request), notification_id)
    return {"id": notification_id, "read": True}


ROUTES = [
    list_actions,
    get_action,
    add_evidence,
    upload_evidence_photo,
    evidence_photo_file,
    list_notifications,
    read_notification,
]
