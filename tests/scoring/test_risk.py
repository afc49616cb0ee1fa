from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.policy import Policy, load_policy, tier_rank
from scoring.risk import (
    ComplaintRecord,
    InspectionRecord,
    TargetFacts,
    ViolationRecord,
    score_all,
    score_target,
)

POLICY = load_policy()
AS_OF = date(2025, 9, 1)


def facts(**changes: Any) -> TargetFacts:
    base: dict[str, Any] = dict(
        target_id="T1", kind="restaurant", enterprise_uscc="91350200776049653A",
        district="魏都区", hazard="medium",
        inspections=(InspectionRecord("I0", AS_OF - timedelta(days=30), "pass", ("a", "b")),),
    )
    base.update(changes)
    return TargetFacts(**base)


def violations(minor: int = 0, administrative: int = 0, *, days_ago: int = 10,
               severity: str | None = None) -> tuple[ViolationRecord, ...]:
    day = AS_OF - timedelta(days=days_ago)
    found = [ViolationRecord(f"m{i}", day, "minor") for i in range(minor)]
    found += [ViolationRecord(f"a{i}", day, "administrative") for i in range(administrative)]
    if severity:
        found.append(ViolationRecord("s0", day, severity))
    return tuple(found)


def substantiated(n: int, days_ago: int = 10) -> tuple[ComplaintRecord, ...]:
    day = AS_OF - timedelta(days=days_ago)
    return tuple(ComplaintRecord(f"c{i}", day, "substantiated") for i in range(n))


@pytest.mark.parametrize(
    ("minor", "administrative", "points", "tier"),
    [
        (0, 0, 0, "L"), (0, 1, 0.1, "L"), (2, 20, 10, "L"), (2, 21, 10.1, "M"),
        (7, 20, 30, "M"), (7, 21, 30.1, "E"), (15, 0, 60, "E"), (15, 1, 60.1, "H"),
        (37, 19, 149.9, "H"), (37, 20, 150, "X"),
    ],
)
def test_band_boundaries(minor: int, administrative: int, points: float, tier: str) -> None:
    score = score_target(facts(violations=violations(minor, administrative)), POLICY, AS_OF)

    assert score.points == points
    assert score.tier == tier
    assert score.interval_days == POLICY.tier(tier).interval_days


@pytest.mark.parametrize(("days_ago", "tier"), [(364, "E"), (365, "L"), (0, "E"), (-1, "L")])
def test_violation_window_edges(days_ago: int, tier: str) -> None:
    score = score_target(facts(violations=violations(severity="serious", days_ago=days_ago)),
                         POLICY, AS_OF)

    assert score.tier == tier


def test_factor_lists_records_and_points() -> None:
    score = score_target(facts(violations=violations(2, severity="serious")), POLICY, AS_OF)

    by_code = {f.code: f for f in score.factors}
    assert by_code["violations_serious"].points == 31
    assert by_code["violations_serious"].records == ("s0",)
    assert by_code["violations_minor"].points == 8
    assert by_code["violations_minor"].records == ("m0", "m1")
    assert score.points == 39
    assert score.policy_version == POLICY.version


def test_complaints_count_only_when_substantiated() -> None:
    day = AS_OF - timedelta(days=3)
    complaints = (ComplaintRecord("p", day, "pending"),
                  ComplaintRecord("u", day, "unsubstantiated"), *substantiated(2))

    score = score_target(facts(complaints=complaints), POLICY, AS_OF)

    assert score.points == 8
    assert score.tier == "L"
    assert score.must_visit == "complaint"


@pytest.mark.parametrize(("count", "days_ago", "tier"), [(2, 10, "L"), (3, 10, "X"),
                                                         (3, 364, "X"), (3, 365, "L")])
def test_three_substantiated_complaints_lift_to_x(count: int, days_ago: int, tier: str) -> None:
    score = score_target(facts(complaints=substantiated(count, days_ago)), POLICY, AS_OF)

    assert score.tier == tier


def test_one_critical_violation_lifts_to_h() -> None:
    score = score_target(facts(violations=violations(severity="critical")), POLICY, AS_OF)

    assert score.points == 60
    assert score.tier == "H"
    assert "critical_violation" in {f.code for f in score.factors}


@pytest.mark.parametrize(
    ("kind", "attributes", "hazard", "tier"),
    [
        ("construction_site", {"area_m2": 4999}, "medium", "L"),
        ("construction_site", {"area_m2": 5000}, "medium", "M"),
        ("restaurant", {"area_m2": 5000}, "medium", "L"),
        ("restaurant", {"reference_burners": 5}, "medium", "L"),
        ("restaurant", {"reference_burners": 6}, "medium", "M"),
        ("diesel_truck", {}, "high", "M"),
        ("diesel_truck", {}, "low", "L"),
        ("construction_site", {"performance_grade": "C"}, "low", "M"),
        ("construction_site", {"performance_grade": "D"}, "low", "E"),
        ("construction_site", {"performance_grade": "B"}, "low", "L"),
    ],
)
def test_inherent_hazard_sets_a_floor(kind: str, attributes: dict[str, Any], hazard: str,
                                      tier: str) -> None:
    score = score_target(facts(kind=kind, attributes=attributes, hazard=hazard), POLICY, AS_OF)

    assert score.tier == tier


