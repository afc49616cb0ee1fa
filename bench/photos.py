"""How long a 12-megapixel phone photo takes from upload to stored files.

Compares ``save_photo`` end to end (checks, hash, strict decode, derivatives,
watermark, three files written and synced, one database transaction) with the
bare Pillow steps that make the same derivatives in memory, in the same run.
Then measures peak resident memory for ten concurrent 20 MB uploads in a
child process. The last line printed is JSON with every figure.

Run: .venv/bin/python bench/photos.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspection.db import Database, utcnow  # noqa: E402
from inspection.fonts import find_cjk_font  # noqa: E402
from inspection.photos import (  # noqa: E402
    DISPLAY_LONG_SIDE,
    THUMB_LONG_SIDE,
    PhotoLimits,
    Watermark,
    draw_watermark,
    save_photo,
)

WATERMARK = Watermark("2026-12-03 14:05 (UTC+8)", "34.0360N 113.8520E", "魏都区测试工地", "XC-012")


def phone_jpeg(width: int, height: int, quality: int, sigma: float) -> bytes:
    """Gradients, shapes and sensor-like noise with phone EXIF: compresses like a photo."""
    channels = []
    for angle, sigma_scale in ((0, 1.0), (90, 0.8), (45, 1.2)):
        gradient = Image.linear_gradient("L").rotate(angle).resize((width, height))
        noise = Image.effect_noise((width, height), sigma * sigma_scale)
        channels.append(Image.blend(gradient, noise, 0.35))
    image = Image.merge("RGB", channels)
    image.paste((200, 60, 40), (width // 5, height // 4, width // 2, height // 2))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Xiaomi", "Redmi Note 12", 6
    exif.get_ifd(0x8769).update({36867: "2026:12:03 14:05:09", 36881: "+08:00"})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def bare_pillow(data: bytes, font: Path) -> tuple[bytes, bytes]:
    """The same derivatives with Pillow alone: draft decode, resize, turn, mark, encode."""
    image = Image.open(io.BytesIO(data))
    scale = DISPLAY_LONG_SIDE / max(image.size)
    target = (round(image.width * scale), round(image.height * scale))
    image.draft("RGB", target)
    display = image.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
    # resize keeps the source's info, so the EXIF orientation comes along.
    display = ImageOps.exif_transpose(display)
    thumb = display.copy()
    thumb.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE), Image.Resampling.BICUBIC)
    display = draw_watermark(display, WATERMARK, font)
    out = []
    for derivative, quality in ((display, 85), (thumb, 80)):
        buffer = io.BytesIO()
        derivative.save(buffer, "JPEG", quality=quality)
        out.append(buffer.getvalue())
    return out[0], out[1]


async def seed(db: Database, count: int) -> None:
    now = utcnow()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO enterprises (uscc, name, created_at, updated_at)"
            " VALUES ('91411000MA0000000X', '基准测试企业', ?, ?)",
            (now, now),
        )
        await tx.execute(
            "INSERT INTO targets (id, enterprise_uscc, kind, name, latitude, longitude,"
            " created_at, updated_at) VALUES ('t1', '91411000MA0000000X',"
            " 'construction_site', '魏都区测试工地', 34.036, 113.852, ?, ?)",
            (now, now),
        )
        await tx.executemany(
            "INSERT INTO inspections (id, target_id, inspected_at, verdict, body_sha256,"
            " created_at) VALUES (?, 't1', ?, 'pass', 'x', ?)",
            [(f"i{n}", now, now) for n in range(count)],
        )


async def time_both(variants: list[bytes], font: Path, root: Path) -> dict[str, list[float]]:
    """Seconds per photo both ways, interleaved so both see the same machine load.

    Each ``save_photo`` call stores a new photo (distinct bytes) for a new inspection.
    """
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    async with Database(root / "bench.db") as db:
        await seed(db, len(variants))
        for n, data in enumerate(variants):
            started = time.perf_counter()
            bare_pillow(data, font)
            timings["bare"].append(time.perf_counter() - started)

            started = time.perf_counter()
            await _save(db, root, n, data, font)
            timings["ours"].append(time.perf_counter() - started)
    return timings


async def _save(db: Database, root: Path, n: int, data: bytes, font: Path) -> object:
    """One upload as the service stores it, for inspection ``i<n>``."""
    return await save_photo(
        db,
        root / "media",
        inspection_id=f"i{n}",
        data=data,
        item_key="dust",
        uploaded_by="bench",
        client_position=None,
        watermark=WATERMARK,
        limits=PhotoLimits(),
        font_path=font,
    )


async def concurrent_uploads(count: int) -> dict[str, float]:
    """Peak RSS while ``count`` uploads of about 20 MB are saved at once."""
    font = find_cjk_font()
    base = phone_jpeg(6000, 4500, 97, 90)
    variants = [base + n.to_bytes(4, "big") for n in range(count)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        async with Database(root / "mem.db") as db:
            await seed(db, count)
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    _save(db, root, n, data, font)
                    for n, data in enumerate(variants)
                )
            )
            elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "uploads": count,
        "upload_mb": round(len(base) / 1e6, 1),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "seconds": round(elapsed, 2),
    }


def memory_in_child() -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(asyncio.run(concurrent_uploads(10))))
        return

    font = find_cjk_font()
    photo = phone_jpeg(4000, 3000, 90, 40)
    # Distinct bytes after the end-of-image marker: new hashes, same pixels.
    variants = [photo + n.to_bytes(4, "big") for n in range(args.rounds + 2)]
    with tempfile.TemporaryDirectory() as tmp:
        # The first two rounds warm caches, fonts and threads, and are dropped.
        timings = asyncio.run(time_both(variants, font, Path(tmp)))
    ours, bare = timings["ours"][2:], timings["bare"][2:]

    ours_ms = statistics.median(ours) * 1000
    bare_ms = statistics.median(bare) * 1000
    ratio = bare_ms / ours_ms
    print(f"12 MP JPEG, {len(photo) / 1e6:.1f} MB, {args.rounds} rounds (median)")
    print(f"  save_photo end to end : {ours_ms:7.1f} ms  (target < 250 ms)")
    print(f"  bare Pillow steps     : {bare_ms:7.1f} ms")
    print(f"  throughput ratio      : {ratio:7.1%}  (target >= 80 %)")
    memory = memory_in_child()
    print(
        f"  10 concurrent {memory['upload_mb']} MB uploads: peak RSS {memory['peak_rss_mb']} MB"
        f" in {memory['seconds']} s (target < 1024 MB)"
    )
    print(
        json.dumps(
            {
                "photo_mb": round(len(photo) / 1e6, 2),
                "rounds": args.rounds,
                "end_to_end_ms": round(ours_ms, 1),
                "bare_pillow_ms": round(bare_ms, 1),
                "end_to_end_mean_ms": round(statistics.mean(ours) * 1000, 1),
                "bare_pillow_mean_ms": round(statistics.mean(bare) * 1000, 1),
                "throughput_ratio": round(ratio, 3),
                "memory": memory,
            }
        )
    )


if __name__ == "__main__":
    main()
