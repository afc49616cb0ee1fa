"""GB 18483-2001: Table 1 size classes and the §6 measurement procedure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from checklists.errors import ReadingError
from checklists.standards import gb18483


@pytest.mark.parametrize(
    ("measure", "value", "expected"),
    [
        ("reference_burners", 1, "small"),
        ("reference_burners", 2.99, "small"),
        ("reference_burners", 3, "medium"),
        ("reference_burners", 5.99, "medium"),
        ("reference_burners", 6, "large"),
        ("reference_burners", 40, "large"),
        ("heat_power_1e8_j_h", 1.67, "small"),
        ("heat_power_1e8_j_h", 4.99, "small"),
        ("heat_power_1e8_j_h", 5.00, "medium"),
        ("heat_power_1e8_j_h", 9.99, "medium"),
        ("heat_power_1e8_j_h", 10, "large"),
        ("hood_area_m2", 1.1, "small"),
        ("hood_area_m2", 3.29, "small"),
        ("hood_area_m2", 3.3, "medium"),
        ("hood_area_m2", 6.59, "medium"),
        ("hood_area_m2", 6.6, "large"),
    ],
)
def test_size_class_boundaries(measure: str, value: float, expected: str) -> None:
    assert gb18483.size_class(measure, value) == expected


@pytest.mark.parametrize(
    ("measure", "value"),
    [
        ("reference_burners", 0),
        ("reference_burners", 0.99),
        ("heat_power_1e8_j_h", 1.66),
        ("hood_area_m2", 1.09),
        ("reference_burners", "3"),
        ("reference_burners", True),
    ],
)
def test_below_the_smallest_class_or_not_a_number_is_refused(measure: str, value: object) -> None:
    with pytest.raises(ReadingError) as caught:
        gb18483.size_class(measure, value)
    assert caught.value.key == measure
    assert repr(value) in str(caught.value)


def test_a_sample_exactly_a_quarter_of_the_largest_is_kept() -> None:
    valid, dropped = gb18483.split_samples([4.0, 1.0, 2.0, 3.0, 0.99])
    assert valid == [Decimal("4.0"), Decimal("1.0"), Decimal("2.0"), Decimal("3.0")]
    assert dropped == [Decimal("0.99")]


def test_every_sample_below_a_quarter_of_the_largest_is_dropped() -> None:
    m = gb18483.measure([2.0, 0.4, 0.49, 1.8, 0.5], 2000, 1)
    assert m.valid == (Decimal("2.0"), Decimal("1.8"), Decimal("0.5"))
    assert m.dropped == (Decimal("0.4"), Decimal("0.49"))
    assert m.mean == Decimal("4.3") / 3


def test_fewer_than_three_valid_samples_void_the_measurement() -> None:
    m = gb18483.measure([4.0, 0.9, 0.8, 3.0, 0.5], 2000, 1)
    assert m.void and m.reference is None and m.mean is None
    assert m.valid == (Decimal("4.0"), Decimal("3.0"))


def test_two_samples_void_even_when_both_valid() -> None:
    assert gb18483.measure([1.0, 1.0], 2000, 1).void


def test_three_valid_samples_are_enough() -> None:
    m = gb18483.measure([1.0, 1.0, 1.0, 0.2, 0.1], 2000, 1)
    assert not m.void and m.reference == Decimal("1.0")


def test_conversion_to_the_reference_airflow() -> None:
    # C基 = 1.6 × 6000 / (2000 × 2) = 2.4
    m = gb18483.measure([1.6, 1.6, 1.6, 1.6, 1.6], 6000, 2)
    assert m.reference == Decimal("2.4")
    assert gb18483.reference_concentration(Decimal("1.5"), 3000, 1.5) == Decimal("1.5")


@pytest.mark.parametrize(
    ("samples", "airflow", "burners", "key"),
    [
        ([1.0] * 6, 2000, 1, "fume_samples_mg_m3"),
        ([], 2000, 1, "fume_samples_mg_m3"),
        ([1.0, -0.1, 1.0], 2000, 1, "fume_samples_mg_m3"),
        ("1.0", 2000, 1, "fume_samples_mg_m3"),
        ([1.0] * 3, 0, 1, "measured_airflow_m3_h"),
        ([1.0] * 3, -5, 1, "measured_airflow_m3_h"),
        ([1.0] * 3, 2000, 0, "working_burners"),
        ([1.0] * 3, 2000, None, "working_burners"),
    ],
)
def test_impossible_readings_are_refused(
    samples: object, airflow: object, burners: object, key: str
) -> None:
    with pytest.raises(ReadingError) as caught:
        gb18483.measure(samples, airflow, burners)  # type: ignore[arg-type]
    assert caught.value.key == key
    assert f"“{key}”应为" in caught.value.message


def test_the_three_sample_method_of_the_draft_revision_can_be_configured() -> None:
    assert gb18483.measure([1.0, 1.0, 1.0], 2000, 1, max_samples=3).reference == 1
    with pytest.raises(ReadingError):
        gb18483.measure([1.0] * 4, 2000, 1, max_samples=3)
