from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from scoring.policy import PolicyError, load_policy, tier_rank

DEFAULT_TEXT = resources.files("scoring").joinpath("default_policy.toml").read_text("utf-8")


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    assert old in DEFAULT_TEXT, old
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def test_default_policy_numbers() -> None:
    policy = load_policy()

    assert policy.version == "xuncha-default-2025.2"
    assert policy.severity_points == {
        "critical": 60, "serious": 31, "minor": 4, "administrative": 0.1,
    }
    assert policy.complaint_points == 4
    assert policy.violation_window_days == policy.complaint_window_days == 365
    assert [(t.code, t.min_points) for t in policy.tiers] == [
        ("W", None), ("L", 0), ("M", 10.1), ("E", 30.1), ("H", 60.1), ("X", 150),
    ]
    assert [t.interval_days for t in policy.tiers] == [1095, 730, 548, 365, 182, 91]
    assert [t.weight for t in policy.tiers] == [0.5, 1, 2, 4, 8, 16]
    assert policy.reviews_to_move_down == 2
    assert policy.roster.uniform_share == 0.15
    assert policy.roster.visits_per_pair_per_day == 4
    assert policy.roster.never_inspected_overdue is False
    assert policy.whitelist.no_violation_days == 730
    assert policy.whitelist.clean_inspections == 2
    assert policy.whitelist.suspend_severities == ("critical", "serious")
    assert (policy.reinspection.earliest_days, policy.reinspection.deadline_days) == (7, 30)
    assert {lift.code: lift.tier for lift in policy.lifts} == {
        "critical_violation": "H", "repeated_complaints": "X",
    }


def test_every_number_has_a_source() -> None:
    policy = load_policy()

    expected = {"window.violation_days", "points.critical", "points.substantiated_complaint",
                "tiers.W.weight", "tiers.X.min_points", "hysteresis.reviews_to_move_down",
                "lifts[0].count", "lifts[1].window_days", "roster.uniform_share",
                "whitelist.clean_inspections", "reinspection.deadline_days"}
    assert expected <= set(policy.sources)
    assert all(note.strip() for note in policy.sources.values())
    assert all(rule.source for rule in policy.inherent)


def test_explicit_path_reads_the_same_policy(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8")

    assert load_policy(path).tiers == load_policy().tiers
    assert load_policy(str(path)).path == str(path)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('minor = { value = 4,', 'minor = { value = "4",', "points.minor.value"),
        ('value = 1095,', 'value = 0,', "tiers.W.interval_days.value"),
        ('weight = { value = 0.5,', 'weight = { value = 0,', "tiers.W.weight.value"),
        ('value = 0.15,', 'value = 1.0,', "roster.uniform_share"),
        ('value = 91,', 'value = 200,', "X.interval_days"),
        ('value = 10.1,', 'value = 40,', "E.min_points"),
        ('value = 16, source', 'value = 4, source', "X.weight"),
        ('op = "ge"', 'op = "approx"', "inherent[3].op"),
        ('tier = "H"', 'tier = "Q"', "lifts[0].tier"),
        ('avoid = { value = "members"', 'avoid = { value = "nobody"', "reinspection.avoid"),
        ('critical = { value = 60, source = "RP §1: EA CCS category 1 (major impact) = 60 points'
         ' [V/S]" }', 'critical = 60', "points.critical"),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = write_variant(tmp_path, old, new)

    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert key in str(info.value)
    assert str(path) in str(info.value)


def test_missing_key_is_named(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "[hysteresis]\nreviews_to_move_down", "[hysteresis]\nsteps")

    with pytest.raises(PolicyError, match=r"缺少键 hysteresis\.reviews_to_move_down"):
        load_policy(path)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    extra = '[roster]\nsurprise = { value = 1, source = "x" }\n'
    path = write_variant(tmp_path, "[roster]\n", extra)

    with pytest.raises(PolicyError, match=r"未知的键 roster\.surprise"):
        load_policy(path)


def test_empty_source_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'value = 4, source = "RP §1: EA CCS category 3',
                         'value = 4, source = "   ", old = "RP §1: EA CCS category 3')

    with pytest.raises(PolicyError, match=r"points\.minor"):
        load_policy(path)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("version = [", encoding="utf-8")

    with pytest.raises(PolicyError, match="不是有效的 TOML"):
        load_policy(broken)
    with pytest.raises(PolicyError, match="无法读取"):
        load_policy(tmp_path / "absent.toml")


def test_tier_rank_orders_and_refuses_unknown() -> None:
    assert [tier_rank(c) for c in "WLMEHX"] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="未知的监管等级"):
        tier_rank("Z")
