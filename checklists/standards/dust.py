"""Construction-site PM10 against the online-monitoring alarm levels.

- [V] Wuhan (2017): an hourly PM10 mean above 150 µg/m³ raises a warning;
  above 200 µg/m³ the site's measures are checked on the spot and a site
  without them stops work until the level falls below 150.
- [P] Xuchang is taken to follow the same levels (no Henan figure was found),
  so the row in limits.toml is marked P.

A reading at a level is not above it: 150 is normal, 200 is a warning.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from checklists.errors import ReadingError
from checklists.standards import limits
from checklists.standards._numbers import number

PM10 = "pm10_hourly_ug_m3"
Level = Literal["normal", "warning", "alarm"]


def pm10_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """The warning and alarm levels in force."""
    return limits.select(PM10, region=region, on=on, standard=standard)


def pm10_level(value: object, row: limits.Limit, key: str = "pm10_ug_m3") -> Level:
    """Normal, warning or alarm for an hourly PM10 mean."""
    reading = number(value, key)
    if reading < 0:
        raise ReadingError(key, "不小于0的PM10小时均值（µg/m³）", value)
    if not limits.within(reading, row, "alarm"):
        return "alarm"
    return "normal" if limits.within(reading, row, "warning") else "warning"
