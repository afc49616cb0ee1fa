"""``xuncha checklist show`` and ``xuncha checklist judge`` through ``inspection.cli.main``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest

from checklists import Checklist, judge, judgement_to_json, load_checklist
from inspection.cli import main

# Two reference burners measured at 4,000 m³/h: the reference airflow, so the
# converted concentration is the mean of the samples.
SMALL_KITCHEN = {"reference_burners": 2, "working_burners": 2, "measured_airflow_m3_h": 4000}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["checklist", *args])
    return code, capsys.readouterr().out


def answers_file(tmp_path: Path, answers: Any, name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"answers": answers}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_show_lists_every_item(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "show", "restaurant")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(load_checklist("restaurant").title)
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        item.key for item in load_checklist("restaurant").items]


def test_show_json_is_the_definition(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "show", "construction_site", "--format", "json")
    assert code == 0
    shown = msgspec.json.decode(out, type=Checklist)
    assert shown == load_checklist("construction_site")
    assert shown.version == "2"


def test_show_an_older_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "show", "construction_site", "--version", "1", "--format", "json")
    assert code == 0
    keys = [item["key"] for item in json.loads(out)["items"]]
    assert json.loads(out)["version"] == "1" and "dust_control_staff" not in keys


@pytest.mark.parametrize(("day", "verdict", "limit"), [
    ("2018-10-31", "pass", 2.0),  # before DB41/1604-2018: GB 18483's 2.0 mg/m³
    ("2018-11-01", "fail", 1.5),  # from its first day: 1.5 mg/m³ for a small kitchen
])
def test_judge_uses_the_limits_of_the_date(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, day: str, verdict: str,
        limit: float) -> None:
    path = answers_file(tmp_path, {**SMALL_KITCHEN, "fume_samples_mg_m3": [1.8, 1.7, 1.9]})
    code, out = run(capsys, "judge", "restaurant", path, "--date", day)
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == verdict
    fumes = next(r for r in result["results"] if r["item"] == "fume_samples_mg_m3")
    assert (fumes["result"], fumes["value"], fumes["limit"]) == (verdict, 1.8, limit)
    assert set(fumes) == {"item", "result", "value", "limit", "basis"} and fumes["basis"]


def test_judge_with_an_explicit_standard(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = answers_file(tmp_path, {**SMALL_KITCHEN, "fume_samples_mg_m3": [1.8, 1.7, 1.9]})
    code, out = run(capsys, "judge", "restaurant", path, "--date", "2024-06-01",
                    "--standard", "GB 18483-2001")
    fumes = next(r for r in json.loads(out)["results"] if r["item"] == "fume_samples_mg_m3")
    assert code == 0 and (fumes["result"], fumes["limit"]) == ("pass", 2.0)


def test_judge_prints_what_the_service_computes(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = {"plate": "豫K12345", "emission_stage": "国III",
               "opacity_readings_m1": [0.6, 0.7, 0.8], "obd_ok": "pass"}
    code, out = run(capsys, "judge", "diesel_truck", answers_file(tmp_path, answers),
                    "--date", "2024-06-01")
    expected = judge(load_checklist("diesel_truck"), answers, on=date(2024, 6, 1))
    assert code == 0 and out.strip() == judgement_to_json(expected).decode()


def test_a_void_measurement(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 0.2 and 0.3 are below a quarter of 1.6: one valid sample, fewer than three.
    path = answers_file(tmp_path, {**SMALL_KITCHEN, "fume_samples_mg_m3": [1.6, 0.2, 0.3]})
    code, out = run(capsys, "judge", "restaurant", path, "--date", "2024-06-01")
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "void"
    assert [r["result"] for r in result["results"] if r["item"] == "fume_samples_mg_m3"] == [
        "void"]


@pytest.mark.parametrize(("args", "content", "expected"), [
    (["show", "bakery"], None, "bakery"),
    (["show", "restaurant", "--version", "9"], None, "9"),
    (["judge", "bakery"], {}, "bakery"),
    (["judge", "restaurant", "--standard", "GB 0000"], {}, "GB 0000"),
    (["judge", "restaurant"], {"purifer_installed": "pass"}, "purifer_installed"),
    (["judge", "diesel_truck"], {"opacity_readings_m1": [-0.1, 0.5, 0.5]}, "-0.1"),
    (["judge", "restaurant"], "not json", "answers"),
    (["judge", "restaurant"], "[1, 2]", "answers"),
])
def test_mistakes_are_messages_not_tracebacks(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
        content: Any, expected: str) -> None:
    if content is not None:
        path = tmp_path / "answers.json"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            answers_file(tmp_path, content)
        args = [*args[:2], str(path), *args[2:]]
    code, out = run(capsys, *args)
    assert code == 2
    assert out.startswith("错误：") and expected in out


def test_a_missing_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    code, out = run(capsys, "judge", "restaurant", str(missing))
    assert code == 2 and str(missing) in out and "无法读取" in out
