"""Exact arithmetic for readings.

Readings arrive as JSON numbers (binary floats); each is turned into a Decimal
through its shortest decimal text, so 0.7 stays 0.7 and a mean that equals the
limit on paper equals it here too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from checklists.errors import ReadingError


def number(value: object, key: str, expected: str = "数值") -> Decimal:
    """A finite reading as a Decimal, or ReadingError naming the key."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReadingError(key, expected, value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ReadingError(key, expected, value)
    return Decimal(str(value))


def numbers(values: object, key: str, expected: str) -> list[Decimal]:
    """A list of readings as Decimals."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ReadingError(key, expected, values)
    return [number(v, key, expected) for v in values]


def shown(value: Decimal) -> float:
    """A computed value for display: six decimals, half to even (GB/T 8170)."""
    return float(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def ringelmann_grade(value: object, key: str) -> int:
    """A Ringelmann blackness grade: a whole number from 0 to 5."""
    expected = "0至5的整数林格曼黑度级别"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReadingError(key, expected, value)
    if value != int(value) or not 0 <= value <= 5:
        raise ReadingError(key, expected, value)
    return int(value)
