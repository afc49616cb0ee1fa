"""Settings fail loudly, and each one is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspection.settings import SETTINGS, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_readme(setting: object) -> None:
    assert f"`{setting.name}`" in README.read_text(encoding="utf-8")  # type: ignore[attr-defined]


def test_the_secret_is_required() -> None:
    with pytest.raises(SettingsError, match="必须设置 XUNCHA_SECRET"):
        Settings.from_env({})


@pytest.mark.parametrize(("name", "value"), [
    ("XUNCHA_SECRET", "short"),
    ("XUNCHA_PHOTO_MAX_BYTES", "-1"),
    ("XUNCHA_PHOTO_MAX_BYTES", "lots"),
    ("XUNCHA_ROSTER_TIME", "25:00"),
    ("XUNCHA_SCHEDULER", "maybe"),
    ("XUNCHA_LOG_LEVEL", "LOUD"),
    ("XUNCHA_POLICY", "/nonexistent/policy.toml"),
])
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    env = {"XUNCHA_SECRET": "k" * 40, name: value}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def test_values_are_parsed() -> None:
    settings = Settings.from_env({"XUNCHA_SECRET": "k" * 40, "XUNCHA_ROSTER_TIME": "19:30",
                                  "XUNCHA_SCHEDULER": "off"})
    assert settings.roster_time == (19, 30) and settings.scheduler is False
