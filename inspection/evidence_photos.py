"""Photos an enterprise sends as evidence of rectification.

They go through the same checks and derivatives as inspection photos
(``photos.process``) and are stored in the same content-addressed places, but
belong to a corrective action instead of an inspection, and only when the
enterprise declared their SHA-256 with its evidence first. The display copy
carries no watermark: the watermark names an inspector and a visit, and
evidence has neither.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import msgspec

from inspection import audit
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ValidationError
from inspection.photos import (
    PhotoLimits,
    ProcessedPhoto,
    check_size,
    check_type,
    place_files,
    process,
    write_temp,
)
from inspection.photos import relative_paths as _relative_paths

logger = logging.getLogger(__name__)


class SavedEvidencePhoto(msgspec.Struct, frozen=True):
    """A stored evidence photo; ``created`` is False when it was already held."""

    action_id: int
    sha256: str
    media_type: str
    size_bytes: int
    width: int
    height: int
    received_at: str
    created: bool


SELECT_SQL = "SELECT * FROM evidence_photos WHERE action_id = ? AND sha256 = ?"


def _saved(row: Any, *, created: bool) -> SavedEvidencePhoto:
    return SavedEvidencePhoto(
        row["action_id"],
        row["sha256"],
        row["media_type"],
        row["size_bytes"],
        row["width"],
        row["height"],
        row["received_at"],
        created,
    )


async def save(
    db: Database,
    media_dir: Path,
    *,
    action_id: int,
    data: bytes,
    uploaded_by: str,
    limits: PhotoLimits,
) -> SavedEvidencePhoto:
    """Store the bytes of a declared evidence photo; the same bytes again are a no-op.

    Raises:
        ValidationError: the photo was not declared with evidence of this action, the
            action holds its maximum of photos, or the image is unreadable.
        PayloadTooLargeError, UnsupportedMediaError: as ``photos.process``.
    """
    check_size(data, limits)
    check_type(data)
    digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    row = await db.fetchone(SELECT_SQL, (action_id, digest))
    if row is None:
        raise ValidationError(
            f"照片 {digest} 未在该整改事项的整改材料中声明：请先提交整改说明并列出照片",
            field="sha256",
        )
    if row["received_at"] is not None:
        return _saved(row, created=False)
    await _check_count(db, action_id, limits)

    photo = await asyncio.to_thread(process, data, limits=limits, watermark=None, font_path=None)
    staged = await asyncio.to_thread(_stage, media_dir, data, photo)
    try:
        return await _commit(db, media_dir, staged, photo, action_id, uploaded_by, limits)
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)


async def _check_count(db: Database | Transaction, action_id: int, limits: PhotoLimits) -> None:
    count = await db.fetchval(
        "SELECT COUNT(*) FROM evidence_photos WHERE action_id = ? AND received_at IS NOT NULL",
        (action_id,),
    )
    if count >= limits.max_per_inspection:
        raise ValidationError(
            f"整改照片数量已达上限：每个整改事项最多 {limits.max_per_inspection} 张，"
            f"已有 {count} 张。",
            field="photo",
        )


def _stage(media_dir: Path, data: bytes, photo: ProcessedPhoto) -> dict[str, Path]:
    """Write the original (synced) and both derivatives under temporary names."""
    original, display, thumb = _relative_paths(photo)
    staged: dict[str, Path] = {}
    try:
        for rel, content, sync in (
            (original, data, True),
            (display, photo.display_jpeg, False),
            (thumb, photo.thumb_jpeg, False),
        ):
            staged[rel] = write_temp(media_dir, content, sync=sync)
    except BaseException:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
        raise
    return staged


async def _commit(
    db: Database,
    media_dir: Path,
    staged: dict[str, Path],
    photo: ProcessedPhoto,
    action_id: int,
    uploaded_by: str,
    limits: PhotoLimits,
) -> SavedEvidencePhoto:
    placed: list[Path] = []
    try:
        async with db.transaction() as tx:
            # Re-checked under the write lock: a parallel upload may have won.
            row = await tx.fetchone(SELECT_SQL, (action_id, photo.sha256))
            if row is None:
                raise ValidationError(f"整改事项 {action_id} 的照片 {photo.sha256} 未声明")
            if row["received_at"] is not None:
                return _saved(row, created=False)
            await _check_count(tx, action_id, limits)
            await _update(tx, photo, list(staged), action_id, uploaded_by)
            place_files(media_dir, staged, placed)
            row = await tx.fetchone(SELECT_SQL, (action_id, photo.sha256))
        logger.info("evidence photo %s for corrective action %s", photo.sha256, action_id)
        return _saved(row, created=True)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise


async def _update(
    tx: Transaction, photo: ProcessedPhoto, paths: list[str], action_id: int, uploaded_by: str
) -> None:
    await tx.execute(
        "UPDATE evidence_photos SET media_type = ?, size_bytes = ?, width = ?, height = ?,"
        " original_path = ?, display_path = ?, thumb_path = ?, metadata = ?, uploaded_by = ?,"
        " received_at = ? WHERE action_id = ? AND sha256 = ?",
        (
            photo.media_type,
            photo.size_bytes,
            photo.width,
            photo.height,
            *paths,
            msgspec.json.encode(photo.metadata).decode(),
            uploaded_by,
            utcnow(),
            action_id,
            photo.sha256,
        ),
    )
    await audit.record(
        tx,
        uploaded_by,
        "corrective.photo",
        "corrective_action",
        str(action_id),
        {"sha256": photo.sha256, "media_type": photo.media_type, "size_bytes": photo.size_bytes},
    )


def file_path(media_dir: Path, row: Any, variant: str) -> Path:
    """The absolute path of one variant of a received photo, never outside ``media_dir``."""
    root = media_dir.resolve()
    path: Path = (root / row[f"{variant}_path"]).resolve()
    if not path.is_relative_to(root):
        raise ValidationError(f"照片文件路径无效：{row[f'{variant}_path']}", field="photo")
    return path
