"""Checklist definitions: every file loads, versions are listed, bad asks refused."""

from __future__ import annotations

import pytest

from checklists import ChecklistError, list_kinds, list_versions, load_checklist


def every_definition() -> list[tuple[str, str]]:
    return [(kind, version) for kind in list_kinds() for version in list_versions(kind)]


def test_the_three_kinds() -> None:
    assert list_kinds() == ["construction_site", "diesel_truck", "restaurant"]
    assert list_versions("construction_site") == ["1", "2"]


@pytest.mark.parametrize(("kind", "version"), every_definition())
def test_every_definition_is_complete(kind: str, version: str) -> None:
    checklist = load_checklist(kind, version)
    assert (checklist.id, checklist.kind, checklist.version) == (kind, kind, version)
    for item in checklist.items:
        assert item.label and item.basis.code and item.basis.clause
        assert item.status in ("V", "P", "U")
        if item.type in ("number", "numbers"):
            assert item.unit, item.key


def test_latest_version_when_none_asked() -> None:
    assert load_checklist("construction_site").version == "2"
    assert load_checklist("construction_site", "v1").version == "1"


def test_issue_4_answer_keys_exist() -> None:
    restaurant = {item.key for item in load_checklist("restaurant").items}
    assert {
        "reference_burners",
        "fume_samples_mg_m3",
        "measured_airflow_m3_h",
        "working_burners",
        "purifier_efficiency_pct",
    } <= restaurant
    truck = {item.key for item in load_checklist("diesel_truck").items}
    assert {"plate", "vin", "emission_stage", "opacity_readings_m1", "ringelmann_grade"} <= truck


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ChecklistError, match="restaurant") as caught:
        load_checklist("factory")
    assert "factory" in str(caught.value)


def test_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(ChecklistError, match="1、2"):
        load_checklist("construction_site", "9")
