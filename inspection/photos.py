"""Inspection photos as evidence: checked, kept byte for byte, shown upright.

An upload is refused before it costs anything when it is too large, not an
image, or declares more pixels than allowed. Otherwise its SHA-256 is taken
first, the image is decoded in full (so a truncated file is caught), and an
upright sRGB display copy with a watermark and a thumbnail are made, neither
carrying any metadata. ``process`` is synchronous Pillow work for a worker
thread; ``save_photo`` stores the original and both derivatives beside one
database row, all or nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import math
import os
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import pillow_heif
import simplejpeg  # type: ignore[import-untyped]
from PIL import Image, ImageCms, ImageDraw, ImageFont

from inspection import audit
from inspection.db import Database, Transaction, utcnow
from inspection.errors import (
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaError,
    ValidationError,
)

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

DISPLAY_LONG_SIDE = 1600
THUMB_LONG_SIDE = 320
DISPLAY_QUALITY = 85
THUMB_QUALITY = 80

# Time without an offset is read as the bureau's local time (Asia/Shanghai).
LOCAL_OFFSET = timezone(timedelta(hours=8))

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}


# ---------------------------------------------------------------- the shapes


class PhotoLimits(msgspec.Struct, frozen=True):
    """What one upload may be; each refusal names the limit and the value."""

    max_bytes: int = 25_000_000
    max_pixels: int = 60_000_000
    max_per_inspection: int = 20


class PhotoChecks(msgspec.Struct, frozen=True):
    """When a photo is flagged for the leader's attention."""

    far_from_target_m: float = 500.0
    taken_before_visit_h: float = 12.0


class Watermark(msgspec.Struct, frozen=True):
    """The lines drawn on the display copy; an empty time or position is filled from the photo."""

    taken_local: str
    position: str
    target_name: str
    inspector_no: str


class ClientPosition(msgspec.Struct, frozen=True):
    """The position the browser sent with the upload, in its coordinate system."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None
    crs: str = "wgs84"


class PhotoMetadata(msgspec.Struct, frozen=True):
    """What the camera recorded, read from EXIF; None where it recorded nothing usable."""

    taken_at: str | None = None
    taken_offset: str | None = None
    time_flag: str | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_accuracy_m: float | None = None
    gps_crs: str = "wgs84"
    make: str | None = None
    model: str | None = None
    orientation: int | None = None


class ProcessedPhoto(msgspec.Struct, frozen=True):
    """An accepted upload: its hash, upright size, derivatives and metadata."""

    sha256: str
    media_type: str
    size_bytes: int
    width: int
    height: int
    display_jpeg: bytes
    thumb_jpeg: bytes
    metadata: PhotoMetadata


class PhotoFacts(msgspec.Struct, frozen=True):
    """The metadata column: camera facts, the browser's position and the leader's flags."""

    camera: PhotoMetadata
    client_position: ClientPosition | None
    position_source: str | None
    distance_m: float | None
    distance_crs: str | None
    flags: list[str]


class SavedPhoto(msgspec.Struct, frozen=True):
    """A stored photo; ``created`` is False when the same bytes were already held."""

    id: int
    inspection_id: str
    sha256: str
    item_key: str
    media_type: str
    size_bytes: int
    width: int
    height: int
    original_path: str
    display_path: str
    thumb_path: str
    metadata: dict[str, Any]
    uploaded_by: str
    created_at: str
    created: bool


class PhotoPaths(msgspec.Struct, frozen=True):
    """Absolute paths of a stored photo's three files."""

    original: Path
    display: Path
    thumb: Path


class PhotoInventory(msgspec.Struct, frozen=True):
    """Which of the hashes a client declared the server holds, and which it still needs."""

    held: list[str]
    missing: list[str]


# ------------------------------------------------------------- media type


