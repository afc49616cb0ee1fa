"""GB 3847-2018 柴油车污染物排放限值及测量方法（自由加速法及加载减速法）.

- [V] Issued 2018-09-27, in force 2019-05-01; appendix A free acceleration,
  D Ringelmann, E OBD.
- [P] The free-acceleration result is the mean of three readings (K1, K2, K3,
  KAvg in public test-line schemas); [U] the last three valid cycles after the
  purge strokes, passing when the mean is at or below the limit.
- [U] Limits: light-absorption coefficient 1.2 m⁻¹ (limit a) or 0.7 m⁻¹
  (limit b, key regions; Henan's switch date unconfirmed, 2023-07-01 kept as
  data); Ringelmann grade 1. All in limits.toml, chosen by region and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from checklists.errors import ReadingError
from checklists.standards import limits
from checklists.standards._numbers import numbers

OPACITY = "free_acceleration_opacity_m1"
RINGELMANN = "vehicle_ringelmann_grade"
READINGS_KEY = "opacity_readings_m1"
READINGS = 3


def opacity_mean(readings: Sequence[object]) -> Decimal:
    """The mean light-absorption coefficient of exactly three readings."""
    expected = f"{READINGS}个不小于0的光吸收系数读数（m⁻¹）的列表"
    values = numbers(readings, READINGS_KEY, expected)
    if len(values) != READINGS or any(v < 0 for v in values):
        raise ReadingError(READINGS_KEY, expected, readings)
    return sum(values, Decimal(0)) / READINGS


def opacity_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """Limit a or b, whichever binds in the region on the date."""
    return limits.select(OPACITY, region=region, on=on, standard=standard)


def ringelmann_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """The Ringelmann grade limit for in-use diesel vehicles."""
    return limits.select(RINGELMANN, region=region, on=on, standard=standard)
