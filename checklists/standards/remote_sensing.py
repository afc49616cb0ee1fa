"""Remote-sensing records of in-use diesel vehicles.

- [V] A vehicle is non-compliant when the same pollutant exceeds the limit two
  or more times within six months (Beijing's 2022 remote-sensing standard,
  which says it follows the national rule). [U] That the national rule sits in
  HJ 845-2017. Count and window are data in limits.toml.

The window is the six calendar months ending on the inspection date, both
ends included: on 2024-08-31 it starts 2024-02-29 (day clamped to the month).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from datetime import date

import msgspec

from checklists.errors import ReadingError

KEY = "remote_sensing_exceedances"
POLLUTANTS: dict[str, str] = {
    "opacity": "烟度（不透光度）",
    "nox": "氮氧化物",
    "ringelmann": "林格曼黑度",
}


class Exceedance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One remote-sensing record over the screening limit."""

    date: date
    pollutant: str


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to month end."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse(records: object, on: date) -> list[Exceedance]:
    """Records as Exceedances, none after the inspection date."""
    expected = '超标记录列表，每条为 {"date": "YYYY-MM-DD", "pollutant": "opacity|nox|ringelmann"}'
    try:
        parsed = msgspec.convert(records, list[Exceedance], strict=False)
    except msgspec.ValidationError as exc:
        raise ReadingError(KEY, expected, records) from exc
    if any(r.pollutant not in POLLUTANTS or r.date > on for r in parsed):
        raise ReadingError(KEY, expected + f"，日期不晚于 {on.isoformat()}", records)
    return parsed


def tally(records: Sequence[Exceedance], on: date, *, window_months: int = 6) -> dict[str, int]:
    """Exceedances per pollutant in the window ending on ``on``."""
    start = months_before(on, window_months)
    return dict(Counter(r.pollutant for r in records if start <= r.date <= on))


def repeated(
    records: Sequence[Exceedance], on: date, *, count: int = 2, window_months: int = 6
) -> list[str]:
    """Pollutants over the limit ``count`` or more times in the window."""
    found = tally(records, on, window_months=window_months)
    return sorted(p for p, n in found.items() if n >= count)