def sniff(data: bytes) -> str | None:
    """The image media type the bytes themselves announce, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return _heif_type(data)
    return None


def _heif_type(data: bytes) -> str | None:
    box_size = int.from_bytes(data[:4], "big")
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, min(box_size, 64), 4)}
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heic" if compatible & _HEIC_BRANDS else "image/heif"
    return None


def describe_unknown(data: bytes) -> str:
    """A Chinese name for what arrived instead of a photo, for the 415 message."""
    head = data[:16]
    known = (
        (b"GIF8", "GIF 动图"),
        (b"%PDF", "PDF 文档"),
        (b"PK\x03\x04", "ZIP 压缩包（或 Office 文档）"),
        (b"II*\x00", "TIFF 图像"),
        (b"MM\x00*", "TIFF 图像"),
        (b"BM", "BMP 图像"),
    )
    for magic, name in known:
        if head.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        return f"{data[8:12].decode('ascii', 'replace').strip()} 格式的 ISO 媒体文件（视频或 AVIF）"
    if _looks_like_text(data[:4096]):
        return "文本文件"
    return f"无法识别的数据（开头字节 {head[:8].hex(' ')}）"


def _looks_like_text(sample: bytes) -> bool:
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


# ---------------------------------------------------------------- checks


def check_size(data: bytes, limits: PhotoLimits) -> None:
    """Refuse an empty upload (422) or one over the byte limit (413)."""
    if not data:
        raise ValidationError("照片文件为空（0 字节），请重新拍摄或选择照片。", field="photo")
    if len(data) > limits.max_bytes:
        raise PayloadTooLargeError(
            f"照片过大：上限 {limits.max_bytes} 字节，收到 {len(data)} 字节。", field="photo"
        )


def check_type(data: bytes) -> str:
    """The sniffed media type, or 415 naming what arrived instead."""
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedMediaError(
            "不支持的文件类型：需要 JPEG、PNG、WebP 或 HEIC/HEIF 照片，"
            f"收到的是{describe_unknown(data)}。",
            field="photo",
        )
    return media_type


def _check_pixels(width: int, height: int, limits: PhotoLimits) -> None:
    if width <= 0 or height <= 0:
        raise ValidationError(f"照片尺寸无效：{width}×{height} 像素。", field="photo")
    if width * height > limits.max_pixels:
        raise ValidationError(
            f"照片像素过多：上限 {limits.max_pixels} 像素，"
            f"文件声明 {width}×{height} = {width * height} 像素。",
            field="photo",
        )


def _unreadable(media_type: str, error: BaseException) -> ValidationError:
    logger.warning("unreadable %s upload: %s: %s", media_type, type(error).__name__, error)
    return ValidationError(
        f"照片无法读取：文件已损坏或不完整（{EXTENSIONS[media_type].upper()}，{error}）。",
        field="photo",
    )


# ------------------------------------------------------------ processing


def process(
    data: bytes,
    *,
    limits: PhotoLimits,
    watermark: Watermark | None,
    font_path: Path | None,
    client_position: ClientPosition | None = None,
) -> ProcessedPhoto:
    """Check, decode and derive one upload; blocking, so run it in a worker thread.

    Raises:
        PayloadTooLargeError: over the byte limit.
        UnsupportedMediaError: not a JPEG, PNG, WebP or HEIC/HEIF by its bytes.
        ValidationError: empty, too many pixels, truncated or corrupted.
    """
    check_size(data, limits)
    digest = hashlib.sha256(data).hexdigest()
    media_type = check_type(data)

    header = _open(data, media_type, limits)
    metadata = read_metadata(header)
    orientation = _orientation(header)
    decoded = _decode(header, data, media_type)

    display = _fit(decoded, DISPLAY_LONG_SIDE)
    display = _apply_orientation(_to_srgb(display, header.info.get("icc_profile")), orientation)
    thumb = _fit(display, THUMB_LONG_SIDE)
    if watermark is not None:
        filled = complete_watermark(watermark, metadata, client_position)
        # A small photo's thumbnail may be the display image itself: copy then.
        in_place = thumb is not display
        display = draw_watermark(display, filled, _require_font(font_path), in_place=in_place)
    width, height = _upright_size(header.size, orientation)

    return ProcessedPhoto(
        sha256=digest,
        media_type=media_type,
        size_bytes=len(data),
        width=width,
        height=height,
        display_jpeg=_encode(display, DISPLAY_QUALITY),
        thumb_jpeg=_encode(thumb, THUMB_QUALITY),
        metadata=metadata,
    )


def _open(data: bytes, media_type: str, limits: PhotoLimits) -> Image.Image:
    """Read only the header, refusing a decompression bomb before any decoding."""
    # Pillow's own bomb guard must not be stricter than the configured limit.
    if limits.max_pixels > (Image.MAX_IMAGE_PIXELS or 0):
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[media_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(
            f"照片像素过多：上限 {limits.max_pixels} 像素（{error}）。", field="photo"
        ) from error
    except Exception as error:  # decoders raise many types on hostile input
        raise _unreadable(media_type, error) from error
    _check_pixels(image.width, image.height, limits)
    return image


def _decode(header: Image.Image, data: bytes, media_type: str) -> Image.Image:
    """Decode every pixel, for JPEG only down to the display size (as ``Image.draft``)."""
    target = _fit_size(header.size, DISPLAY_LONG_SIDE)
    try:
        if media_type == "image/jpeg" and header.mode in ("RGB", "L"):
            return _decode_jpeg(data, target)
        if header.format == "HEIF":
            _check_boxes(data)
        return _decode_pillow(header, data, target)
    except Exception as error:  # decoders raise many types on hostile input
        raise _unreadable(media_type, error) from error


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    # Orientations 5 to 8 turn the picture a quarter, swapping its sides.
    return (size[1], size[0]) if orientation >= 5 else size


def _check_boxes(data: bytes) -> None:
    """Refuse a HEIF whose top-level boxes run past the end of the upload.

    libheif decodes a cut-off file without complaint, filling the missing
    tiles, so truncation is found here from the declared box sizes.
    """
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = len(data) - offset
        if size < header or offset + size > len(data):
            raise ValueError(
                f"box {data[offset + 4 : offset + 8]!r} at byte {offset} declares {size} bytes,"
                f" {len(data) - offset} remain"
            )
        offset += size


def _decode_jpeg(data: bytes, target: tuple[int, int]) -> Image.Image:
    """libjpeg-turbo in strict mode, scaled in the DCT like ``Image.draft``.

    Pillow silently fills missing scan data with grey; a strict decode refuses
    it, so a photo with a hole in it never passes as evidence.
    """
    try:
        pixels = simplejpeg.decode_jpeg(
            data, colorspace="RGB", min_width=target[0], min_height=target[1], strict=True
        )
    except ValueError as error:
        if "extraneous bytes" not in str(error):
            raise
        # Stray bytes between segments lose no image data; some cameras write them.
        logger.warning("JPEG with stray bytes accepted: %s", error)
        pixels = simplejpeg.decode_jpeg(
            data, colorspace="RGB", min_width=target[0], min_height=target[1], strict=False
        )
    return Image.fromarray(pixels)


def _decode_pillow(header: Image.Image, data: bytes, target: tuple[int, int]) -> Image.Image:
    if header.format == "JPEG":
        # CMYK and YCCK JPEGs: Pillow decodes, libjpeg-turbo checks the scan data.
        simplejpeg.decode_jpeg(data, colorspace="CMYK", min_width=1, min_height=1)
        header.draft(header.mode, target)
    header.load()
    return _flatten(header)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white."""
    if image.mode in ("RGB", "CMYK"):
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode.startswith("I"):
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(source, _SRGB, mode, "RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded profile; without one the pixels are taken as sRGB."""
    if icc:
        try:
            converted = ImageCms.applyTransform(image, _srgb_transform(icc, image.mode))
            # None only for an in-place transform, which this is not.
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError) as error:
            logger.warning("embedded ICC profile ignored: %s", error)
    return image if image.mode == "RGB" else image.convert("RGB")


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(header: Image.Image) -> int:
    """The EXIF orientation still to apply.

    pillow-heif already turns HEIC images upright and resets their EXIF
    orientation to 1, so reading it here applies the rotation exactly once.
    """
    try:
        value = header.getexif().get(0x0112, 1)
    except Exception:  # malformed EXIF: the pixels are still evidence
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def _fit_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    size = _fit_size(image.size, long_side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _encode(image: Image.Image, quality: int) -> bytes:
    """A baseline sRGB JPEG with no EXIF, GPS, XMP, ICC or comment."""
    clean = image if image.mode == "RGB" else image.convert("RGB")
    clean.info = {}
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=quality, exif=b"", icc_profile=None)
    return buffer.getvalue()


