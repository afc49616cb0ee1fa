"""GB 18483-2001 饮食业油烟排放标准: size class and the measurement procedure.

Rules, from shared/domain/standards.md §1.1:
- [V] Table 1 size class by any one of three measures: reference burners
  ≥1/≥3/≥6, total heat power ≥1.67/≥5.00/≥10 ×10⁸ J/h, hood projected area
  ≥1.1/≥3.3/≥6.6 m² for small/medium/large.
- [V] §6: five consecutive 10-minute samples at the cooking peak; a sample
  below a quarter of the largest is invalid and dropped; at least three must
  remain or the measurement is void and repeated; the rest are averaged.
- [P] The mean is converted to the reference airflow of 2,000 m³/h per burner
  (q基, [V]) as C基 = C测 × Q测 / (q基 × n) (the printed formula is an image).

Rounding: the standard states no rounding rule, and GB/T 8170-2008 §4.3 says
limits are then compared with the full value ([U], from recollection of
GB/T 8170). So nothing is rounded before the comparison; arithmetic is exact
(Decimal) and values are rounded only for display. The same choice holds for
the limits of DB41/1604 and GB 3847, which this package compares alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import msgspec

from checklists.errors import ReadingError
from checklists.standards._numbers import number, numbers

SizeClass = Literal["small", "medium", "large"]
CLASS_NAMES: dict[str, str] = {"small": "小型", "medium": "中型", "large": "大型"}

# Lower bounds of small, medium, large in Table 1, per measure.
CLASS_BOUNDS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "reference_burners": (Decimal(1), Decimal(3), Decimal(6)),
    "heat_power_1e8_j_h": (Decimal("1.67"), Decimal("5.00"), Decimal(10)),
    "hood_area_m2": (Decimal("1.1"), Decimal("3.3"), Decimal("6.6")),
}
REFERENCE_AIRFLOW_M3_H = Decimal(2000)
MAX_SAMPLES = 5
MIN_VALID = 3
SAMPLES_KEY = "fume_samples_mg_m3"


def size_class(measure: str, value: object) -> SizeClass:
    """The Table 1 class from one measure, keyed by its answer key."""
    small, medium, large = CLASS_BOUNDS[measure]
    amount = number(value, measure)
    if amount < small:
        raise ReadingError(measure, f"不小于 {small}（GB 18483 表1 小型下限）", value)
    if amount >= large:
        return "large"
    return "medium" if amount >= medium else "small"


class FumeMeasurement(msgspec.Struct, frozen=True):
    """The outcome of the §6 procedure on one set of samples."""

    samples: tuple[Decimal, ...]
    valid: tuple[Decimal, ...]
    dropped: tuple[Decimal, ...]
    mean: Decimal | None
    reference: Decimal | None

    @property
    def void(self) -> bool:
        return self.reference is None


def split_samples(
    samples: Sequence[object], *, max_samples: int = MAX_SAMPLES
) -> tuple[list[Decimal], list[Decimal]]:
    """Valid and dropped samples by the quarter-of-the-largest rule."""
    expected = f"1至{max_samples}个不小于0的浓度值（mg/m³）的列表"
    values = numbers(samples, SAMPLES_KEY, expected)
    if not 1 <= len(values) <= max_samples or any(v < 0 for v in values):
        raise ReadingError(SAMPLES_KEY, expected, samples)

    # A sample exactly a quarter of the largest is kept: only "below" is dropped.
    largest = max(values)
    valid = [v for v in values if v * 4 >= largest]
    dropped = [v for v in values if v * 4 < largest]
    return valid, dropped


def _flow(airflow: object, burners: object) -> tuple[Decimal, Decimal]:
    """The measured airflow and working burners, both positive."""
    q = number(airflow, "measured_airflow_m3_h")
    n = number(burners, "working_burners")
    if q <= 0:
        raise ReadingError("measured_airflow_m3_h", "大于0的实测排风量（m³/h）", airflow)
    if n <= 0:
        raise ReadingError("working_burners", "大于0的折算工作灶头数", burners)
    return q, n


def reference_concentration(mean: Decimal, airflow: object, burners: object) -> Decimal:
    """C基 = C测 × Q测 / (2000 × n)."""
    q, n = _flow(airflow, burners)
    return mean * q / (REFERENCE_AIRFLOW_M3_H * n)


def measure(
    samples: Sequence[object],
    airflow: object,
    burners: object,
    *,
    max_samples: int = MAX_SAMPLES,
    min_valid: int = MIN_VALID,
) -> FumeMeasurement:
    """Run the §6 procedure: drop, count, average, convert."""
    _flow(airflow, burners)
    valid, dropped = split_samples(samples, max_samples=max_samples)
    taken = tuple(number(v, SAMPLES_KEY) for v in samples)
    if len(valid) < min_valid:
        return FumeMeasurement(taken, tuple(valid), tuple(dropped), None, None)

    mean = sum(valid, Decimal(0)) / len(valid)
    reference = reference_concentration(mean, airflow, burners)
    return FumeMeasurement(taken, tuple(valid), tuple(dropped), mean, reference)
