"""Settings: one typed object read once at start-up from ``XUNCHA_*`` variables.

Each setting is declared once in ``SETTINGS`` with its default and help text;
the README's table is checked against it by a test. A bad value stops start-up
with the variable's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    parse: Callable[[str], Any]


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("应为正整数") from None
    if number <= 0:
        raise ValueError("应为正整数")
    return number


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("应为不小于 0 的整数") from None
    if number < 0:
        raise ValueError("应为不小于 0 的整数")
    return number


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("应为 1/0、true/false、yes/no 或 on/off")


def _secret(value: str) -> str:
    if len(value) < 32:
        raise ValueError(
            "至少 32 个字符（可用 python -c 'import secrets; print(secrets.token_hex(32))' 生成）"
        )
    return value


def _clock(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError("应为本地时间 HH:MM，例如 18:30")
    return int(match.group(1)), int(match.group(2))


def _policy_file(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValueError(f"找不到策略文件 {path}")
    return path


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("应为 DEBUG、INFO、WARNING 或 ERROR")
    return level


SETTINGS: tuple[Setting, ...] = (
    Setting("XUNCHA_DB", "./xuncha.db", "SQLite database file", _path),
    Setting("XUNCHA_MEDIA", "./media", "folder for photos and sessions; must be writable", _path),
    Setting(
        "XUNCHA_SECRET",
        None,
        "secret for session cookies and CSRF tokens, at least 32 characters; required",
        _secret,
    ),
    Setting(
        "XUNCHA_POLICY",
        "",
        "scoring policy TOML file; empty uses the default shipped with scoring/",
        _policy_file,
    ),
    Setting("XUNCHA_PHOTO_MAX_BYTES", "26214400", "largest photo upload in bytes", _positive_int),
    Setting(
        "XUNCHA_PHOTO_MAX_PIXELS",
        "60000000",
        "largest photo in pixels (width x height), checked before decoding",
        _positive_int,
    ),
    Setting(
        "XUNCHA_PHOTOS_PER_INSPECTION", "20", "most photos one inspection may hold", _positive_int
    ),
    Setting(
        "XUNCHA_PHOTO_UPLOAD_MAX_SIDE",
        "0",
        "0 sends photos as taken (evidence); a number of pixels lets the field app scale "
        "larger photos down to that long side before upload, losing their EXIF",
        _non_negative_int,
    ),
    Setting(
        "XUNCHA_PHOTO_FAR_METERS",
        "500",
        "photos taken farther than this from the target are flagged",
        _positive_int,
    ),
    Setting(
        "XUNCHA_ROSTER_TIME",
        "18:00",
        "local time (Asia/Shanghai) when tomorrow's roster is drawn",
        _clock,
    ),
    Setting("XUNCHA_SCHEDULER", "true", "run the nightly jobs in this process", _bool),
    Setting("XUNCHA_TOKEN_HOURS", "12", "lifetime of API bearer tokens in hours", _positive_int),
    Setting(
        "XUNCHA_SECURE_COOKIES",
        "false",
        "mark cookies Secure; turn on when served over HTTPS",
        _bool,
    ),
    Setting("XUNCHA_LOG_LEVEL", "INFO", "logging level", _log_level),
)


def read_one(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One setting on its own, for commands that need no secret (the CLI's policy)."""
    env = os.environ if env is None else env
    setting = next(s for s in SETTINGS if s.name == name)
    raw = env.get(name, setting.default)
    if raw is None:
        raise SettingsError(f"必须设置 {name}：{setting.help}")
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r}: {exc}") from None


@dataclass(frozen=True)
class Settings:
    """The service's configuration, already checked."""

    db: Path
    media: Path
    secret: str
    policy: Path | None
    photo_max_bytes: int
    photo_max_pixels: int
    photos_per_inspection: int
    photo_upload_max_side: int
    photo_far_meters: int
    roster_time: tuple[int, int]
    scheduler: bool
    token_hours: int
    secure_cookies: bool
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every ``XUNCHA_*`` variable; keyword overrides win (used by the CLI and tests)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            field = setting.name.removeprefix("XUNCHA_").lower()
            if field in overrides and overrides[field] is not None:
                values[field] = overrides[field]
                continue
            raw = env.get(setting.name, setting.default)
            if raw is None:
                raise SettingsError(f"必须设置 {setting.name}：{setting.help}")
            try:
                values[field] = setting.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{setting.name}={raw!r}: {exc}") from None
        return cls(**values)
