"""Judging a whole inspection: answer shapes, verdicts, photos, JSON, versions."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from checklists import (
    AnswerError,
    LimitError,
    ReadingError,
    answers_from_json,
    judge,
    judgement_to_json,
    load_checklist,
)

ON = date(2024, 6, 1)
PHOTO = "ab" * 32


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(AnswerError) as caught:
        judge(load_checklist("restaurant"), {"purifer_installed": "pass"}, on=ON)
    assert caught.value.key == "purifer_installed"
    assert "purifier_installed" in caught.value.message


def test_bare_and_object_answers_judge_alike() -> None:
    checklist = load_checklist("restaurant")
    bare = judge(checklist, {"purifier_installed": "fail"}, on=ON)
    shaped = judge(checklist, {"purifier_installed": {"result": "fail", "remark": "无"}}, on=ON)
    assert bare.results == shaped.results
    assert shaped.findings[0].message.endswith("（无）")


def test_value_answers_in_object_shape() -> None:
    answers = {"opacity_readings_m1": {"value": [0.5, 0.5, 0.5], "photos": [PHOTO]}}
    j = judge(load_checklist("diesel_truck"), answers, on=ON)
    assert j.results[0].result == "pass"


@pytest.mark.parametrize(
    "answer",
    [
        "yes",
        {"result": "ok"},
        {"result": "fail", "photos": ["not-a-hash"]},
        {"result": "fail", "colour": "red"},
        {"value": "pass"},
    ],
)
def test_malformed_yes_no_answers(answer: object) -> None:
    with pytest.raises(AnswerError) as caught:
        judge(load_checklist("restaurant"), {"purifier_installed": answer}, on=ON)
    assert caught.value.key == "purifier_installed"


def test_readings_cannot_be_given_a_verdict_by_hand() -> None:
    with pytest.raises(AnswerError, match="只接受 result 为 na"):
        judge(load_checklist("diesel_truck"), {"ringelmann_grade": {"result": "pass"}}, on=ON)


def test_na_is_accepted_for_any_item() -> None:
    answers = {"purifier_installed": "na", "fume_samples_mg_m3": {"result": "na"}}
    j = judge(load_checklist("restaurant"), answers, on=ON)
    assert [r.result for r in j.results] == ["na", "na"]
    assert j.verdict == "pass"


def test_failed_item_without_photo_is_reported() -> None:
    answers = {
        "hoarding": "fail",
        "materials_covered": {"result": "fail", "photos": [PHOTO]},
        "ground_hardened": "pass",
    }
    j = judge(load_checklist("construction_site", "2"), answers, on=ON)
    assert j.missing_photos == ("hoarding",)
    assert [f.item for f in j.findings] == ["hoarding", "materials_covered"]
    assert {f.severity for f in j.findings} == {"serious"}


def test_failure_that_needs_no_photo_is_not_reported() -> None:
    j = judge(load_checklist("diesel_truck"), {"emission_stage": "国III"}, on=ON)
    assert j.verdict == "fail" and j.missing_photos == ()
    assert j.findings[0].severity == "administrative"


def test_void_measurement_voids_the_verdict_unless_something_failed() -> None:
    checklist = load_checklist("restaurant")
    void = {
        "reference_burners": 2,
        "fume_samples_mg_m3": [4.0, 0.5, 3.0],
        "measured_airflow_m3_h": 2000,
        "working_burners": 1,
        "purifier_installed": "pass",
    }
    assert judge(checklist, void, on=ON).verdict == "void"
    failed = {**void, "purifier_running": {"result": "fail", "photos": [PHOTO]}}
    assert judge(checklist, failed, on=ON).verdict == "fail"


def test_unanswered_items_are_listed() -> None:
    j = judge(load_checklist("diesel_truck"), {"plate": "豫K12345"}, on=ON)
    assert j.verdict == "pass"
    assert "vin" in j.unanswered and "plate" not in j.unanswered


def test_unknown_standard_is_refused() -> None:
    with pytest.raises(LimitError, match="GB 18483-2001"):
        judge(load_checklist("restaurant"), {}, on=ON, standard="GB 9999")


LIMIT_B_BASIS = (
    "GB 3847-2018 表1 自由加速法 光吸收系数 限值b 0.7 m⁻¹（重点区域；河南适用及日期待核实）"
)


def test_json_contract_of_the_judge_command() -> None:
    data = b'{"answers": {"plate": "\xe8\xb1\xabK12345", "opacity_readings_m1": [0.8, 0.8, 0.8]}}'
    answers = answers_from_json(data)
    j = judge(load_checklist("diesel_truck"), answers, on=date(2024, 1, 1))
    output = msgspec.json.decode(judgement_to_json(j))
    assert output == {
        "verdict": "fail",
        "results": [
            {
                "item": "plate",
                "result": "pass",
                "value": "豫K12345",
                "limit": None,
                "basis": "GA 36-2018 机动车号牌格式",
            },
            {
                "item": "opacity_readings_m1",
                "result": "fail",
                "value": 0.8,
                "limit": 0.7,
                "basis": LIMIT_B_BASIS,
            },
        ],
    }


def test_answers_file_must_have_the_answers_object() -> None:
    with pytest.raises(AnswerError, match="answers"):
        answers_from_json(b'{"plate": "x"}')


def test_whole_judgement_is_encodable() -> None:
    answers = {"remote_sensing_exceedances": [{"date": "2024-05-01", "pollutant": "nox"}]}
    j = judge(load_checklist("diesel_truck"), answers, on=ON)
    assert msgspec.json.decode(msgspec.json.encode(j))["results"][0]["value"] == {"nox": 1}


V1_ANSWERS: dict[str, object] = {
    "hoarding": "pass",
    "materials_covered": {"result": "fail", "remark": "砂石未苫盖", "photos": [PHOTO]},
    "vehicle_washing": "pass",
    "ground_hardened": "pass",
    "wet_demolition": "na",
    "muck_trucks_sealed": "pass",
    "pm10_ug_m3": 180,
    "nonroad_ringelmann_grade": 1,
}


def test_old_version_verdict_is_unchanged_by_a_new_version() -> None:
    v1 = load_checklist("construction_site", "1")
    j = judge(v1, V1_ANSWERS, on=ON)
    assert (j.checklist_id, j.checklist_version, j.verdict) == ("construction_site", "1", "fail")
    assert [(r.item, r.result) for r in j.results] == [
        ("hoarding", "pass"),
        ("materials_covered", "fail"),
        ("vehicle_washing", "pass"),
        ("ground_hardened", "pass"),
        ("wet_demolition", "na"),
        ("muck_trucks_sealed", "pass"),
        ("pm10_ug_m3", "pass"),
        ("nonroad_ringelmann_grade", "pass"),
    ]
    # v2 is the latest, yet v1 answers judged by v1 give the same judgement.
    assert load_checklist("construction_site").version == "2"
    assert judge(load_checklist("construction_site", "1"), V1_ANSWERS, on=ON) == j


def test_v1_refuses_the_item_v2_added() -> None:
    with pytest.raises(AnswerError):
        judge(load_checklist("construction_site", "1"), {"dust_control_staff": "pass"}, on=ON)
    v2 = judge(load_checklist("construction_site", "2"), V1_ANSWERS, on=ON)
    assert "dust_control_staff" in v2.unanswered


def test_judging_depends_on_the_date_only_through_the_limits() -> None:
    answers = {"opacity_readings_m1": [1.0, 1.0, 1.0]}
    truck = load_checklist("diesel_truck")
    assert judge(truck, answers, on=date(2023, 6, 30)).verdict == "pass"
    assert judge(truck, answers, on=date(2023, 7, 1)).verdict == "fail"


def test_reading_errors_are_value_errors_with_the_key() -> None:
    with pytest.raises(ValueError) as caught:
        judge(load_checklist("diesel_truck"), {"opacity_readings_m1": [-1, 0, 0]}, on=ON)
    assert isinstance(caught.value, ReadingError)
    assert "opacity_readings_m1" in str(caught.value)
