"""Inspections and their photos."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import File

from inspection import inspections
from inspection.api._common import db_of, user_of
from inspection.auth import STAFF, current_user, require
from inspection.errors import NotFoundError, ValidationError
from inspection.inspections import InspectionCreate, InspectionRead
from inspection.photos import ClientPosition, PhotoChecks, PhotoLimits, Watermark, save_photo
from inspection.users import User


@post("/api/v1/inspections", guards=[require("inspector", *STAFF)])
async def create_inspection(
    request: Request[Any, Any, Any], data: JSONBody[InspectionCreate]
) -> Response[InspectionRead]:
    """Record a visit. The same id and body again is a success without a second row (200);
    the same id with another body is 409."""
    inspection_id, created = await inspections.create(
        db_of(request), user_of(request), data, policy=request.app.state.policy
    )
    body = await inspections.read(db_of(request), inspection_id, user_of(request))
    return Response(body, status_code=201 if created else 200)


@get("/api/v1/inspections/{inspection_id:str}", guards=[require()])
async def get_inspection(
    request: Request[Any, Any, Any], inspection_id: FromPath[str]
) -> InspectionRead:
    """One inspection, for staff, its inspectors and its enterprise; 404 for anyone else."""
    return await inspections.read(db_of(request), inspection_id, user_of(request))


def _limits(request: Request[Any, Any, Any]) -> PhotoLimits:
    settings = request.app.state.settings
    return PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        max_per_inspection=settings.photos_per_inspection,
    )


async def _watermark(request: Request[Any, Any, Any], inspection_id: str) -> Watermark:
    """Target and inspector from the record; time and place are left for the photo's EXIF
    (then the browser's position) to fill, since they must say where the photo was taken."""
    row = await db_of(request).fetchone(
        "SELECT i.inspector_a, t.name FROM inspections i"
        " JOIN targets t ON t.id = i.target_id WHERE i.id = ?", (inspection_id,))
    assert row is not None
    inspector = user_of(request).inspector_id or row["inspector_a"] or ""
    return Watermark(taken_local="", position="", target_name=row["name"],
                     inspector_no=inspector)


def _position(
    latitude: float | None, longitude: float | None, accuracy: float | None, crs: str
) -> ClientPosition | None:
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(f"位置超出范围：纬度 {latitude}，经度 {longitude}", field="latitude")
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise ValidationError(f"坐标系应为 wgs84、gcj02 或 bd09，收到“{crs}”", field="crs")
    return ClientPosition(latitude=latitude, longitude=longitude, accuracy_m=accuracy, crs=crs)


@put(
    "/api/v1/inspections/{inspection_id:str}/photos/{sha256:str}",
    guards=[require("inspector", *STAFF)],
    status_code=201,
)
async def upload_photo(
    request: Request[Any, Any, Any],
    inspection_id: FromPath[str],
    sha256: FromPath[str],
    item_key: FromQuery[str] = "",
    latitude: FromQuery[float | None] = None,
    longitude: FromQuery[float | None] = None,
    accuracy: FromQuery[float | None] = None,
    crs: FromQuery[str] = "wgs84",
) -> Response[dict[str, Any]]:
    """Upload one photo as the raw request body, addressed by its SHA-256.
    Sending a photo the server already holds is a no-op (200)."""
    user = user_of(request)
    await inspections.read(db_of(request), inspection_id, user)
    data = await request.body()
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ValidationError(
            f"照片内容的 SHA-256 与地址中的 {sha256} 不符，可能上传不完整", field="sha256"
        )
    position = _position(latitude, longitude, accuracy, crs)
    saved = await save_photo(
        db_of(request),
        request.app.state.settings.media,
        inspection_id=inspection_id,
        data=data,
        item_key=item_key,
        uploaded_by=user.username,
        client_position=position,
        watermark=await _watermark(request, inspection_id),
        limits=_limits(request),
        font_path=request.app.state.font,
        checks=PhotoChecks(far_from_target_m=request.app.state.settings.photo_far_meters),
    )
    return Response(msgspec.to_builtins(saved), status_code=201 if saved.created else 200)


@get("/api/v1/inspections/{inspection_id:str}/photos", guards=[require()])
async def list_photos(
    request: Request[Any, Any, Any], inspection_id: FromPath[str]
) -> dict[str, Any]:
    """Which photos the server expects and which it already holds, for resuming uploads."""
    record = await inspections.read(db_of(request), inspection_id, user_of(request))
    rows = await db_of(request).fetchall(
        "SELECT id, sha256, item_key, media_type, width, height, created_at FROM photos"
        " WHERE inspection_id = ? ORDER BY id",
        (inspection_id,),
    )
    expected = [
        r[0]
        for r in await db_of(request).fetchall(
            "SELECT sha256 FROM expected_photos WHERE inspection_id = ?", (inspection_id,)
        )
    ]
    return {
        "expected": expected,
        "received": [dict(r) for r in rows],
        "missing": sorted(set(expected) - set(record.photos_received)),
        "complete": record.photos_complete,
    }


VARIANTS = {"original": "original_path", "display": "display_path", "thumb": "thumb_path"}


async def _may_see_photo(
    request: Request[Any, Any, Any], row: Any, user: User | None, variant: FromPath[str]
) -> bool:
    if user is not None and user.role == "enterprise" and variant == "original":
        return False
    return user is not None and await inspections.may_see(db_of(request), row, user)


@get("/api/v1/photos/{photo_id:int}/{variant:str}")
async def photo_file(
    request: Request[Any, Any, Any], photo_id: FromPath[int], variant: FromPath[str]
) -> File:
    """A photo: the original (byte-identical evidence) for staff and its inspectors; the
    display copy and thumbnail, which carry no metadata, also for its enterprise."""
    if variant not in VARIANTS:
        raise NotFoundError(f"照片版本应为 original、display 或 thumb，收到“{variant}”")
    row = await db_of(request).fetchone(
        "SELECT p.*, i.inspector_a, i.inspector_b, t.enterprise_uscc"
        " FROM photos p JOIN inspections i ON i.id = p.inspection_id"
        " JOIN targets t ON t.id = i.target_id WHERE p.id = ?",
        (photo_id,),
    )
    if row is None or not await _may_see_photo(request, row, current_user(request), variant):
        raise NotFoundError(f"照片 {photo_id} 不存在")
    path = request.app.state.settings.media / row[VARIANTS[variant]]
    media_type = row["media_type"] if variant == "original" else "image/jpeg"
    return File(
        path=path,
        media_type=media_type,
        content_disposition_type="inline",
        filename=f"{row['sha256']}{path.suffix}",
    )


ROUTES = [create_inspection, get_inspection, upload_photo, list_photos, photo_file]