def test_inherent_floor_does_not_lower_behaviour() -> None:
    score = score_target(facts(hazard="high", violations=violations(15, 1)), POLICY, AS_OF)

    assert score.tier == "H"


def test_whitelisted_target_is_w() -> None:
    score = score_target(facts(whitelisted=True, whitelisted_since=date(2024, 1, 1),
                               hazard="high", violations=violations(1)), POLICY, AS_OF)

    assert score.tier == "W"
    assert score.interval_days == 1095
    assert score.weight == 0.5
    assert "whitelist" in {f.code for f in score.factors}


@pytest.mark.parametrize(
    ("since_offset", "severity", "suspended"),
    [(0, "serious", True), (1, "serious", False), (0, "critical", True), (0, "minor", False),
     (-5, "serious", True)],
)
def test_whitelist_suspension(since_offset: int, severity: str, suspended: bool) -> None:
    found = AS_OF - timedelta(days=10)
    since = found + timedelta(days=since_offset)
    target = facts(whitelisted=True, whitelisted_since=since,
                   violations=(ViolationRecord("v", found, severity),))

    score = score_target(target, POLICY, AS_OF)

    assert (score.tier != "W") is suspended
    if suspended:
        suspension = next(f for f in score.factors if f.code == "whitelist_suspended")
        assert suspension.records == ("v",)


def test_substantiated_complaint_suspends_whitelist() -> None:
    target = facts(whitelisted=True, whitelisted_since=AS_OF - timedelta(days=10),
                   complaints=substantiated(1, days_ago=10))

    assert score_target(target, POLICY, AS_OF).tier == "L"


@pytest.mark.parametrize(
    ("previous", "tier"),
    [((), "L"), (("H",), "H"), (("H", "H"), "H"), (("L", "H"), "L"), (("M",), "M"),
     (("W",), "L")],
)
def test_hysteresis_moving_down(previous: tuple[str, ...], tier: str) -> None:
    score = score_target(facts(), POLICY, AS_OF, previous_tiers=previous)

    assert score.computed_tier == "L"
    assert score.tier == tier
    assert ("hysteresis" in {f.code for f in score.factors}) is (tier != "L")


def test_moving_up_is_immediate() -> None:
    score = score_target(facts(violations=violations(severity="serious")), POLICY, AS_OF,
                         previous_tiers=("L", "L"))

    assert score.tier == "E"


def test_whitelist_entry_ignores_hysteresis() -> None:
    score = score_target(facts(whitelisted=True, whitelisted_since=date(2024, 1, 1)), POLICY,
                         AS_OF, previous_tiers=("H",))

    assert score.tier == "W"


def test_due_date_and_overdue_boundary() -> None:
    last = AS_OF - timedelta(days=730)
    target = facts(inspections=(InspectionRecord("I1", last, "pass"),
                                InspectionRecord("I2", AS_OF - timedelta(days=5), "void")))

    score = score_target(target, POLICY, AS_OF)
    day_before = score_target(target, POLICY, AS_OF - timedelta(days=1))

    assert score.last_inspected == last
    assert score.due_on == AS_OF
    assert (score.overdue, score.must_visit, score.days_overdue) == (True, "overdue", 0)
    assert (day_before.overdue, day_before.must_visit) == (False, None)


def test_never_inspected_is_due_but_not_must_visit() -> None:
    score = score_target(facts(inspections=()), POLICY, AS_OF)

    assert score.due_on == AS_OF
    assert score.last_inspected is None
    assert (score.overdue, score.must_visit) == (False, None)
    assert score.weight == 2.0
    assert "never_inspected" in {f.code for f in score.factors}


def test_records_after_as_of_are_ignored() -> None:
    later = AS_OF + timedelta(days=1)
    target = facts(violations=(ViolationRecord("v", later, "critical"),),
                   complaints=(ComplaintRecord("c", later, "pending"),),
                   inspections=(InspectionRecord("i", later, "fail", ("a", "b")),))

    score = score_target(target, POLICY, AS_OF)

    assert (score.tier, score.must_visit, score.last_inspected) == ("L", None, None)


@pytest.mark.parametrize(("days", "must_visit", "overdue"),
                         [(6, None, False), (7, "reinspection", False), (29, "reinspection", False),
                          (30, "reinspection", True)])
def test_reinspection_after_failure(days: int, must_visit: str | None, overdue: bool) -> None:
    failed = AS_OF - timedelta(days=days)
    target = facts(inspections=(InspectionRecord("F", failed, "fail", ("b", "a")),))

    score = score_target(target, POLICY, AS_OF)

    assert score.must_visit == must_visit
    assert score.overdue is overdue
    assert score.avoid_inspectors == ("a", "b")
    assert score.due_on == failed + timedelta(days=30)