# --------------------------------------------------------------- metadata

_OFFSET = re.compile(r"^[+-](?:0\d|1[0-4]):[0-5]\d$")

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


def read_metadata(header: Image.Image) -> PhotoMetadata:
    """Camera facts from EXIF; malformed EXIF yields None fields, never an error."""
    try:
        exif = header.getexif()
        details = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception as error:  # malformed EXIF must not cost the photo
        logger.warning("EXIF unreadable, metadata left empty: %s", error)
        return PhotoMetadata(time_flag="missing_time")
    taken, offset = _taken(exif, details)
    latitude, longitude = _gps_position(gps)
    return PhotoMetadata(
        taken_at=_iso(taken, offset),
        taken_offset=offset,
        time_flag=_time_flag(taken, offset),
        gps_latitude=latitude,
        gps_longitude=longitude,
        gps_accuracy_m=_positive(gps.get(31)) if latitude is not None else None,
        make=_text(exif.get(0x010F)),
        model=_text(exif.get(0x0110)),
        orientation=_original_orientation(header, exif),
    )


def _taken(exif: Image.Exif, details: dict[int, Any]) -> tuple[datetime | None, str | None]:
    # DateTimeOriginal with OffsetTimeOriginal; else DateTime with OffsetTime.
    for time_tag, offset_tag, source in ((36867, 36881, details), (306, 36880, exif)):
        taken = _exif_time(source.get(time_tag))
        if taken is not None:
            offset = _text(details.get(offset_tag))
            return taken, offset if offset and _OFFSET.match(offset) else None
    return None, None


