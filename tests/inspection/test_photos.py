"""Photos as evidence, on the shared sample photos and crafted hostile files."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from inspection import audit, fonts
from inspection.db import Database
from inspection.errors import (
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaError,
    ValidationError,
    XunchaError,
)
from inspection.photos import (
    ClientPosition,
    PhotoChecks,
    PhotoLimits,
    Watermark,
    haversine_m,
    photo_inventory,
    photo_paths,
    process,
    save_photo,
    sniff,
    to_crs,
    wgs84_to_gcj02,
)
from tests.inspection.photo_fixtures import (
    PHOTOS,
    XUCHANG,
    closest_orientation,
    colour_distance,
    files_under,
    manifest,
    png_header_only,
    quadrant_means,
    seed_inspection,
)

LIMITS = PhotoLimits()
WATERMARK = Watermark("", "", "魏都区测试餐馆", "XC-012")

# Pillow opens it (manifest column "pil"), but libjpeg reports "premature end
# of data segment": its last rows are grey filler, not what the camera saw.
BROKEN = {"jpg/corrupted.jpg"}


@pytest.fixture(scope="module")
def font() -> Path:
    return fonts.find_cjk_font()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "xuncha.db") as database:
        await seed_inspection(database)
        yield database


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


async def save(db: Database, media: Path, data: bytes, font: Path, **options: object):
    arguments: dict[str, object] = {
        "inspection_id": "insp-1",
        "data": data,
        "item_key": "dust.cover",
        "uploaded_by": "inspector:XC-012",
        "client_position": None,
        "watermark": WATERMARK,
        "limits": LIMITS,
        "font_path": font,
    }
    arguments.update(options)
    return await save_photo(db, media, **arguments)  # type: ignore[arg-type]


async def assert_nothing_kept(db: Database, media: Path) -> None:
    assert files_under(media) == []
    assert await db.fetchval("SELECT COUNT(*) FROM photos") == 0
    assert await db.fetchval("SELECT photo_count FROM inspections") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'photo.add'") == 0


def read(rel: str) -> bytes:
    return (PHOTOS / rel).read_bytes()


# ------------------------------------------------------------- every sample


@pytest.mark.parametrize("row", manifest(), ids=lambda row: row["path"])
async def test_every_sample_photo(
    db: Database, media: Path, font: Path, row: dict[str, str]
) -> None:
    data = read(row["path"])
    if row["path"] in BROKEN:
        with pytest.raises(ValidationError, match="损坏或不完整"):
            await save(db, media, data, font)
        await assert_nothing_kept(db, media)
        return

    saved = await save(db, media, data, font)

    camera = saved.metadata["camera"]
    assert saved.created and saved.size_bytes == int(row["bytes"])
    assert (camera["gps_latitude"] is not None) == (row["gps"] == "True")
    assert (camera["make"] or "") == row["make"].strip()
    # The manifest lists DateTimeOriginal; without it DateTime may still give a time.
    if row["datetime"]:
        assert camera["taken_at"][:19] == row["datetime"].replace(":", "-", 2).replace(" ", "T")
    assert (camera["taken_at"] is None) == (camera["time_flag"] == "missing_time")
    paths = photo_paths(media, saved)
    assert paths.original.read_bytes() == data
    with Image.open(paths.display) as display:
        assert max(display.size) <= 1600
        assert display.width / display.height == pytest.approx(saved.width / saved.height, abs=0.02)


# --------------------------------------------------------------- orientation


def upright_display(rel: str) -> Image.Image:
    photo = process(read(rel), limits=LIMITS, watermark=None, font_path=None)
    return Image.open(io.BytesIO(photo.display_jpeg)).convert("RGB")


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientations_come_out_upright(shape: str, orientation: int) -> None:
    reference = upright_display(f"jpg/orientation/{shape}_1.jpg")
    turned = upright_display(f"jpg/orientation/{shape}_{orientation}.jpg")

    assert turned.size == reference.size
    assert colour_distance(quadrant_means(turned), quadrant_means(reference)) < 12
    # Of the reference in all eight orientations, the unturned one fits best.
    assert closest_orientation(turned, reference) is None


def test_heic_orientation_6_is_turned_exactly_once() -> None:
    photo = process(
        read("heic/mobile/iphone_13_pro_max.HEIC"), limits=LIMITS, watermark=None, font_path=None
    )

    assert photo.media_type == "image/heic"
    assert photo.metadata.orientation == 6
    assert (photo.width, photo.height) == (3024, 4032)
    with Image.open(io.BytesIO(photo.display_jpeg)) as display:
        assert display.size == (1200, 1600)


# ------------------------------------------------------------------ hostile


async def test_png_declaring_100000_squared_is_refused_before_decoding(
    db: Database, media: Path, font: Path
) -> None:
    bomb = png_header_only(100_000, 100_000)
    assert len(bomb) < 200

    with pytest.raises(ValidationError, match="像素过多") as caught:
        await save(db, media, bomb, font)

    assert caught.value.status_code == 422
    assert "60000000" in caught.value.message
    await assert_nothing_kept(db, media)


@pytest.mark.parametrize(
    "rel", ["jpg/orientation/landscape_1.jpg", "jpg/gps/DSCN0010.jpg", "heic/IMG_5195.HEIC"]
)
async def test_file_cut_in_half_is_422(db: Database, media: Path, font: Path, rel: str) -> None:
    data = read(rel)

    with pytest.raises(ValidationError) as caught:
        await save(db, media, data[: len(data) // 2], font)

    assert caught.value.status_code == 422
    await assert_nothing_kept(db, media)


async def test_text_named_jpg_is_415_naming_text(db: Database, media: Path, font: Path) -> None:
    with pytest.raises(UnsupportedMediaError, match="文本文件") as caught:
        await save(db, media, "这不是照片 not a photo\n".encode() * 20, font)

    assert caught.value.status_code == 415
    await assert_nothing_kept(db, media)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"GIF89a" + b"\x00" * 40, "GIF"),
        (b"%PDF-1.7\n" + b"\x00" * 40, "PDF"),
        (bytes(range(256)) * 4, "无法识别"),
    ],
)
def test_other_types_are_415_naming_what_arrived(data: bytes, named: str) -> None:
    with pytest.raises(UnsupportedMediaError, match=named):
        process(data, limits=LIMITS, watermark=None, font_path=None)


async def test_heic_whatever_its_name_is_accepted(db: Database, media: Path, font: Path) -> None:
    saved = await save(db, media, read("heic/IMG_5195.HEIC"), font)

    assert saved.media_type == "image/heic"
    assert saved.original_path.endswith(f"{saved.sha256}.heic")


async def test_zero_bytes_is_422(db: Database, media: Path, font: Path) -> None:
    with pytest.raises(ValidationError, match="0 字节"):
        await save(db, media, b"", font)
    await assert_nothing_kept(db, media)


# ------------------------------------------------------------------- limits


async def test_byte_limit_boundary(db: Database, media: Path, font: Path) -> None:
    data = read("jpg/orientation/landscape_1.jpg")

    with pytest.raises(PayloadTooLargeError) as caught:
        await save(db, media, data, font, limits=PhotoLimits(max_bytes=len(data) - 1))
    assert caught.value.status_code == 413
    assert f"上限 {len(data) - 1} 字节，收到 {len(data)} 字节" in caught.value.message
    await assert_nothing_kept(db, media)

    saved = await save(db, media, data, font, limits=PhotoLimits(max_bytes=len(data)))
    assert saved.created


async def test_pixel_limit_boundary(db: Database, media: Path, font: Path) -> None:
    data = read("jpg/orientation/landscape_1.jpg")  # 600 x 450 = 270000 pixels

    with pytest.raises(ValidationError, match="上限 269999 像素") as caught:
        await save(db, media, data, font, limits=PhotoLimits(max_pixels=269_999))
    assert "270000" in caught.value.message
    await assert_nothing_kept(db, media)

    saved = await save(db, media, data, font, limits=PhotoLimits(max_pixels=270_000))
    assert saved.created


async def test_photos_per_inspection_boundary(db: Database, media: Path, font: Path) -> None:
    limits = PhotoLimits(max_per_inspection=2)
    for n in (1, 2):
        await save(db, media, read(f"jpg/orientation/landscape_{n}.jpg"), font, limits=limits)

    with pytest.raises(ValidationError, match="最多 2 张，已有 2 张"):
        await save(db, media, read("jpg/orientation/landscape_3.jpg"), font, limits=limits)

    assert await db.fetchval("SELECT COUNT(*) FROM photos") == 2
    # The same bytes again are a no-op, not a refusal, even at the limit.
    again = await save(db, media, read("jpg/orientation/landscape_2.jpg"), font, limits=limits)
    assert not again.created


async def test_unknown_inspection_is_404(db: Database, media: Path, font: Path) -> None:
    with pytest.raises(NotFoundError):
        await save(db, media, read("jpg/Canon_40D.jpg"), font, inspection_id="nope")
    assert files_under(media) == []


# ------------------------------------------------------ integrity, storage


async def test_same_photo_twice_is_a_no_op(db: Database, media: Path, font: Path) -> None:
    data = read("jpg/gps/DSCN0010.jpg")

    first = await save(db, media, data, font)
    files = files_under(media)
    second = await save(db, media, data, font)

    assert first.created and not second.created
    assert second.id == first.id and second.sha256 == first.sha256
    assert files_under(media) == files
    assert await db.fetchval("SELECT photo_count FROM inspections") == 1
    assert await db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'photo.add'") == 1


async def test_original_is_byte_identical_and_content_addressed(
    db: Database, media: Path, font: Path
) -> None:
    data = read("jpg/hdr/iphone_hdr_YES.jpg")

    saved = await save(db, media, data, font)

    sha = saved.sha256
    assert saved.original_path == f"originals/{sha[:2]}/{sha}.jpg"
    assert saved.thumb_path == f"thumbs/{sha[:2]}/{sha}.jpg"
    assert photo_paths(media, saved).original.read_bytes() == data
    assert not list((media / ".staging").iterdir())


async def test_audit_entry_names_the_hash_and_holds_no_bytes(
    db: Database, media: Path, font: Path
) -> None:
    saved = await save(db, media, read("jpg/gps/DSCN0010.jpg"), font)

    row = await db.fetchone(
        "SELECT actor, entity_id, detail FROM audit_log WHERE action = 'photo.add'"
    )
    detail = json.loads(row["detail"])
    assert (row["actor"], row["entity_id"]) == ("inspector:XC-012", "insp-1")
    assert detail["sha256"] == saved.sha256
    assert len(row["detail"]) < 400
    assert (await audit.verify(db))[1] is None


async def test_failed_transaction_leaves_no_files(db: Database, media: Path, font: Path) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON photos"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )

    with pytest.raises(Exception, match="disk full"):
        await save(db, media, read("jpg/gps/DSCN0010.jpg"), font)

    await assert_nothing_kept(db, media)


async def test_derivatives_carry_no_metadata(db: Database, media: Path, font: Path) -> None:
    saved = await save(db, media, read("heic/IMG_5195.HEIC"), font)
    assert saved.metadata["camera"]["gps_latitude"] is not None

    paths = photo_paths(media, saved)
    for path in (paths.display, paths.thumb):
        data = path.read_bytes()
        for marker in (b"Exif\x00\x00", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"GPS"):
            assert marker not in data
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            assert not image.getexif()
            assert "icc_profile" not in image.info


def test_watermark_darkens_and_writes_the_bottom_band(font: Path) -> None:
    data = read("jpg/orientation/landscape_1.jpg")

    plain = process(data, limits=LIMITS, watermark=None, font_path=font)
    marked = process(data, limits=LIMITS, watermark=WATERMARK, font_path=font)

    a = Image.open(io.BytesIO(plain.display_jpeg)).convert("L")
    b = Image.open(io.BytesIO(marked.display_jpeg)).convert("L")
    w, h = a.size
    top = (0, 0, w, h // 3)
    bottom = (0, h - h // 6, w, h)
    assert colour_distance(quadrant_means(a.crop(top)), quadrant_means(b.crop(top))) < 3
    band_a, band_b = a.crop(bottom), b.crop(bottom)
    assert colour_distance(quadrant_means(band_a), quadrant_means(band_b)) > 20
    assert band_b.getextrema()[1] > 200  # white text on the darkened band


def test_watermark_fills_time_and_position_from_the_photo(font: Path) -> None:
    from inspection.photos import complete_watermark, read_metadata, watermark_lines

    with Image.open(PHOTOS / "heic/IMG_5195.HEIC") as header:
        metadata = read_metadata(header)
    lines = watermark_lines(complete_watermark(WATERMARK, metadata, None))

    assert lines == [
        "拍摄时间 2021-04-11 15:47 (UTC-5)",
        "位置 39.0513N 94.2888W ±39m",
        "魏都区测试餐馆",
        "检查员 XC-012",
    ]


# ------------------------------------------------------ positions and flags


def test_gcj02_offset_at_xuchang_matches_standards_section_6() -> None:
    lat, lon = wgs84_to_gcj02(*XUCHANG)

    assert lat - XUCHANG[0] == pytest.approx(-0.00156, abs=0.000005)
    assert lon - XUCHANG[1] == pytest.approx(0.00587, abs=0.000005)
    assert haversine_m(*XUCHANG, lat, lon) == pytest.approx(570, abs=5)


def test_gcj02_leaves_points_outside_china_alone() -> None:
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_m(34.0, 113.0, 35.0, 113.0) == pytest.approx(111_195.1, abs=0.5)


def test_only_forward_conversion_is_offered() -> None:
    with pytest.raises(ValueError, match="forward"):
        to_crs(34.0, 113.0, "gcj02", "wgs84")


async def test_distance_is_never_taken_across_crs(tmp_path: Path, media: Path, font: Path) -> None:
    gcj = wgs84_to_gcj02(*XUCHANG)
    async with Database(tmp_path / "gcj.db") as db:
        await seed_inspection(db, latitude=gcj[0], longitude=gcj[1], crs="gcj02")
        browser = ClientPosition(XUCHANG[0], XUCHANG[1], accuracy_m=8.0)

        saved = await save(
            db, media, read("jpg/orientation/landscape_1.jpg"), font, client_position=browser
        )

        facts = saved.metadata
        assert facts["position_source"] == "client" and facts["distance_crs"] == "gcj02"
        assert facts["distance_m"] < 1.0
        assert "far_from_target" not in facts["flags"]
        row = await db.fetchone("SELECT client_latitude, client_crs FROM photos")
        assert tuple(row) == (XUCHANG[0], "wgs84")


async def test_far_from_target_boundary(db: Database, media: Path, font: Path) -> None:
    browser = ClientPosition(XUCHANG[0] + 0.0045, XUCHANG[1])
    gap = round(haversine_m(*XUCHANG, browser.latitude, browser.longitude), 1)
    data = read("jpg/orientation/landscape_1.jpg")

    at = await save(
        db, media, data, font, client_position=browser, checks=PhotoChecks(far_from_target_m=gap)
    )
    await seed_inspection(db, "insp-2")
    over = await save(
        db,
        media,
        data,
        font,
        client_position=browser,
        inspection_id="insp-2",
        checks=PhotoChecks(far_from_target_m=gap - 0.1),
    )

    assert at.metadata["distance_m"] == gap
    assert "far_from_target" not in at.metadata["flags"]
    assert "far_from_target" in over.metadata["flags"]


@pytest.mark.parametrize(
    ("visit", "flagged"),
    [
        ("2008-10-22T20:28:39Z", False),  # exactly 12 h after 16:28:39 at UTC+8
        ("2008-10-22T20:28:40Z", True),
    ],
)
async def test_taken_long_before_visit_boundary(
    tmp_path: Path, media: Path, font: Path, visit: str, flagged: bool
) -> None:
    async with Database(tmp_path / "visit.db") as db:
        await seed_inspection(db, inspected_at=visit)

        saved = await save(db, media, read("jpg/gps/DSCN0010.jpg"), font)

    assert saved.metadata["camera"]["time_flag"] == "missing_offset"
    assert ("taken_long_before" in saved.metadata["flags"]) is flagged


async def test_bad_client_position_is_422(db: Database, media: Path, font: Path) -> None:
    for position in (ClientPosition(91.0, 113.0), ClientPosition(34.0, 113.0, crs="utm")):
        with pytest.raises(ValidationError):
            await save(db, media, read("jpg/Canon_40D.jpg"), font, client_position=position)
    await assert_nothing_kept(db, media)


async def test_inventory_says_which_hashes_are_held(db: Database, media: Path, font: Path) -> None:
    saved = await save(db, media, read("jpg/Canon_40D.jpg"), font)

    inventory = await photo_inventory(db, "insp-1", [saved.sha256.upper(), "ab" * 32])

    assert inventory.held == [saved.sha256]
    assert inventory.missing == ["ab" * 32]


# --------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    ("rel", "media_type"),
    [
        ("jpg/Canon_40D.jpg", "image/jpeg"),
        ("heic/IMG_5195.HEIC", "image/heic"),
        ("heic/mobile/iphone_13_pro_max.HEIC", "image/heic"),
    ],
)
def test_sniff_reads_the_bytes(rel: str, media_type: str) -> None:
    assert sniff(read(rel)) == media_type


def test_sniff_png_webp_and_plain_heif() -> None:
    for fmt, media_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, fmt)
        assert sniff(buffer.getvalue()) == media_type
    assert sniff(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf") == "image/heif"
    assert sniff(b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1") is None
    assert sniff(b"hello") is None


def test_png_with_transparency_is_flattened_on_white() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(buffer, "PNG")

    photo = process(buffer.getvalue(), limits=LIMITS, watermark=None, font_path=None)

    with Image.open(io.BytesIO(photo.display_jpeg)) as display:
        assert display.getpixel((20, 15))[0] > 250


# --------------------------------------------------------------------- fonts


def test_found_font_draws_chinese(font: Path) -> None:
    assert fonts.has_cjk_glyphs(font)


def test_latin_font_is_refused() -> None:
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.is_file():
        pytest.skip("DejaVu is not installed here")
    assert not fonts.has_cjk_glyphs(dejavu)
    assert fonts.find_cjk_font(dejavu) != dejavu


def test_missing_font_names_the_debian_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "KNOWN_PATHS", ())
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(fonts.CjkFontMissingError, match="fonts-wqy-microhei"):
        fonts.find_cjk_font()


def test_every_refusal_is_a_4xx() -> None:
    for error in (ValidationError, PayloadTooLargeError, UnsupportedMediaError):
        assert issubclass(error, XunchaError) and 400 <= error.status_code < 500


def test_thumbnail_of_a_small_photo_carries_no_watermark(font: Path) -> None:
    data = read("jpg/Canon_40D.jpg")  # 100 x 68: display and thumbnail are one size

    plain = process(data, limits=LIMITS, watermark=None, font_path=font)
    marked = process(data, limits=LIMITS, watermark=WATERMARK, font_path=font)

    assert marked.thumb_jpeg == plain.thumb_jpeg
    assert marked.display_jpeg != plain.display_jpeg
