"""Construction dust: PM10 alarm levels, non-road machinery, the six 100 % items."""

from __future__ import annotations

import pytest

from checklists import load_checklist
from checklists.errors import ReadingError
from tests.checklists.helpers import judged


@pytest.mark.parametrize(
    ("pm10", "outcome", "word"),
    [
        (149.9, "pass", "不高于预警值"),
        (150, "pass", "不高于预警值"),
        (150.1, "pass", "高于预警值"),
        (200, "pass", "高于预警值"),
        (200.1, "fail", "停工"),
    ],
)
def test_pm10_warning_150_and_alarm_200(pm10: float, outcome: str, word: str) -> None:
    r = judged("construction_site", {"pm10_ug_m3": pm10}, "pm10_ug_m3")
    assert (r.result, r.limit, r.source_status) == (outcome, 200.0, "P")
    assert word in r.message


def test_negative_pm10_is_refused() -> None:
    with pytest.raises(ReadingError) as caught:
        judged("construction_site", {"pm10_ug_m3": -1}, "pm10_ug_m3")
    assert caught.value.key == "pm10_ug_m3"


@pytest.mark.parametrize(("grade", "outcome"), [(0, "pass"), (1, "pass"), (2, "fail")])
def test_nonroad_ringelmann_against_gb36886(grade: int, outcome: str) -> None:
    r = judged("construction_site", {"nonroad_ringelmann_grade": grade}, "nonroad_ringelmann_grade")
    assert (r.result, r.limit, r.source_status) == (outcome, 1, "U")
    assert r.basis.startswith("GB 36886-2018")


@pytest.mark.parametrize(("code", "outcome"), [("豫K-2019-00123", "pass"), ("  ", "fail")])
def test_nonroad_registration_code(code: str, outcome: str) -> None:
    key = "nonroad_registration_code"
    assert judged("construction_site", {key: code}, key).result == outcome


def test_no_machinery_on_site_is_not_applicable() -> None:
    key = "nonroad_registration_code"
    assert judged("construction_site", {key: {"result": "na"}}, key).result == "na"


def test_the_six_hundred_percent_items_are_in_every_version() -> None:
    six = {
        "hoarding",
        "materials_covered",
        "vehicle_washing",
        "ground_hardened",
        "wet_demolition",
        "muck_trucks_sealed",
    }
    for version in ("1", "2"):
        keys = {item.key for item in load_checklist("construction_site", version).items}
        assert six <= keys
        assert {"bare_soil_covered", "online_monitor_working", "no_onsite_mixing"} <= keys