def _exif_time(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _iso(taken: datetime | None, offset: str | None) -> str | None:
    if taken is None:
        return None
    return taken.isoformat() + (offset or "")


def _time_flag(taken: datetime | None, offset: str | None) -> str | None:
    if taken is None:
        return "missing_time"
    return "missing_offset" if offset is None else None


def _gps_position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    latitude = _degrees(gps.get(2), gps.get(1), "S", 90.0)
    longitude = _degrees(gps.get(4), gps.get(3), "W", 180.0)
    if latitude is None or longitude is None or (latitude == 0.0 and longitude == 0.0):
        return None, None
    return latitude, longitude


def _degrees(value: Any, ref: Any, negative: str, bound: float) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if not math.isfinite(degrees) or degrees > bound:
        return None
    return -degrees if _text(ref) == negative else degrees


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned or None


def _original_orientation(header: Image.Image, exif: Image.Exif) -> int | None:
    value = header.info.get("original_orientation", exif.get(0x0112))
    return value if isinstance(value, int) and 1 <= value <= 8 else None


# -------------------------------------------------------------- watermark


def format_position(latitude: float, longitude: float, accuracy_m: float | None = None) -> str:
    """Degrees with hemisphere letters, e.g. ``34.0360N 113.8520E ±12m``."""
    text = (
        f"{abs(latitude):.4f}{'N' if latitude >= 0 else 'S'} "
        f"{abs(longitude):.4f}{'E' if longitude >= 0 else 'W'}"
    )
    return text if accuracy_m is None else f"{text} ±{accuracy_m:.0f}m"


def format_taken(metadata: PhotoMetadata) -> str:
    """Local time taken with its UTC offset, e.g. ``2026-12-03 14:05 (UTC+8)``."""
    if metadata.taken_at is None:
        return "未知（照片未记录）"
    local = metadata.taken_at[:16].replace("T", " ")
    if metadata.taken_offset is None:
        return f"{local}（时区未知）"
    hours, minutes = metadata.taken_offset[1:3], metadata.taken_offset[4:6]
    zone = f"UTC{metadata.taken_offset[0]}{int(hours)}"
    return f"{local} ({zone}{'' if minutes == '00' else ':' + minutes})"


def complete_watermark(
    watermark: Watermark, metadata: PhotoMetadata, client: ClientPosition | None
) -> Watermark:
    """Fill an empty time or position from the photo's EXIF, then the browser."""
    taken = watermark.taken_local or format_taken(metadata)
    position = watermark.position
    if not position and metadata.gps_latitude is not None and metadata.gps_longitude is not None:
        position = format_position(
            metadata.gps_latitude, metadata.gps_longitude, metadata.gps_accuracy_m
        )
    if not position and client is not None:
        position = format_position(client.latitude, client.longitude, client.accuracy_m)
    return msgspec.structs.replace(watermark, taken_local=taken, position=position or "未知")


def watermark_lines(watermark: Watermark) -> list[str]:
    return [
        f"拍摄时间 {watermark.taken_local}",
        f"位置 {watermark.position}",
        watermark.target_name,
        f"检查员 {watermark.inspector_no}",
    ]


@lru_cache(maxsize=64)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _require_font(font_path: Path | None) -> Path:
    if font_path is None:
        from inspection.fonts import find_cjk_font

        return find_cjk_font()
    return font_path


def draw_watermark(
    image: Image.Image, watermark: Watermark, font_path: Path, *, in_place: bool = False
) -> Image.Image:
    """White lines on a darkened band across the bottom, sized to the image width."""
    lines = watermark_lines(watermark)
    size = max(10, min(round(image.width * 0.032), round(image.height * 0.3 / (len(lines) * 1.3))))
    font = _font(font_path, size)
    margin = max(4, size // 2)
    line_height = round(size * 1.3)
    band_top = image.height - len(lines) * line_height - margin

    marked = image if in_place else image.copy()
    band = marked.crop((0, band_top, image.width, image.height))
    marked.paste(band.point(lambda v: v * 45 // 100), (0, band_top))
    draw = ImageDraw.Draw(marked)
    for index, line in enumerate(lines):
        text = _fit_text(line, font, image.width - 2 * margin)
        draw.text(
            (margin, band_top + margin // 2 + index * line_height),
            text,
            font=font,
            fill=(255, 255, 255),
        )
    return marked


def _fit_text(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


# -------------------------------------------------------- positions, flags

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
EARTH_RADIUS_M = 6371008.8
_CRS_RANK = {"wgs84": 0, "gcj02": 1, "bd09": 2}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_dlat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    return ret


def _gcj_dlon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """The widely circulated WGS-84 → GCJ-02 obfuscation; unchanged outside China."""
    if _out_of_china(lat, lon):
        return lat, lon
    dlat = _gcj_dlat(lon - 105.0, lat - 35.0)
    dlon = _gcj_dlon(lon - 105.0, lat - 35.0)
    rad = math.radians(lat)
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Baidu's further offset on top of GCJ-02."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def to_crs(lat: float, lon: float, source: str, target: str) -> tuple[float, float]:
    """Convert forward only (WGS-84 → GCJ-02 → BD-09), where the formulas are exact."""
    if _CRS_RANK[source] > _CRS_RANK[target]:
        raise ValueError(f"only forward conversion is exact, not {source} → {target}")
    if source == "wgs84" and target != "wgs84":
        lat, lon = wgs84_to_gcj02(lat, lon)
        source = "gcj02"
    if source == "gcj02" and target == "bd09":
        lat, lon = gcj02_to_bd09(lat, lon)
    return lat, lon


def distance_m(a: tuple[float, float, str], b: tuple[float, float, str]) -> tuple[float, str]:
    """Distance between two (lat, lon, crs) points, both first brought into the later CRS."""
    crs = max(a[2], b[2], key=_CRS_RANK.__getitem__)
    lat1, lon1 = to_crs(a[0], a[1], a[2], crs)
    lat2, lon2 = to_crs(b[0], b[1], b[2], crs)
    return haversine_m(lat1, lon1, lat2, lon2), crs


class TargetPlace(msgspec.Struct, frozen=True):
    """A target's registered position and the time of the visit, for the flags."""

    latitude: float | None
    longitude: float | None
    crs: str
    visit_at: datetime


def assess(
    metadata: PhotoMetadata,
    client: ClientPosition | None,
    place: TargetPlace,
    checks: PhotoChecks,
) -> PhotoFacts:
    """Distance from the target and the flags a leader should see."""
    source, point = _photo_point(metadata, client)
    distance = crs = None
    flags = []
    if point is not None and place.latitude is not None and place.longitude is not None:
        distance, crs = distance_m(point, (place.latitude, place.longitude, place.crs))
        distance = round(distance, 1)
        if distance > checks.far_from_target_m:
            flags.append("far_from_target")
    if _taken_long_before(metadata, place.visit_at, checks):
        flags.append("taken_long_before")
    return PhotoFacts(metadata, client, source, distance, crs, flags)


def _photo_point(
    metadata: PhotoMetadata, client: ClientPosition | None
) -> tuple[str | None, tuple[float, float, str] | None]:
    # The camera's fix at the moment of capture beats the browser's at upload.
    if metadata.gps_latitude is not None and metadata.gps_longitude is not None:
        return "exif", (metadata.gps_latitude, metadata.gps_longitude, metadata.gps_crs)
    if client is not None:
        return "client", (client.latitude, client.longitude, client.crs)
    return None, None


def taken_instant(metadata: PhotoMetadata) -> datetime | None:
    """When the photo was taken, as an aware time; a missing offset is read as UTC+8."""
    if metadata.taken_at is None:
        return None
    taken = datetime.fromisoformat(metadata.taken_at)
    return taken if taken.tzinfo is not None else taken.replace(tzinfo=LOCAL_OFFSET)


def _taken_long_before(metadata: PhotoMetadata, visit_at: datetime, checks: PhotoChecks) -> bool:
    taken = taken_instant(metadata)
    if taken is None:
        return False
    return visit_at - taken > timedelta(hours=checks.taken_before_visit_h)


def _check_client(client: ClientPosition | None) -> None:
    if client is None:
        return
    if client.crs not in _CRS_RANK:
        raise ValidationError(
            f"位置坐标系无效：需要 wgs84、gcj02 或 bd09，收到 {client.crs!r}。", field="crs"
        )
    if not (-90 <= client.latitude <= 90 and -180 <= client.longitude <= 180):
        raise ValidationError(
            f"位置无效：纬度需在 ±90、经度需在 ±180 之内，"
            f"收到 {client.latitude}, {client.longitude}。",
            field="position",
        )


# ---------------------------------------------------------------- storage


def relative_paths(photo: ProcessedPhoto) -> tuple[str, str, str]:
    """Content-addressed places: the original and thumbnail by the upload's hash,
    the watermarked display copy by its own (it differs per inspection)."""
    sha = photo.sha256
    display_sha = hashlib.sha256(photo.display_jpeg).hexdigest()
    return (
        f"originals/{sha[:2]}/{sha}.{EXTENSIONS[photo.media_type]}",
        f"display/{display_sha[:2]}/{display_sha}.jpg",
        f"thumbs/{sha[:2]}/{sha}.jpg",
    )


def photo_paths(media_dir: Path, photo: SavedPhoto) -> PhotoPaths:
    """Absolute paths of a stored photo's files, never outside ``media_dir``."""
    root = media_dir.resolve()
    resolved = [
        (root / rel).resolve()
        for rel in (photo.original_path, photo.display_path, photo.thumb_path)
    ]
    for path in resolved:
        if not path.is_relative_to(root):
            raise NotFoundError(f"照片文件路径无效：{path}", field="photo")
    return PhotoPaths(*resolved)


_SELECT_PHOTO = """
SELECT id, inspection_id, sha256, item_key, media_type, size_bytes, width, height,
       original_path, display_path, thumb_path, metadata, uploaded_by, created_at
FROM photos
"""

_SELECT_VISIT = """
SELECT i.id, i.photo_count, i.inspected_at, t.latitude, t.longitude, t.crs
FROM inspections AS i JOIN targets AS t ON t.id = i.target_id
WHERE i.id = ?
"""

_INSERT_PHOTO = """
INSERT INTO photos (inspection_id, sha256, item_key, media_type, size_bytes, width, height,
                    original_path, display_path, thumb_path, metadata, client_latitude,
                    client_longitude, client_crs, uploaded_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _saved(row: Any, *, created: bool) -> SavedPhoto:
    fields = dict(row)
    fields["metadata"] = msgspec.json.decode(fields["metadata"])
    return SavedPhoto(**fields, created=created)


async def get_photo(db: Database, inspection_id: str, sha256: str) -> SavedPhoto | None:
    """The stored photo with these bytes in this inspection, or None."""
    row = await db.fetchone(
        _SELECT_PHOTO + "WHERE inspection_id = ? AND sha256 = ?", (inspection_id, sha256)
    )
    return None if row is None else _saved(row, created=False)


async def list_photos(db: Database, inspection_id: str) -> list[SavedPhoto]:
    """An inspection's photos in upload order."""
    rows = await db.fetchall(
        _SELECT_PHOTO + "WHERE inspection_id = ? ORDER BY id", (inspection_id,)
    )
    return [_saved(row, created=False) for row in rows]


async def photo_inventory(db: Database, inspection_id: str, declared: list[str]) -> PhotoInventory:
    """Of the hashes the client says the inspection has, which are held and which missing."""
    rows = await db.fetchall("SELECT sha256 FROM photos WHERE inspection_id = ?", (inspection_id,))
    held = {row[0] for row in rows}
    wanted = list(dict.fromkeys(h.lower() for h in declared))
    return PhotoInventory([h for h in wanted if h in held], [h for h in wanted if h not in held])


async def save_photo(
    db: Database,
    media_dir: Path,
    *,
    inspection_id: str,
    data: bytes,
    item_key: str,
    uploaded_by: str,
    client_position: ClientPosition | None,
    watermark: Watermark | None,
    limits: PhotoLimits,
    font_path: Path | None,
    checks: PhotoChecks | None = None,
) -> SavedPhoto:
    """Store one upload for an inspection; the same bytes again are a no-op.

    The original is kept byte for byte; its files and its row land together
    or not at all.

    Raises:
        NotFoundError: the inspection does not exist.
        PayloadTooLargeError, UnsupportedMediaError, ValidationError: as ``process``,
        and 422 when the inspection already has the maximum number of photos.
    """
    check_size(data, limits)
    check_type(data)
    _check_client(client_position)
    digest = await asyncio.to_thread(_sha256, data)
    existing = await get_photo(db, inspection_id, digest)
    if existing is not None:
        return existing
    visit = await db.fetchone(_SELECT_VISIT, (inspection_id,))
    if visit is None:
        raise NotFoundError(f"检查记录不存在：{inspection_id}", field="inspection_id")
    _check_count(visit["photo_count"], limits)

    staged: dict[str, Path] = {}
    try:
        photo = await _process_and_stage(
            media_dir,
            data,
            staged,
            limits=limits,
            watermark=watermark,
            font_path=font_path,
            client_position=client_position,
        )
        facts = assess(photo.metadata, client_position, _place(visit), checks or PhotoChecks())
        return await _commit(
            db,
            media_dir,
            staged,
            photo,
            facts,
            inspection_id=inspection_id,
            item_key=item_key,
            uploaded_by=uploaded_by,
            limits=limits,
        )
    finally:
        _discard(staged.values())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _process_and_stage(
    media_dir: Path,
    data: bytes,
    staged: dict[str, Path],
    **options: Any,
) -> ProcessedPhoto:
    """Decode in one worker thread while another writes and syncs the original.

    Every temporary file written is noted in ``staged``, for the caller to
    remove, whatever fails.
    """
    results = await asyncio.gather(
        asyncio.to_thread(write_temp, media_dir, data, sync=True),
        asyncio.to_thread(process, data, **options),
        return_exceptions=True,
    )
    original, photo = results
    if isinstance(original, Path):
        staged["original"] = original
    for result in results:
        if isinstance(result, BaseException):
            raise result
    assert isinstance(photo, ProcessedPhoto)

    rel_original, rel_display, rel_thumb = relative_paths(photo)
    staged[rel_original] = staged.pop("original")
    # Derivatives are remade from the original at need, so they skip the fsync.
    for rel, content in ((rel_display, photo.display_jpeg), (rel_thumb, photo.thumb_jpeg)):
        staged[rel] = await asyncio.to_thread(write_temp, media_dir, content, sync=False)
    return photo


def _check_count(count: int, limits: PhotoLimits) -> None:
    if count >= limits.max_per_inspection:
        raise ValidationError(
            f"照片数量已达上限：每次检查最多 {limits.max_per_inspection} 张，已有 {count} 张。",
            field="photo",
        )


def _place(visit: Any) -> TargetPlace:
    try:
        visit_at = datetime.fromisoformat(visit["inspected_at"])
    except ValueError:
        visit_at = datetime.now(UTC)
    if visit_at.tzinfo is None:
        visit_at = visit_at.replace(tzinfo=UTC)
    return TargetPlace(visit["latitude"], visit["longitude"], visit["crs"], visit_at)


def write_temp(media_dir: Path, content: bytes, *, sync: bool) -> Path:
    """Write bytes under a fresh temporary name on the media directory's disk."""
    staging = media_dir / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / f"{uuid.uuid4().hex}.part"
    try:
        with open(path, "xb") as handle:
            handle.write(content)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _discard(paths: Any) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def _commit(
    db: Database,
    media_dir: Path,
    staged: dict[str, Path],
    photo: ProcessedPhoto,
    facts: PhotoFacts,
    *,
    inspection_id: str,
    item_key: str,
    uploaded_by: str,
    limits: PhotoLimits,
) -> SavedPhoto:
    placed: list[Path] = []
    try:
        async with db.transaction() as tx:
            # Re-checked under the write lock: a parallel upload may have won.
            row = await tx.fetchone(
                _SELECT_PHOTO + "WHERE inspection_id = ? AND sha256 = ?",
                (inspection_id, photo.sha256),
            )
            if row is not None:
                return _saved(row, created=False)
            count = await tx.fetchval(
                "SELECT photo_count FROM inspections WHERE id = ?", (inspection_id,)
            )
            _check_count(count, limits)
            saved = await _insert(
                tx,
                photo,
                facts,
                list(relative_paths(photo)),
                inspection_id=inspection_id,
                item_key=item_key,
                uploaded_by=uploaded_by,
            )
            place_files(media_dir, staged, placed)
        return saved
    except BaseException:
        _discard(placed)
        raise


async def _insert(
    tx: Transaction,
    photo: ProcessedPhoto,
    facts: PhotoFacts,
    paths: list[str],
    *,
    inspection_id: str,
    item_key: str,
    uploaded_by: str,
) -> SavedPhoto:
    client = facts.client_position
    now = utcnow()
    cursor = await tx.execute(
        _INSERT_PHOTO,
        (
            inspection_id,
            photo.sha256,
            item_key,
            photo.media_type,
            photo.size_bytes,
            photo.width,
            photo.height,
            *paths,
            msgspec.json.encode(facts).decode(),
            client.latitude if client else None,
            client.longitude if client else None,
            client.crs if client else None,
            uploaded_by,
            now,
        ),
    )
    await tx.execute(
        "UPDATE inspections SET photo_count = photo_count + 1 WHERE id = ?", (inspection_id,)
    )
    await audit.record(
        tx,
        uploaded_by,
        "photo.add",
        "inspection",
        inspection_id,
        {
            "sha256": photo.sha256,
            "item_key": item_key,
            "media_type": photo.media_type,
            "size_bytes": photo.size_bytes,
            "flags": facts.flags,
            "distance_m": facts.distance_m,
        },
    )
    row = await tx.fetchone(_SELECT_PHOTO + "WHERE id = ?", (cursor.lastrowid,))
    return _saved(row, created=True)


def place_files(media_dir: Path, staged: dict[str, Path], placed: list[Path]) -> None:
    """Rename staged files into place, noting each in ``placed``; existing ones are kept."""
    for rel, temp in staged.items():
        final = media_dir / rel
        if final.exists():
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        placed.append(final)
