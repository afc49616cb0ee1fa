"""Limits as data: every row sourced and marked, chosen by region and date."""

from __future__ import annotations

from datetime import date

import pytest

from checklists.errors import LimitError
from checklists.standards import limits


def test_every_row_has_a_status_a_source_and_a_clause() -> None:
    for row in limits.all_limits():
        assert row.status in ("V", "P", "U")
        assert row.source and row.clause and row.values


@pytest.mark.parametrize(
    ("region", "on", "standard"),
    [
        ("henan", date(2018, 10, 31), "GB 18483-2001"),
        ("henan", date(2018, 11, 1), "DB41/1604-2018"),
        ("henan", date(2025, 1, 1), "DB41/1604-2018"),
        ("hebei", date(2025, 1, 1), "GB 18483-2001"),
        ("national", date(2025, 1, 1), "GB 18483-2001"),
    ],
)
def test_fumes_standard_by_region_and_date(region: str, on: date, standard: str) -> None:
    assert limits.select("cooking_fumes_mg_m3", region=region, on=on).standard == standard


def test_an_explicit_standard_overrides_the_region() -> None:
    row = limits.select(
        "cooking_fumes_mg_m3", region="henan", on=date(2024, 1, 1), standard="GB 18483-2001"
    )
    assert row.value("small") == 2.0


def test_an_explicit_standard_not_yet_in_force_is_refused() -> None:
    with pytest.raises(LimitError, match="2018-01-01"):
        limits.select(
            "cooking_fumes_mg_m3", region="henan", on=date(2018, 1, 1), standard="DB41/1604-2018"
        )


def test_before_any_standard_there_is_no_limit() -> None:
    with pytest.raises(LimitError):
        limits.select("free_acceleration_opacity_m1", region="henan", on=date(2019, 4, 30))


@pytest.mark.parametrize(
    ("on", "value", "status"),
    [(date(2019, 5, 1), 1.2, "U"), (date(2023, 6, 30), 1.2, "U"), (date(2023, 7, 1), 0.7, "U")],
)
def test_opacity_limit_a_then_b_in_henan(on: date, value: float, status: str) -> None:
    row = limits.select("free_acceleration_opacity_m1", region="henan", on=on)
    assert (row.value(), row.status) == (value, status)


def test_unverified_henan_values_are_marked_u() -> None:
    row = limits.select("cooking_fumes_mg_m3", region="henan", on=date(2024, 1, 1))
    assert row.status == "U"
    assert row.values == {"small": 1.5, "medium": 1.2, "large": 1.0}
