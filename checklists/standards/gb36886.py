"""GB 36886-2018 非道路柴油移动机械排气烟度限值及测量方法.

- [V] In force 2018-12-01 for in-use non-road diesel machinery (excavators,
  loaders, rollers, generators ...); appendix B is the Ringelmann method.
- [U] Ringelmann grade at most 1 for every class (limits.toml). The class
  I/II/III light-absorption limits by rated power are [U] too and not judged
  here: site inspectors record the Ringelmann grade and the registration code.
"""

from __future__ import annotations

from datetime import date

from checklists.standards import limits

RINGELMANN = "nonroad_ringelmann_grade"


def ringelmann_limit(*, region: str, on: date, standard: str | None = None) -> limits.Limit:
    """The Ringelmann grade limit for non-road machinery."""
    return limits.select(RINGELMANN, region=region, on=on, standard=standard)
