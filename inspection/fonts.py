"""Finding a font that really draws Chinese, for the photo watermark.

A font file that exists is not enough: a Latin-only font draws every Chinese
character as the same empty box (.notdef), and a watermark of boxes would be
useless as evidence. So each candidate is checked by rendering.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

DEBIAN_PACKAGES = ("fonts-wqy-microhei", "fonts-noto-cjk")

KNOWN_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)

# Every character the watermark labels use; all must have real glyphs.
PROBE_TEXT = "检查员拍摄时间位置"

# A code point in a private-use plane: no CJK font maps it, so it draws .notdef.
_NOTDEF_PROBE = "\U0010fffd"


class CjkFontMissingError(RuntimeError):
    """No installed font can draw the watermark's Chinese text."""


def find_cjk_font(explicit: Path | None = None) -> Path:
    """The path of an installed font that draws Chinese, checked by rendering.

    Raises:
        CjkFontMissingError: naming the Debian packages that provide one.
    """
    tried = []
    for path in _candidates(explicit):
        tried.append(str(path))
        if has_cjk_glyphs(path):
            return path
        logger.warning("font %s cannot draw %s; skipped", path, PROBE_TEXT)
    raise CjkFontMissingError(
        "找不到可以显示中文的字体，水印无法绘制。"
        f"请安装 Debian 软件包 {' 或 '.join(DEBIAN_PACKAGES)}"
        f"（例如 apt-get install -y {DEBIAN_PACKAGES[0]}）。"
        f"已检查：{', '.join(tried) or '无'}"
    )


def _candidates(explicit: Path | None) -> list[Path]:
    found = [explicit] if explicit is not None else []
    found += [p for p in KNOWN_PATHS if p.is_file()]
    matched = _fc_match()
    if matched is not None and matched not in found:
        found.append(matched)
    return found


def _fc_match() -> Path | None:
    """The file fontconfig picks for Chinese, when fontconfig is installed."""
    binary = shutil.which("fc-match")
    if binary is None:
        return None
    result = subprocess.run(
        [binary, "-f", "%{file}", ":lang=zh"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    path = Path(result.stdout.strip()) if result.returncode == 0 else None
    return path if path is not None and path.is_file() else None


@lru_cache(maxsize=16)
def has_cjk_glyphs(path: Path) -> bool:
    """Whether every probe character draws ink that differs from .notdef."""
    try:
        font = ImageFont.truetype(str(path), 32)
    except OSError:
        return False
    notdef = _render(font, _NOTDEF_PROBE)
    for char in PROBE_TEXT:
        drawn = _render(font, char)
        if drawn == notdef or not any(drawn):
            return False
    return True


def _render(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    canvas = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(canvas).text((8, 4), char, font=font, fill=255)
    return canvas.tobytes()
