"""The roster's lean scoring (`triage_all`) agrees field by field with `score_all`.

The draw reads tiers, weights and due dates from `triage_all`, and people read
the same figures with their reasons from `score_all`; a difference would mean a
roster drawn from one tier and explained with another.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.draw import candidate_from_score
from scoring.policy import Lift, Policy, load_policy
from scoring.risk import (
    ComplaintRecord,
    InspectionRecord,
    Score,
    TargetFacts,
    Triage,
    ViolationRecord,
    score_all,
    triage_all,
)

AS_OF = date(2025, 9, 1)
DEFAULT = load_policy()


def _variant(policy: Policy) -> Policy:
    """Windows that differ from their lifts' windows, so no shortcut can apply."""
    lifts = tuple(
        msgspec.structs.replace(lift, window_days=730 if lift.records == "violations" else 200,
                                count=2 if lift.records == "complaints" else lift.count)
        for lift in policy.lifts
    )
    return msgspec.structs.replace(
        policy,
        complaint_window_days=300,
        lifts=lifts,
        whitelist=msgspec.structs.replace(policy.whitelist, suspend_on_complaint=False),
        roster=msgspec.structs.replace(policy.roster, never_inspected_overdue=True),
    )


VARIANT = _variant(DEFAULT)
POLICIES = {"default": DEFAULT, "variant": VARIANT}

days = st.integers(-20, 1200).map(lambda n: AS_OF - timedelta(days=n))
severities = st.sampled_from(["critical", "serious", "minor", "administrative"])
statuses = st.sampled_from(["pending", "substantiated", "unsubstantiated"])
verdicts = st.sampled_from(["pass", "pass", "fail", "void"])
inspectors = st.lists(st.sampled_from(["P1", "P2", "P3"]), max_size=3).map(tuple)
attributes = st.fixed_dictionaries({}, optional={
    "area_m2": st.sampled_from([4999, 5000, 5000.0, 20000, True, "5000"]),
    "reference_burners": st.sampled_from([5, 6, 8, False]),
    "performance_grade": st.sampled_from(["A", "B", "C", "D", ""]),
})


@st.composite
def targets(draw: st.DrawFn, number: int) -> TargetFacts:
    n = str(number)
    return TargetFacts(
        target_id=f"T{number:03d}",
        kind=draw(st.sampled_from(["construction_site", "restaurant", "diesel_truck"])),
        enterprise_uscc=None,
        district="魏都区",
        hazard=draw(st.sampled_from(["low", "medium", "high"])),
        attributes=draw(attributes),
        whitelisted=draw(st.booleans()),
        whitelisted_since=draw(st.none() | days),
        violations=tuple(ViolationRecord(f"V{n}-{i}", day, severity) for i, (day, severity)
                         in enumerate(draw(st.lists(st.tuples(days, severities), max_size=6)))),
        complaints=tuple(ComplaintRecord(f"C{n}-{i}", day, status) for i, (day, status)
                         in enumerate(draw(st.lists(st.tuples(days, statuses), max_size=5)))),
        inspections=tuple(
            InspectionRecord(f"I{n}-{i}", day, verdict, pair) for i, (day, verdict, pair)
            in enumerate(draw(st.lists(st.tuples(days, verdicts, inspectors), max_size=4)))),
    )


@st.composite
def registers(draw: st.DrawFn) -> tuple[list[TargetFacts], dict[str, tuple[str, ...]]]:
    found = [draw(targets(n)) for n in range(draw(st.integers(1, 8)))]
    previous = {
        f.target_id: draw(st.lists(st.sampled_from("WLMEHX"), max_size=3).map(tuple))
        for f in found if draw(st.booleans())
    }
    return found, previous


def _agree(scores: list[Score], triages: list[Triage], facts: list[TargetFacts]) -> None:
    by_id = {f.target_id: f for f in facts}
    for score, triage in zip(scores, triages, strict=True):
        for field in Triage.__struct_fields__:
            if field != "last_pair":
                assert getattr(triage, field) == getattr(score, field), (field, score, triage)
        facts_of = by_id[score.target_id]
        assert candidate_from_score(triage, facts_of) == candidate_from_score(score, facts_of)


@settings(max_examples=200, deadline=None)
@given(registers(), st.sampled_from(sorted(POLICIES)), st.integers(-400, 400))
def test_triage_agrees_with_score(
    register: tuple[list[TargetFacts], dict[str, tuple[str, ...]]], name: str, shift: int
) -> None:
    found, previous = register
    day = AS_OF + timedelta(days=shift)
    policy = POLICIES[name]
    _agree(score_all(found, policy, day, previous_tiers=previous),
           triage_all(found, policy, day, previous_tiers=previous), found)


def test_triage_at_the_window_edges() -> None:
    """Records exactly on and one day inside each window, as in test_risk's boundaries."""
    found = []
    for n, (ago, severity) in enumerate(
        (ago, severity) for ago in (364, 365, 366) for severity in ("critical", "serious")
    ):
        found.append(TargetFacts(
            f"T{n}", "restaurant", None, "魏都区", "medium",
            violations=(ViolationRecord(f"V{n}", AS_OF - timedelta(days=ago), severity),),
            inspections=(InspectionRecord(f"I{n}", AS_OF - timedelta(days=ago), "fail",
                                          ("P1", "P2")),),
        ))
    triages = triage_all(found, DEFAULT, AS_OF)
    _agree(score_all(found, DEFAULT, AS_OF), triages, found)
    # A critical violation 364 days old still lifts to H; one 365 days old has left.
    assert [t.tier for t in triages] == ["H", "E", "L", "L", "L", "L"]
    assert {t.last_pair for t in triages} == {("P1", "P2")}


def test_triage_refuses_what_score_refuses() -> None:
    bad = TargetFacts("T1", "restaurant", None, "魏都区", "medium",
                      violations=(ViolationRecord("V1", AS_OF, "grave"),))
    twice = TargetFacts("T2", "restaurant", None, "魏都区", "medium")
    with pytest.raises(ValueError, match="违法记录 V1 等级应为"):
        triage_all([bad], DEFAULT, AS_OF)
    # Checked whatever the record's date, as score_all checks them.
    later = AS_OF + timedelta(days=30)
    for record, message in (
        (ComplaintRecord("C1", later, "closed"), "投诉 C1 状态应为"),
        (InspectionRecord("I1", later, "ok"), "检查记录 I1 结论应为"),
    ):
        field = "complaints" if isinstance(record, ComplaintRecord) else "inspections"
        target = msgspec.structs.replace(twice, **{field: (record,)})
        for run in (score_all, triage_all):
            with pytest.raises(ValueError, match=message):
                run([target], DEFAULT, AS_OF)
    with pytest.raises(ValueError, match="检查对象编号重复：T2"):
        triage_all([twice, twice], DEFAULT, AS_OF)


def test_lift_variant_differs_from_default() -> None:
    """The variant policy really moves the lifts off the points windows."""
    assert all(isinstance(lift, Lift) for lift in VARIANT.lifts)
    assert {lift.window_days for lift in VARIANT.lifts} == {730, 200}
    assert VARIANT.complaint_window_days != DEFAULT.complaint_window_days
