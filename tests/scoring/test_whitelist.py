from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.policy import load_policy, tier_rank
from scoring.risk import (
    ComplaintRecord,
    InspectionRecord,
    TargetFacts,
    ViolationRecord,
    score_target,
)
from scoring.whitelist import (
    WhitelistEntry,
    WhitelistProposal,
    eligibility,
    review_whitelist,
    suspension_reason,
)

POLICY = load_policy()
AS_OF = date(2025, 9, 1)
USCC = "91411000000000001X"


def visits(*verdicts: str, start: int = 100) -> tuple[InspectionRecord, ...]:
    """Visits oldest first, 30 days apart, the last one `start - 30 * (n - 1)` days ago."""
    n = len(verdicts)
    return tuple(InspectionRecord(f"I{k}", AS_OF - timedelta(days=start + 30 * (n - 1 - k)), v,
                                  ("a", "b"))
                 for k, v in enumerate(verdicts))


def target(tid: str = "T1", **changes: Any) -> TargetFacts:
    base: dict[str, Any] = dict(target_id=tid, kind="restaurant", enterprise_uscc=USCC,
                                district="魏都区", hazard="medium",
                                inspections=visits("pass", "pass"))
    base.update(changes)
    return TargetFacts(**base)


def violation(days_ago: int, severity: str = "minor", vid: str = "V1") -> ViolationRecord:
    return ViolationRecord(vid, AS_OF - timedelta(days=days_ago), severity)


def complaint(days_ago: int, status: str = "substantiated", cid: str = "C1") -> ComplaintRecord:
    return ComplaintRecord(cid, AS_OF - timedelta(days=days_ago), status)


def entry(valid_from: date = date(2025, 1, 1), valid_to: date = date(2025, 12, 31)
          ) -> WhitelistEntry:
    return WhitelistEntry(USCC, valid_from, valid_to)


def test_clean_enterprise_is_eligible() -> None:
    found = eligibility([target()], POLICY, AS_OF)

    assert found.eligible
    assert found.records == ("I1", "I0")


@pytest.mark.parametrize(("days_ago", "eligible"), [(729, False), (730, True), (0, False)])
def test_violation_window_is_730_days(days_ago: int, eligible: bool) -> None:
    facts = target(violations=(violation(days_ago, "administrative"),))

    assert eligibility([facts], POLICY, AS_OF).eligible is eligible


def test_violation_after_as_of_does_not_count() -> None:
    facts = target(violations=(violation(-1, "critical"),))

    assert eligibility([facts], POLICY, AS_OF).eligible


@pytest.mark.parametrize(("days_ago", "status", "eligible"), [
    (729, "substantiated", False), (730, "substantiated", True),
    (5, "unsubstantiated", True), (5, "pending", True),
])
def test_substantiated_complaints_block_for_730_days(days_ago: int, status: str,
                                                     eligible: bool) -> None:
    facts = target(complaints=(complaint(days_ago, status),))

    assert eligibility([facts], POLICY, AS_OF).eligible is eligible


@pytest.mark.parametrize(("verdicts", "eligible"), [
    (("pass", "pass"), True), (("fail", "pass", "pass"), True), (("pass", "fail"), False),
    (("pass",), False), ((), False), (("pass", "pass", "void"), True),
    (("pass", "void"), False),
])
def test_latest_two_visits_must_pass(verdicts: tuple[str, ...], eligible: bool) -> None:
    facts = target(inspections=visits(*verdicts))

    assert eligibility([facts], POLICY, AS_OF).eligible is eligible


def test_visits_count_over_all_the_enterprises_targets() -> None:
    one = target("T1", inspections=visits("pass", start=40))
    other = target("T2", inspections=visits("pass", start=10))
    failing = target("T3", inspections=visits("fail", start=20))

    assert eligibility([one, other], POLICY, AS_OF).eligible
    assert not eligibility([one, other, failing], POLICY, AS_OF).eligible


def test_no_targets_is_not_eligible() -> None:
    assert not eligibility([], POLICY, AS_OF).eligible


def test_ineligible_reason_names_each_problem_and_record() -> None:
    facts = target(violations=(violation(10),), complaints=(complaint(20),),
                   inspections=visits("pass", "fail"))

    found = eligibility([facts], POLICY, AS_OF)

    assert found.reason == ("730 天内有 1 起违法行为；730 天内有 1 件属实投诉；"
                            "最近 2 次检查中有 1 次不合格")
    assert found.records == ("V1", "C1", "I1")


@pytest.mark.parametrize(("offset", "severity", "suspended"), [
    (0, "serious", True), (-1, "serious", False), (5, "critical", True),
    (5, "minor", False), (5, "administrative", False),
])
def test_suspension_from_the_entry_start(offset: int, severity: str, suspended: bool) -> None:
    start = date(2025, 3, 1)
    facts = target(violations=(ViolationRecord("V9", start + timedelta(days=offset), severity),))

    reason = suspension_reason(facts, entry(valid_from=start), POLICY)

    assert (reason is not None) is suspended
    if suspended:
        assert reason is not None and "V9" in reason


