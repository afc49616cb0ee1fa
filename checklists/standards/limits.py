"""The standards' limits, read from ``limits.toml`` and chosen by region and date.

Choice rule: among the rows for a quantity that apply in the region (its own
rows and the national ones) and are in effect on the date, the most recent
takes precedence, and a regional row beats a national one of the same date. A
local standard in China may only be stricter than the national one, so the
newer local row is the one that binds. An explicit ``standard`` narrows the
rows of the quantities it covers to that code, in any region, still by date;
quantities it does not cover keep the default choice.
"""

from __future__ import annotations

import functools
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Literal

import msgspec

from checklists.errors import ChecklistError, LimitError
from checklists.model import Status


class Limit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One row of limits.toml."""

    quantity: str
    standard: str
    region: str
    effective_from: date
    bound: Literal["max", "min"]
    unit: str
    values: dict[str, float]
    status: Status
    clause: str
    source: str

    def value(self, key: str = "all") -> float:
        """The limit for a size class (or "all", "warning", ...)."""
        return self.values[key]

    def basis(self) -> str:
        return f"{self.standard} {self.clause}"


class _File(msgspec.Struct, forbid_unknown_fields=True):
    limit: tuple[Limit, ...]


@functools.cache
def all_limits() -> tuple[Limit, ...]:
    """Every limit row shipped with the package."""
    text = resources.files("checklists.standards").joinpath("limits.toml").read_text("utf-8")
    try:
        return msgspec.convert(tomllib.loads(text), _File).limit
    except msgspec.ValidationError as exc:
        raise ChecklistError(f"限值文件 limits.toml 格式错误：{exc}") from exc


def standards() -> set[str]:
    """The standard codes limits.toml knows."""
    return {row.standard for row in all_limits()}


def select(quantity: str, *, region: str, on: date, standard: str | None = None) -> Limit:
    """The limit row that binds ``quantity`` in ``region`` on ``on``."""
    rows = [row for row in all_limits() if row.quantity == quantity]
    if standard is not None and any(row.standard == standard for row in rows):
        rows = [row for row in rows if row.standard == standard]
    else:
        rows = [row for row in rows if row.region in (region, "national")]

    in_force = [row for row in rows if row.effective_from <= on]
    if not in_force:
        raise LimitError(f"{on.isoformat()} 在“{region}”没有生效的“{quantity}”限值")
    return max(in_force, key=lambda row: (row.effective_from, row.region != "national"))


def within(value: Decimal, row: Limit, key: str = "all") -> bool:
    """Whether a reading meets a limit, compared with its full value."""
    limit = Decimal(str(row.value(key)))
    return value <= limit if row.bound == "max" else value >= limit