def test_pending_complaint_comes_before_reinspection() -> None:
    target = facts(
        complaints=(ComplaintRecord("c", AS_OF, "pending"),),
        inspections=(InspectionRecord("F", AS_OF - timedelta(days=10), "fail", ("a", "b")),),
    )

    score = score_target(target, POLICY, AS_OF)

    assert score.must_visit == "complaint"
    assert score.avoid_inspectors == ("a", "b")


def test_overdue_watchlist_target_is_watchlist() -> None:
    target = facts(complaints=substantiated(3),
                   inspections=(InspectionRecord("I", AS_OF - timedelta(days=91), "pass"),))

    score = score_target(target, POLICY, AS_OF)

    assert (score.tier, score.must_visit) == ("X", "watchlist")


def test_lower_tier_hint_names_the_day_records_expire() -> None:
    target = facts(violations=(ViolationRecord("v", date(2025, 3, 1), "serious"),))

    score = score_target(target, POLICY, AS_OF)

    assert score.tier == "E"
    assert score.lower_tier_hint == (
        "若 2026-03-01 前无新的违法行为和属实投诉，自该日起可降至 L 级（需连续 2 次评定）"
    )


def test_lower_tier_hints_for_floor_whitelist_and_hysteresis() -> None:
    site = score_target(facts(kind="construction_site", attributes={"area_m2": 9000}),
                        POLICY, AS_OF)
    low = score_target(facts(violations=violations(1, days_ago=100)), POLICY, AS_OF)
    held = score_target(facts(), POLICY, AS_OF, previous_tiers=("E",))

    assert site.lower_tier_hint == "固有风险（建筑面积 5000 平方米以上的工地）使等级不低于 M 级"
    assert low.lower_tier_hint.startswith("若 2027-05-24 前无新的违法行为和属实投诉")
    assert "标杆企业名单" in low.lower_tier_hint
    assert held.lower_tier_hint == "本次评定为 L 级；下次评定仍低于 E 级即可降级"


def test_score_all_sorts_and_refuses_duplicates() -> None:
    scores = score_all([facts(target_id="B"), facts(target_id="A")], POLICY, AS_OF,
                       previous_tiers={"B": ("H",)})

    assert [(s.target_id, s.tier) for s in scores] == [("A", "L"), ("B", "H")]
    with pytest.raises(ValueError, match="重复"):
        score_all([facts(), facts()], POLICY, AS_OF)


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="等级应为"):
        score_target(facts(violations=(ViolationRecord("v", AS_OF, "grave"),)), POLICY, AS_OF)
    with pytest.raises(ValueError, match="未知的监管等级"):
        score_target(facts(), POLICY, AS_OF, previous_tiers=("Q",))


# Properties -------------------------------------------------------------------

severities = st.sampled_from(["critical", "serious", "minor", "administrative"])
violation_lists = st.lists(st.tuples(st.integers(0, 800), severities), max_size=8)
complaint_lists = st.lists(st.tuples(st.integers(0, 800),
                                     st.sampled_from(["pending", "substantiated",
                                                      "unsubstantiated"])), max_size=6)


def build(vs: list[tuple[int, str]], cs: list[tuple[int, str]], *, whitelisted: bool = False,
          hazard: str = "medium") -> TargetFacts:
    return facts(
        hazard=hazard, whitelisted=whitelisted, whitelisted_since=AS_OF - timedelta(days=400),
        violations=tuple(ViolationRecord(f"v{i}", AS_OF - timedelta(days=d), s)
                         for i, (d, s) in enumerate(vs)),
        complaints=tuple(ComplaintRecord(f"c{i}", AS_OF - timedelta(days=d), s)
                         for i, (d, s) in enumerate(cs)),
    )


def rank(target: TargetFacts, policy: Policy = POLICY) -> int:
    return tier_rank(score_target(target, policy, AS_OF).tier)


@settings(max_examples=150, deadline=None)
@given(violation_lists, complaint_lists, st.tuples(st.integers(0, 800), severities),
       st.booleans())
def test_more_violations_never_lower_the_tier(vs: list[tuple[int, str]],
                                              cs: list[tuple[int, str]],
                                              extra: tuple[int, str], whitelisted: bool) -> None:
    assert rank(build([*vs, extra], cs, whitelisted=whitelisted)) >= rank(
        build(vs, cs, whitelisted=whitelisted))


@settings(max_examples=150, deadline=None)
@given(violation_lists, complaint_lists, st.integers(0, 800), st.booleans())
def test_more_complaints_never_lower_the_tier(vs: list[tuple[int, str]],
                                              cs: list[tuple[int, str]], days: int,
                                              whitelisted: bool) -> None:
    more = [*cs, (days, "substantiated")]
    assert rank(build(vs, more, whitelisted=whitelisted)) >= rank(
        build(vs, cs, whitelisted=whitelisted))


@settings(max_examples=150, deadline=None)
@given(violation_lists, complaint_lists, st.sampled_from(["low", "medium", "high"]))
def test_whitelisting_never_raises_the_tier(vs: list[tuple[int, str]],
                                            cs: list[tuple[int, str]], hazard: str) -> None:
    assert rank(build(vs, cs, whitelisted=True, hazard=hazard)) <= rank(
        build(vs, cs, hazard=hazard))
