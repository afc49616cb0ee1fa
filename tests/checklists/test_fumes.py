"""Restaurant fumes judged through the checklist: GB 18483 and DB41/1604 limits."""

from __future__ import annotations

from datetime import date

import pytest

from checklists.errors import ReadingError
from tests.checklists.helpers import judged

NATIONAL = date(2018, 10, 31)
HENAN = date(2018, 11, 1)


def fumes(concentration: float, *, burners: object = 4) -> dict[str, object]:
    """Five equal samples and an airflow that makes C基 equal the concentration."""
    return {
        "reference_burners": burners,
        "fume_samples_mg_m3": [concentration] * 5,
        "measured_airflow_m3_h": 2000,
        "working_burners": 1,
    }


@pytest.mark.parametrize(
    ("value", "outcome"), [(1.99, "pass"), (2.0, "pass"), (2.0001, "fail"), (2.01, "fail")]
)
@pytest.mark.parametrize("burners", [1, 3, 6])
def test_national_limit_2_0_for_every_class(value: float, outcome: str, burners: int) -> None:
    r = judged("restaurant", fumes(value, burners=burners), "fume_samples_mg_m3", on=NATIONAL)
    assert (r.result, r.value, r.limit, r.source_status) == (outcome, value, 2.0, "P")
    assert r.basis.startswith("GB 18483-2001")


@pytest.mark.parametrize(
    ("burners", "limit"), [(1, 1.5), (2.99, 1.5), (3, 1.2), (5.99, 1.2), (6, 1.0)]
)
@pytest.mark.parametrize(("delta", "outcome"), [(-0.01, "pass"), (0, "pass"), (0.01, "fail")])
def test_henan_limits_per_class(burners: float, limit: float, delta: float, outcome: str) -> None:
    value = round(limit + delta, 2)
    r = judged("restaurant", fumes(value, burners=burners), "fume_samples_mg_m3", on=HENAN)
    assert (r.result, r.limit, r.source_status) == (outcome, limit, "U")
    assert r.basis.startswith("DB41/1604-2018")


def test_outside_henan_the_national_limit_stays() -> None:
    r = judged("restaurant", fumes(1.9), "fume_samples_mg_m3", region="hebei")
    assert (r.result, r.limit) == ("pass", 2.0)


def test_explicit_national_standard_in_henan() -> None:
    r = judged("restaurant", fumes(1.9), "fume_samples_mg_m3", standard="GB 18483-2001")
    assert (r.result, r.limit) == ("pass", 2.0)


def test_class_from_heat_power_or_hood_area_when_no_burner_count() -> None:
    by_power = {**fumes(1.1), "heat_power_1e8_j_h": 10}
    del by_power["reference_burners"]
    assert judged("restaurant", by_power, "fume_samples_mg_m3").result == "fail"

    by_hood = {**fumes(1.1), "hood_area_m2": 3.3}
    del by_hood["reference_burners"]
    assert judged("restaurant", by_hood, "fume_samples_mg_m3").result == "pass"


def test_conversion_and_quarter_rule_through_the_checklist() -> None:
    answers = {
        "reference_burners": 4,
        "fume_samples_mg_m3": [2.0, 1.8, 0.4, 1.9, 2.1],
        "measured_airflow_m3_h": 9000,
        "working_burners": 4,
    }
    r = judged("restaurant", answers, "fume_samples_mg_m3", on=NATIONAL)
    # mean of 2.0, 1.8, 1.9, 2.1 = 1.95; × 9000 / (2000 × 4) = 2.19375
    assert (r.result, r.value) == ("fail", 2.19375)
    assert "剔除 0.4" in r.message


def test_void_measurement() -> None:
    answers = {**fumes(1.0), "fume_samples_mg_m3": [4.0, 0.9, 0.8, 3.0, 0.5]}
    r = judged("restaurant", answers, "fume_samples_mg_m3")
    assert (r.result, r.value) == ("void", None)
    assert "重新采样" in r.message


def test_samples_without_airflow_are_refused() -> None:
    answers = fumes(1.0)
    del answers["measured_airflow_m3_h"]
    with pytest.raises(ReadingError) as caught:
        judged("restaurant", answers, "fume_samples_mg_m3")
    assert caught.value.key == "measured_airflow_m3_h"


def test_samples_without_any_size_measure_are_refused() -> None:
    answers = fumes(1.0)
    del answers["reference_burners"]
    with pytest.raises(ReadingError) as caught:
        judged("restaurant", answers, "fume_samples_mg_m3")
    assert caught.value.key == "reference_burners"


@pytest.mark.parametrize(
    ("answers", "key"),
    [
        ({"fume_samples_mg_m3": [1.0] * 6}, "fume_samples_mg_m3"),
        ({"fume_samples_mg_m3": [1.0, -1.0, 1.0]}, "fume_samples_mg_m3"),
        ({"working_burners": 0}, "working_burners"),
        ({"reference_burners": 0}, "reference_burners"),
        ({"measured_airflow_m3_h": 0}, "measured_airflow_m3_h"),
    ],
)
def test_impossible_fume_readings(answers: dict[str, object], key: str) -> None:
    with pytest.raises(ReadingError) as caught:
        judged("restaurant", {**fumes(1.0), **answers}, "fume_samples_mg_m3")
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("burners", "minimum"), [(1, 60.0), (2.99, 60.0), (3, 75.0), (5.99, 75.0), (6, 85.0)]
)
@pytest.mark.parametrize(("delta", "outcome"), [(-0.1, "fail"), (0, "pass"), (0.1, "pass")])
def test_efficiency_minimums(burners: float, minimum: float, delta: float, outcome: str) -> None:
    answers = {"reference_burners": burners, "purifier_efficiency_pct": minimum + delta}
    r = judged("restaurant", answers, "purifier_efficiency_pct", on=NATIONAL)
    assert (r.result, r.limit, r.source_status) == (outcome, minimum, "V")


@pytest.mark.parametrize(("burners", "minimum"), [(1, 90.0), (3, 90.0), (6, 95.0)])
def test_henan_efficiency_minimums(burners: int, minimum: float) -> None:
    at = {"reference_burners": burners, "purifier_efficiency_pct": minimum}
    under = {"reference_burners": burners, "purifier_efficiency_pct": minimum - 0.1}
    assert judged("restaurant", at, "purifier_efficiency_pct").result == "pass"
    assert judged("restaurant", under, "purifier_efficiency_pct").result == "fail"


@pytest.mark.parametrize("value", [100.1, -1, 150])
def test_efficiency_out_of_range_is_refused(value: float) -> None:
    with pytest.raises(ReadingError) as caught:
        judged("restaurant", {"reference_burners": 1, "purifier_efficiency_pct": value}, "")
    assert caught.value.key == "purifier_efficiency_pct"
    assert "0至100" in caught.value.message


@pytest.mark.parametrize(
    ("cleaned", "outcome"), [("2024-03-03", "pass"), ("2024-03-02", "fail"), ("2024-06-01", "pass")]
)
def test_cleaning_interval_of_90_days(cleaned: str, outcome: str) -> None:
    r = judged("restaurant", {"purifier_last_cleaned": cleaned}, "purifier_last_cleaned")
    assert (r.result, r.limit) == (outcome, 90)


@pytest.mark.parametrize("cleaned", ["2024-06-02", "2024-13-01", "昨天", 20240601])
def test_cleaning_date_in_the_future_or_malformed_is_refused(cleaned: object) -> None:
    with pytest.raises(ReadingError):
        judged("restaurant", {"purifier_last_cleaned": cleaned}, "purifier_last_cleaned")
