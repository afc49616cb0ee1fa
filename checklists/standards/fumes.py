"""Which cooking-fume limits apply: GB 18483-2001 or Henan DB41/1604-2018.

- [V] GB 18483-2001 Table 2: fumes at most 2.0 mg/m³ for every class; purifier
  removal efficiency at least 60 / 75 / 85 % for small / medium / large.
- [V] DB41/1604-2018 was approved 2018-06-08 and binds existing units in Henan
  from 2018-11-01; [P] it sets limits per size class; [U] the values
  (1.5 / 1.2 / 1.0 mg/m³, efficiency 90 / 90 / 95 %) are recollection and live
  only in limits.toml, marked U, until checked against the PDF.

The measurement procedure is GB 18483 §6 under both (gb18483.measure): the
Henan text's own procedure could not be read. The choice between them is the
generic one of limits.select: in Henan from 2018-11-01 the provincial row.
"""

from __future__ import annotations

from datetime import date

from checklists.errors import ReadingError
from checklists.standards import limits
from checklists.standards._numbers import number
from checklists.standards.gb18483 import SizeClass

FUMES = "cooking_fumes_mg_m3"
EFFICIENCY = "purifier_efficiency_pct"


def fumes_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """The fume-concentration limit row in force."""
    return limits.select(FUMES, region=region, on=on, standard=standard)


def efficiency_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """The purifier-efficiency limit row in force."""
    return limits.select(EFFICIENCY, region=region, on=on, standard=standard)


def efficiency_passes(value: object, size: SizeClass, row: limits.Limit) -> bool:
    """Whether a removal efficiency (%) meets the class minimum."""
    pct = number(value, EFFICIENCY)
    if not 0 <= pct <= 100:
        raise ReadingError(EFFICIENCY, "0至100之间的去除效率（%）", value)
    return limits.within(pct, row, size)
