"""Draw the web app's icons (a check mark in a magnifier on the bureau's green).

Run once and commit the PNGs: ``.venv/bin/python frontend/make_icons.py``.
The drawing is plain shapes so no font or network is needed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 110, 79, 255)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent / "static" / "icons"


def draw_icon(size: int, *, padding: float) -> Image.Image:
    """The icon at one size; padding is the share of the edge kept clear (maskable icons)."""
    scale = 4  # drawn large and scaled down, for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), GREEN)
    pen = ImageDraw.Draw(image)
    inner = big * (1 - 2 * padding)
    x0 = y0 = big * padding
    unit = inner / 10
    ring = (x0 + unit * 1.2, y0 + unit * 1.2, x0 + unit * 7.2, y0 + unit * 7.2)
    pen.ellipse(ring, outline=WHITE, width=int(unit * 0.9))
    handle = [(x0 + unit * 6.4, y0 + unit * 6.4), (x0 + unit * 9, y0 + unit * 9)]
    pen.line(handle, fill=WHITE, width=int(unit * 1.3))
    tick = [
        (x0 + unit * 2.7, y0 + unit * 4.3),
        (x0 + unit * 3.9, y0 + unit * 5.5),
        (x0 + unit * 5.8, y0 + unit * 3.1),
    ]
    pen.line(tick, fill=WHITE, width=int(unit * 0.8), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw_icon(size, padding=0.06).save(OUT / f"icon-{size}.png", optimize=True)
    draw_icon(512, padding=0.16).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
