"""Helpers for the photo tests: the shared sample photos, seed rows, crafted files."""

from __future__ import annotations

import csv
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageStat

from inspection.db import Database, utcnow

PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "data" / "photos"

XUCHANG = (34.036, 113.852)


def manifest() -> list[dict[str, str]]:
    """The rows of the sample photos' manifest.csv."""
    with open(PHOTOS / "manifest.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def seed_inspection(
    db: Database,
    inspection_id: str = "insp-1",
    *,
    latitude: float | None = XUCHANG[0],
    longitude: float | None = XUCHANG[1],
    crs: str = "wgs84",
    inspected_at: str = "2026-12-03T06:00:00Z",
) -> str:
    """An enterprise, one restaurant target at the given place, and one inspection of it."""
    now = utcnow()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT OR IGNORE INTO enterprises (uscc, name, created_at, updated_at)"
            " VALUES ('91411000MA0000000X', '许昌测试餐饮有限公司', ?, ?)",
            (now, now),
        )
        await tx.execute(
            "INSERT INTO targets (id, enterprise_uscc, kind, name, latitude, longitude, crs,"
            " created_at, updated_at) VALUES (?, '91411000MA0000000X', 'restaurant',"
            " '魏都区测试餐馆', ?, ?, ?, ?, ?)",
            (f"t-{inspection_id}", latitude, longitude, crs, now, now),
        )
        await tx.execute(
            "INSERT INTO inspections (id, target_id, inspected_at, verdict, body_sha256,"
            " created_at) VALUES (?, ?, ?, 'pass', 'x', ?)",
            (inspection_id, f"t-{inspection_id}", inspected_at, now),
        )
    return inspection_id


def files_under(root: Path) -> list[Path]:
    """Every regular file below ``root``, staging area included."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR declaring the size, with a token IDAT: never decodable."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def quadrant_means(image: Image.Image) -> list[tuple[float, ...]]:
    """Mean colour of the four quadrants, left-to-right then top-to-bottom."""
    w, h = image.size
    boxes = [
        (0, 0, w // 2, h // 2),
        (w // 2, 0, w, h // 2),
        (0, h // 2, w // 2, h),
        (w // 2, h // 2, w, h),
    ]
    return [tuple(ImageStat.Stat(image.crop(box)).mean) for box in boxes]


_ORIENTATIONS = [None, *Image.Transpose]


def closest_orientation(image: Image.Image, reference: Image.Image) -> Image.Transpose | None:
    """Which transpose of ``reference`` (None for as it is) looks most like ``image``."""
    small = _sketch(image)

    def distance(method: Image.Transpose | None) -> float:
        turned = reference if method is None else reference.transpose(method)
        pairs = zip(_sketch(turned), small, strict=True)
        return sum(abs(a - b) for a, b in pairs)

    return min(_ORIENTATIONS, key=distance)


def _sketch(image: Image.Image) -> list[int]:
    return list(image.convert("L").resize((24, 24), Image.Resampling.BOX).tobytes())


def colour_distance(a: list[tuple[float, ...]], b: list[tuple[float, ...]]) -> float:
    """The largest per-channel difference between two quadrant lists."""
    return max(abs(x - y) for qa, qb in zip(a, b, strict=True) for x, y in zip(qa, qb, strict=True))
