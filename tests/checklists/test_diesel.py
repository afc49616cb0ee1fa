"""Diesel trucks: GB 3847 opacity a/b, Ringelmann, emission stage, remote sensing."""

from __future__ import annotations

from datetime import date

import pytest

from checklists.errors import ReadingError
from checklists.standards import remote_sensing
from tests.checklists.helpers import judged

LIMIT_A = date(2023, 6, 30)
LIMIT_B = date(2023, 7, 1)


@pytest.mark.parametrize(
    ("readings", "outcome", "mean"),
    [
        ([1.2, 1.2, 1.2], "pass", 1.2),
        ([1.1, 1.2, 1.3], "pass", 1.2),
        ([1.19, 1.19, 1.19], "pass", 1.19),
        ([1.2, 1.2, 1.21], "fail", 1.203333),
        ([1.21, 1.21, 1.21], "fail", 1.21),
    ],
)
def test_mean_of_three_against_limit_a(readings: list[float], outcome: str, mean: float) -> None:
    r = judged("diesel_truck", {"opacity_readings_m1": readings}, "opacity_readings_m1", on=LIMIT_A)
    assert (r.result, r.value, r.limit, r.source_status) == (outcome, mean, 1.2, "U")
    assert "限值a" in r.basis


@pytest.mark.parametrize(
    ("readings", "outcome"),
    [
        ([0.7, 0.7, 0.7], "pass"),
        ([0.6, 0.7, 0.8], "pass"),
        ([0.69] * 3, "pass"),
        ([0.7, 0.7, 0.71], "fail"),
    ],
)
def test_mean_of_three_against_limit_b(readings: list[float], outcome: str) -> None:
    r = judged("diesel_truck", {"opacity_readings_m1": readings}, "opacity_readings_m1", on=LIMIT_B)
    assert (r.result, r.limit) == (outcome, 0.7)
    assert "限值b" in r.basis


def test_limit_a_outside_henan_after_the_switch() -> None:
    answers = {"opacity_readings_m1": [1.0, 1.0, 1.0]}
    r = judged("diesel_truck", answers, "opacity_readings_m1", on=LIMIT_B, region="national")
    assert (r.result, r.limit) == ("pass", 1.2)


@pytest.mark.parametrize("readings", [[1.0, 1.0], [1.0] * 4, [1.0, -0.1, 1.0], [1.0, "x", 1.0]])
def test_opacity_needs_three_non_negative_readings(readings: list[object]) -> None:
    with pytest.raises(ReadingError) as caught:
        judged("diesel_truck", {"opacity_readings_m1": readings}, "opacity_readings_m1")
    assert caught.value.key == "opacity_readings_m1"


@pytest.mark.parametrize(("grade", "outcome"), [(0, "pass"), (1, "pass"), (2, "fail"), (5, "fail")])
def test_vehicle_ringelmann_grade(grade: int, outcome: str) -> None:
    r = judged("diesel_truck", {"ringelmann_grade": grade}, "ringelmann_grade")
    assert (r.result, r.value, r.limit) == (outcome, grade, 1)


@pytest.mark.parametrize("grade", [1.5, 6, -1, True, "1"])
def test_impossible_ringelmann_grades(grade: object) -> None:
    with pytest.raises(ReadingError) as caught:
        judged("diesel_truck", {"ringelmann_grade": grade}, "ringelmann_grade")
    assert caught.value.key == "ringelmann_grade"


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [("国I", "fail"), ("国II", "fail"), ("国III", "fail"), ("国IV", "pass"), ("国VI", "pass")],
)
def test_stage_iii_and_below_flagged_for_retirement(stage: str, outcome: str) -> None:
    r = judged("diesel_truck", {"emission_stage": stage}, "emission_stage")
    assert r.result == outcome
    assert ("淘汰" in r.message) == (outcome == "fail")


def test_unknown_emission_stage_is_refused() -> None:
    with pytest.raises(ReadingError, match="国I、国II"):
        judged("diesel_truck", {"emission_stage": "国3"}, "emission_stage")


@pytest.mark.parametrize(
    ("plate", "outcome"), [("豫K12345", "pass"), ("豫K1234挂", "pass"), ("豫K1234", "fail")]
)
def test_plate(plate: str, outcome: str) -> None:
    assert judged("diesel_truck", {"plate": plate}, "plate").result == outcome


@pytest.mark.parametrize(
    ("vin", "outcome"), [("JHMCM56557C404453", "pass"), ("JHMCM56547C404453", "fail")]
)
def test_vin_check_digit(vin: str, outcome: str) -> None:
    assert judged("diesel_truck", {"vin": vin}, "vin").result == outcome


def exceedances(*records: tuple[str, str]) -> dict[str, object]:
    rows = [{"date": d, "pollutant": p} for d, p in records]
    return {"remote_sensing_exceedances": rows}


INSPECTED = date(2024, 8, 31)


@pytest.mark.parametrize(
    ("records", "outcome"),
    [
        ([("2024-03-01", "opacity"), ("2024-08-01", "opacity")], "fail"),
        ([("2024-02-29", "opacity"), ("2024-08-31", "opacity")], "fail"),
        ([("2024-02-28", "opacity"), ("2024-08-31", "opacity")], "pass"),
        ([("2024-03-01", "opacity"), ("2024-08-01", "nox")], "pass"),
        ([("2024-05-01", "nox"), ("2024-05-02", "nox"), ("2024-05-03", "opacity")], "fail"),
        ([("2024-08-01", "opacity")], "pass"),
        ([], "pass"),
    ],
)
def test_same_pollutant_twice_within_six_months(
    records: list[tuple[str, str]], outcome: str
) -> None:
    r = judged("diesel_truck", exceedances(*records), "remote_sensing_exceedances", on=INSPECTED)
    assert (r.result, r.limit) == (outcome, 2)


@pytest.mark.parametrize(
    "records",
    [[("2024-09-01", "opacity")], [("2024-08-01", "co2")], [("someday", "nox")]],
)
def test_impossible_remote_sensing_records(records: list[tuple[str, str]]) -> None:
    with pytest.raises(ReadingError) as caught:
        judged("diesel_truck", exceedances(*records), "", on=INSPECTED)
    assert caught.value.key == "remote_sensing_exceedances"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 8, 31), 6, date(2024, 2, 29)),
        (date(2023, 8, 31), 6, date(2023, 2, 28)),
        (date(2024, 3, 15), 6, date(2023, 9, 15)),
        (date(2024, 1, 31), 1, date(2023, 12, 31)),
    ],
)
def test_calendar_months_before(day: date, months: int, expected: date) -> None:
    assert remote_sensing.months_before(day, months) == expected