def test_substantiated_complaint_suspends_but_not_a_pending_one() -> None:
    start = date(2025, 3, 1)
    on_start = ComplaintRecord("C2", start, "substantiated")
    pending = ComplaintRecord("C3", start, "pending")

    assert suspension_reason([target(complaints=(on_start,))], entry(valid_from=start), POLICY)
    assert suspension_reason([target(complaints=(pending,))], entry(valid_from=start),
                             POLICY) is None


def test_review_proposes_an_addition_for_a_year() -> None:
    proposals = review_whitelist({USCC: [target()]}, [], POLICY, AS_OF)

    assert len(proposals) == 1
    p = proposals[0]
    assert (p.action, p.valid_from, p.valid_to) == ("add", date(2025, 9, 2), date(2026, 9, 1))
    assert p.records == ("I1", "I0")


def test_review_removes_at_once_on_suspension() -> None:
    facts = target(violations=(violation(10, "serious"),))

    [p] = review_whitelist({USCC: [facts]}, [entry()], POLICY, AS_OF)

    assert (p.action, p.records) == ("remove", ("V1",))
    assert p.reason.startswith("立即暂停")


def test_review_removes_what_is_no_longer_eligible() -> None:
    facts = target(inspections=visits("pass", "fail"))

    [p] = review_whitelist({USCC: [facts]}, [entry()], POLICY, AS_OF)

    assert p.action == "remove"
    assert p.reason.startswith("不再符合")
    assert p.records == ("I1",)


def test_review_removes_an_entry_without_targets() -> None:
    [p] = review_whitelist({}, [entry()], POLICY, AS_OF)

    assert (p.action, p.reason) == ("remove", "不再符合标杆企业条件：无在管检查对象")


@pytest.mark.parametrize(("days_left", "renewal"), [(29, True), (30, False), (0, True)])
def test_review_renews_an_eligible_entry_ending_within_30_days(days_left: int,
                                                               renewal: bool) -> None:
    end = AS_OF + timedelta(days=days_left)

    proposals = review_whitelist({USCC: [target()]}, [entry(valid_to=end)], POLICY, AS_OF)

    if not renewal:
        assert proposals == []
        return
    [p] = proposals
    assert (p.action, p.valid_from) == ("add", end + timedelta(days=1))
    assert p.valid_to == end + timedelta(days=365)


def test_entries_not_current_on_the_day_are_ignored() -> None:
    ended = entry(valid_to=AS_OF - timedelta(days=1))

    [p] = review_whitelist({USCC: [target()]}, [ended], POLICY, AS_OF)

    assert (p.action, p.valid_from) == ("add", AS_OF + timedelta(days=1))


def test_review_order_is_removals_then_uscc() -> None:
    bad = "91411000000000002X"
    facts = {
        "91411000000000009X": [target()],
        USCC: [target()],
        bad: [target(enterprise_uscc=bad, violations=(violation(3, "critical"),))],
    }

    proposals = review_whitelist(facts, [WhitelistEntry(bad, date(2025, 1, 1),
                                                        date(2026, 1, 1))], POLICY, AS_OF)

    assert [(p.action, p.enterprise_uscc) for p in proposals] == [
        ("remove", bad), ("add", USCC), ("add", "91411000000000009X"),
    ]
    assert all(isinstance(p, WhitelistProposal) for p in proposals)


# Properties -------------------------------------------------------------------

records = st.lists(st.tuples(st.integers(0, 1200), st.sampled_from(
    ["critical", "serious", "minor", "administrative"])), max_size=6)


@settings(max_examples=150, deadline=None)
@given(records, st.integers(0, 1200), st.sampled_from(["critical", "serious", "minor"]))
def test_another_violation_never_makes_an_enterprise_eligible(
    vs: list[tuple[int, str]], days_ago: int, severity: str
) -> None:
    before = tuple(violation(d, s, f"V{k}") for k, (d, s) in enumerate(vs))
    after = (*before, violation(days_ago, severity, "Vnew"))

    if not eligibility([target(violations=before)], POLICY, AS_OF).eligible:
        assert not eligibility([target(violations=after)], POLICY, AS_OF).eligible


@settings(max_examples=150, deadline=None)
@given(records, st.integers(-30, 400))
def test_a_whitelisted_target_is_never_above_its_unlisted_tier(
    vs: list[tuple[int, str]], since_days_ago: int
) -> None:
    violations = tuple(violation(d, s, f"V{k}") for k, (d, s) in enumerate(vs))
    plain = target(violations=violations)
    listed = target(violations=violations, whitelisted=True,
                    whitelisted_since=AS_OF - timedelta(days=since_days_ago))

    unlisted_tier = score_target(plain, POLICY, AS_OF).tier
    assert tier_rank(score_target(listed, POLICY, AS_OF).tier) <= tier_rank(unlisted_tier)
