"""Risk scoring: a tier, a maximum interval and the reasons, factor by factor.

For one target on day `as_of` (only records dated on or before `as_of` count):

1. Behaviour points. Every violation found in the rolling window earns its
   severity's points (CCS-like: critical 60, serious 31, minor 4,
   administrative 0.1); every substantiated complaint received in its window
   earns `complaint_points`. A record dated `as_of - window_days + 1` still
   counts; one dated exactly `window_days` before `as_of` has left the window.
   The total is rounded to 6 decimals, which removes float noise from sums of
   0.1 without touching any real difference.
2. Band. The highest tier whose `min_points` (inclusive) the total reaches:
   L from 0, M from 10.1, E from 30.1, H from 60.1, X from 150 by default.
3. Lifts. One severe factor lifts the tier on its own (a critical violation
   in the window gives at least H; three substantiated complaints in 12 months
   give X).
4. Inherent hazard, kept apart from behaviour: each matching rule (high
   hazard, performance grade C or D, large sites, large restaurants) keeps the
   target at or above its tier. The computed tier is the highest of 2 to 4.
5. Whitelist. A whitelisted target is W, unless a violation of a suspending
   severity or a substantiated complaint dated on or after `whitelisted_since`
   suspends the entry; then steps 1 to 4 apply. Without a start date every
   record suspends, which errs on the side of inspection.
6. Hysteresis. Moving up is immediate; moving down needs
   `reviews_to_move_down` consecutive reviews below the current tier. With
   `previous_tiers` the *computed* tiers of the latest earlier reviews (newest
   first), the published tier is the highest of this review's computed tier
   and the previous `reviews_to_move_down - 1` computed tiers. An active
   whitelist entry is a leader's decision and applies at once.
7. Dates. `last_inspected` is the latest pass or fail visit (void visits are
   repeated measurements and do not count). `due_on` is `last_inspected +
   interval_days`, or `as_of` for a target never inspected; a failed last
   visit brings it forward to the re-inspection deadline. `overdue` means
   `as_of >= due_on`: the maximum interval ends that day. A never-inspected
   target is overdue only when the policy says so (by default it is not, but
   its draw weight is multiplied by `never_inspected_weight_factor`).
8. Must-visit, first match wins: a pending complaint ('complaint'); a failed
   last visit at least `earliest_days` old ('reinspection', to be done by
   other inspectors than `avoid_inspectors`); an overdue X target
   ('watchlist'); any other overdue target ('overdue').
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, NamedTuple, TypeVar

import msgspec

from scoring.policy import TIER_CODES, InherentRule, Lift, Policy, tier_rank

VERDICTS = ("pass", "fail", "void")
COMPLAINT_STATUSES = ("pending", "substantiated", "unsubstantiated")
_R = TypeVar("_R", "ViolationRecord", "ComplaintRecord", "InspectionRecord")
SEVERITY_LABELS = {
    "critical": "严重",
    "serious": "较重",
    "minor": "轻微",
    "administrative": "程序性",
}


class ViolationRecord(msgspec.Struct, frozen=True):
    """A violation found on a day, with its CCS-like severity."""

    id: str
    found_on: date
    severity: str


class ComplaintRecord(msgspec.Struct, frozen=True):
    """A complaint about the target: pending, substantiated or unsubstantiated."""

    id: str
    received_on: date
    status: str


class InspectionRecord(msgspec.Struct, frozen=True):
    """A visit with its verdict (pass, fail or void) and its inspectors."""

    id: str
    inspected_on: date
    verdict: str
    inspectors: tuple[str, ...] = ()


class TargetFacts(msgspec.Struct, frozen=True):
    """Everything scoring knows about one target."""

    target_id: str
    kind: str
    enterprise_uscc: str | None
    district: str
    hazard: str
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    whitelisted: bool = False
    whitelisted_since: date | None = None
    violations: tuple[ViolationRecord, ...] = ()
    complaints: tuple[ComplaintRecord, ...] = ()
    inspections: tuple[InspectionRecord, ...] = ()


class Factor(msgspec.Struct, frozen=True):
    """One reason in a score, with its points and the records behind it."""

    code: str
    label: str
    points: float
    records: tuple[str, ...]
    detail: str


class Score(msgspec.Struct, frozen=True):
    """A target's tier, interval, due date and the reasons for them."""

    target_id: str
    tier: str
    interval_days: int
    points: float
    factors: tuple[Factor, ...]
    last_inspected: date | None
    due_on: date
    overdue: bool
    must_visit: str | None
    avoid_inspectors: tuple[str, ...]
    weight: float
    policy_version: str
    lower_tier_hint: str
    # The tier before hysteresis: store it and pass it back as previous_tiers.
    computed_tier: str
    as_of: date

    @property
    def days_overdue(self) -> int:
        """Days since the due date (0 on it, negative before it)."""
        return (self.as_of - self.due_on).days


class _Rule(NamedTuple):
    """An inherent-hazard rule ready to apply, with its factor built once."""

    rule: InherentRule
    kinds: frozenset[str]
    attribute: str | None
    factor: Factor


class _Compiled(NamedTuple):
    """Per-policy lookups built once, because scoring runs for every target."""

    policy: Policy
    rank: dict[str, int]
    rules: tuple[_Rule, ...]
    never_inspected: Factor


_COMPILED: dict[int, _Compiled] = {}


def _compiled(policy: Policy) -> _Compiled:
    cached = _COMPILED.get(id(policy))
    if cached is not None and cached.policy is policy:
        return cached
    rules = tuple(
        _Rule(rule, frozenset(rule.kinds),
              rule.field.removeprefix("attributes.") if rule.field.startswith("attributes.")
              else None,
              Factor(rule.code, rule.label, 0.0, (), f"固有风险，至少 {rule.tier} 级"))
        for rule in policy.inherent
    )
    factor = policy.roster.never_inspected_weight_factor
    compiled = _Compiled(
        policy=policy,
        rank={t.code: i for i, t in enumerate(policy.tiers)},
        rules=rules,
        never_inspected=Factor("never_inspected", "从未检查", 0.0, (), f"抽查权重 × {factor:g}"),
    )
    _COMPILED[id(policy)] = compiled
    return compiled


class _History(NamedTuple):
    """A target's records dated on or before as_of, oldest first."""

    violations: list[ViolationRecord]
    substantiated: list[ComplaintRecord]
    pending: list[ComplaintRecord]
    visits: list[InspectionRecord]


class _Assessment(NamedTuple):
    """The computed tier at one day and what produced it."""

    tier: str
    points: float
    factors: list[Factor]
    inherent: list[InherentRule]


def score_target(
    facts: TargetFacts,
    policy: Policy,
    as_of: date,
    *,
    previous_tiers: tuple[str, ...] = (),
) -> Score:
    """Score one target as of a day; previous_tiers are earlier computed tiers, newest first."""
    history = _history(facts, as_of)
    inherent = _inherent(facts, _compiled(policy))
    assessment = _assess(history, inherent, policy, as_of)
    factors = list(assessment.factors)

    suspension = _suspension(facts, history, policy)
    whitelist_active = facts.whitelisted and not suspension
    if facts.whitelisted:
        factors.append(_whitelist_factor(facts, suspension))
    computed = "W" if whitelist_active else assessment.tier
    tier = computed if whitelist_active else _with_hysteresis(computed, previous_tiers, policy)
    if tier != computed:
        factors.append(_hysteresis_factor(computed, tier, policy))

    return _finish(facts, policy, as_of, history, tier, computed, assessment, factors)


def score_all(
    facts: Iterable[TargetFacts],
    policy: Policy,
    as_of: date,
    *,
    previous_tiers: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Score]:
    """Score every target, ordered by target id; ids must be unique."""
    previous = previous_tiers or {}
    ordered = sorted(facts, key=lambda f: f.target_id)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.target_id == after.target_id:
            raise ValueError(f"检查对象编号重复：{after.target_id}")
    return [
        score_target(f, policy, as_of, previous_tiers=previous.get(f.target_id, ()))
        for f in ordered
    ]


def _finish(
    facts: TargetFacts,
    policy: Policy,
    as_of: date,
    history: _History,
    tier: str,
    computed: str,
    assessment: _Assessment,
    factors: list[Factor],
) -> Score:
    interval = policy.tier(tier).interval_days
    last = history.visits[-1] if history.visits else None
    due_on = as_of if last is None else last.inspected_on + timedelta(days=interval)
    weight = policy.tier(tier).weight
    if last is None:
        weight *= policy.roster.never_inspected_weight_factor
        factors.append(_compiled(policy).never_inspected)

    failed = last if last is not None and last.verdict == "fail" else None
    if failed is not None:
        deadline = failed.inspected_on + timedelta(days=policy.reinspection.deadline_days)
        due_on = min(due_on, deadline)
    overdue = policy.roster.never_inspected_overdue if last is None else as_of >= due_on

    must_visit, more = _must_visit(history, policy, as_of, tier, overdue, failed)
    factors.extend(more)
    return Score(
        target_id=facts.target_id,
        tier=tier,
        interval_days=interval,
        points=assessment.points,
        factors=tuple(factors),
        last_inspected=None if last is None else last.inspected_on,
        due_on=due_on,
        overdue=overdue,
        must_visit=must_visit,
        avoid_inspectors=() if failed is None else tuple(sorted(set(failed.inspectors))),
        weight=weight,
        policy_version=policy.version,
        lower_tier_hint=_lower_tier_hint(history, facts, policy, as_of, tier, assessment),
        computed_tier=computed,
        as_of=as_of,
    )


def _history(facts: TargetFacts, as_of: date) -> _History:
    _check_codes(facts)
    violations = _sorted([v for v in facts.violations if v.found_on <= as_of],
                         lambda v: (v.found_on, v.id)) if facts.violations else []
    visits = _sorted([i for i in facts.inspections
                      if i.inspected_on <= as_of and i.verdict != "void"],
                     lambda i: (i.inspected_on, i.id)) if facts.inspections else []
    if not facts.complaints:
        return _History(violations, [], [], visits)

    complaints = _sorted([c for c in facts.complaints if c.received_on <= as_of],
                         lambda c: (c.received_on, c.id))
    return _History(
        violations=violations,
        substantiated=[c for c in complaints if c.status == "substantiated"],
        pending=[c for c in complaints if c.status == "pending"],
        visits=visits,
    )


def _check_codes(facts: TargetFacts) -> None:
    where = f"检查对象 {facts.target_id}"
    for v in facts.violations:
        if v.severity not in SEVERITY_LABELS:
            raise ValueError(f"{where} 的违法记录 {v.id} 等级应为 "
                             f"{'/'.join(SEVERITY_LABELS)} 之一，实际为 {v.severity!r}")
    for c in facts.complaints:
        if c.status not in COMPLAINT_STATUSES:
            raise ValueError(f"{where} 的投诉 {c.id} 状态应为 "
                             f"{'/'.join(COMPLAINT_STATUSES)} 之一，实际为 {c.status!r}")
    for i in facts.inspections:
        if i.verdict not in VERDICTS:
            raise ValueError(f"{where} 的检查记录 {i.id} 结论应为 "
                             f"{'/'.join(VERDICTS)} 之一，实际为 {i.verdict!r}")


def _sorted(records: list[_R], key: Callable[[_R], tuple[date, str]]) -> list[_R]:
    if len(records) > 1:
        records.sort(key=key)
    return records


def _within(day: date, as_of: date, window_days: int) -> bool:
    """True when `day` (on or before as_of) lies in the window ending on as_of."""
    return (as_of - day).days < window_days


def _assess(history: _History, inherent: list[_Rule], policy: Policy, day: date) -> _Assessment:
    if not (history.violations or history.substantiated):
        # A clean record: no points and no lift, only inherent hazard can raise it.
        return _clean_assessment(inherent)

    factors = _behaviour_factors(history, policy, day)
    points = round(sum(f.points for f in factors), 6)
    tier = _band(points, policy)
    for lift, records in _lift_hits(history, policy, day):
        factors.append(Factor(lift.code, lift.label, 0.0, records,
                              f"{len(records)} 条记录，至少 {lift.tier} 级"))
        tier = _higher(tier, lift.tier)

    for rule in inherent:
        factors.append(rule.factor)
        tier = _higher(tier, rule.rule.tier)
    return _Assessment(tier, points, factors, [r.rule for r in inherent])


def _clean_assessment(inherent: list[_Rule]) -> _Assessment:
    tier = "L"
    for rule in inherent:
        tier = _higher(tier, rule.rule.tier)
    return _Assessment(tier, 0.0, [r.factor for r in inherent], [r.rule for r in inherent])


def _inherent(facts: TargetFacts, compiled: _Compiled) -> list[_Rule]:
    return [r for r in compiled.rules if _matches(r, facts)]


def _behaviour_factors(history: _History, policy: Policy, day: date) -> list[Factor]:
    factors = []
    window = policy.violation_window_days
    by_severity: dict[str, list[str]] = {}
    for v in history.violations:
        if _within(v.found_on, day, window):
            by_severity.setdefault(v.severity, []).append(v.id)
    for severity, label in SEVERITY_LABELS.items():
        found = by_severity.get(severity)
        if found:
            each = policy.severity_points[severity]
            factors.append(Factor(
                f"violations_{severity}", f"{label}违法行为", round(each * len(found), 6),
                tuple(found), f"{len(found)} 起 × {each:g} 分（{window} 天内）",
            ))

    window = policy.complaint_window_days
    complaints = [c.id for c in history.substantiated if _within(c.received_on, day, window)]
    if complaints:
        each = policy.complaint_points
        factors.append(Factor(
            "complaints_substantiated", "属实投诉", round(each * len(complaints), 6),
            tuple(complaints), f"{len(complaints)} 件 × {each:g} 分（{window} 天内）",
        ))
    return factors


def _band(points: float, policy: Policy) -> str:
    for tier in reversed(policy.tiers[1:]):
        if tier.min_points is not None and points >= tier.min_points:
            return tier.code
    return "L"


def _lift_hits(history: _History, policy: Policy, day: date) -> list[tuple[Lift, tuple[str, ...]]]:
    hits = []
    for lift in policy.lifts:
        if lift.records == "violations":
            ids = tuple(v.id for v in history.violations if v.severity in lift.severities
                        and _within(v.found_on, day, lift.window_days))
        else:
            ids = tuple(c.id for c in history.substantiated
                        if _within(c.received_on, day, lift.window_days))
        if len(ids) >= lift.count:
            hits.append((lift, ids))
    return hits


def _matches(compiled: _Rule, facts: TargetFacts) -> bool:
    rule = compiled.rule
    if compiled.kinds and facts.kind not in compiled.kinds:
        return False
    if compiled.attribute is not None:
        value: Any = facts.attributes.get(compiled.attribute)
    else:
        value = facts.hazard if rule.field == "hazard" else facts.kind

    if rule.op == "in":
        return value in rule.value  # type: ignore[operator]
    if rule.op == "eq":
        return value == rule.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value > rule.value if rule.op == "gt" else value >= rule.value  # type: ignore[operator]


def _higher(a: str, b: str) -> str:
    return a if TIER_CODES.index(a) >= TIER_CODES.index(b) else b


def _suspension(facts: TargetFacts, history: _History, policy: Policy) -> tuple[str, ...]:
    """Records dated on or after the whitelist start that suspend the entry."""
    if not facts.whitelisted:
        return ()
    since = facts.whitelisted_since or date.min
    rules = policy.whitelist
    found = [v.id for v in history.violations
             if v.found_on >= since and v.severity in rules.suspend_severities]
    if rules.suspend_on_complaint:
        found += [c.id for c in history.substantiated if c.received_on >= since]
    return tuple(found)


def _whitelist_factor(facts: TargetFacts, suspension: tuple[str, ...]) -> Factor:
    since = facts.whitelisted_since.isoformat() if facts.whitelisted_since else "未记录"
    if suspension:
        return Factor("whitelist_suspended", "标杆企业资格暂停", 0.0, suspension,
                      f"列入名单（{since}）后出现较重以上违法行为或属实投诉，按风险评级")
    return Factor("whitelist", "标杆企业", 0.0, (), f"自 {since} 列入标杆企业名单，W 级")


def _with_hysteresis(computed: str, previous: tuple[str, ...], policy: Policy) -> str:
    held = previous[: policy.reviews_to_move_down - 1]
    return max((computed, *held), key=tier_rank)


def _hysteresis_factor(computed: str, tier: str, policy: Policy) -> Factor:
    n = policy.reviews_to_move_down
    return Factor("hysteresis", "降级需连续评定", 0.0, (),
                  f"本次评定为 {computed} 级；需连续 {n} 次评定低于 {tier} 级才降级")


def _must_visit(
    history: _History,
    policy: Policy,
    as_of: date,
    tier: str,
    overdue: bool,
    failed: InspectionRecord | None,
) -> tuple[str | None, list[Factor]]:
    factors = []
    if history.pending:
        ids = tuple(c.id for c in history.pending)
        detail = f"{len(ids)} 件待现场核查"
        factors.append(Factor("complaint_pending", "投诉待核查", 0.0, ids, detail))

    ready = failed is not None and (
        (as_of - failed.inspected_on).days >= policy.reinspection.earliest_days
    )
    if failed is not None:
        deadline = failed.inspected_on + timedelta(days=policy.reinspection.deadline_days)
        factors.append(Factor("reinspection_due", "不合格后复查", 0.0, (failed.id,),
                              f"{deadline.isoformat()} 前由其他检查人员复查"))

    if history.pending:
        reason = "complaint"
    elif ready:
        reason = "reinspection"
    elif overdue:
        reason = "watchlist" if tier == "X" else "overdue"
    else:
        reason = None
    return reason, factors


def _lower_tier_hint(
    history: _History,
    facts: TargetFacts,
    policy: Policy,
    as_of: date,
    tier: str,
    assessment: _Assessment,
) -> str:
    """What would move the target down a tier; never a date of the next visit."""
    if tier == "W":
        return "已列入标杆企业名单，为最低监管等级"
    if tier_rank(assessment.tier) < tier_rank(tier):
        return f"本次评定为 {assessment.tier} 级；下次评定仍低于 {tier} 级即可降级"

    floor = [r for r in assessment.inherent if r.tier == tier]
    if floor:
        labels = "、".join(r.label for r in floor)
        return f"固有风险（{labels}）使等级不低于 {tier} 级"
    if tier == "L":
        return _whitelist_hint(history, policy, as_of)

    inherent = _inherent(facts, _compiled(policy))
    for day in _expiry_days(history, policy, as_of):
        later = _assess(history, inherent, policy, day)
        if tier_rank(later.tier) < tier_rank(tier):
            steps = policy.reviews_to_move_down
            suffix = f"（需连续 {steps} 次评定）" if steps > 1 else ""
            return f"{day.isoformat()} 前无新的违法行为和属实投诉可降至 {later.tier} 级{suffix}"
    return ""


def _expiry_days(history: _History, policy: Policy, as_of: date) -> list[date]:
    """Days after as_of on which a record leaves one of its windows."""
    windows = [policy.violation_window_days, *(lift.window_days for lift in policy.lifts)]
    dated = [v.found_on for v in history.violations]
    days = {d + timedelta(days=w) for d in dated for w in windows}

    windows = [policy.complaint_window_days, *(lift.window_days for lift in policy.lifts)]
    days |= {c.received_on + timedelta(days=w) for c in history.substantiated for w in windows}
    return sorted(d for d in days if d > as_of)


def _whitelist_hint(history: _History, policy: Policy, as_of: date) -> str:
    rules = policy.whitelist
    clean_from = [v.found_on + timedelta(days=rules.no_violation_days) for v in history.violations]
    clean_from += [c.received_on + timedelta(days=rules.no_complaint_days)
                   for c in history.substantiated]
    visits = f"且最近连续 {rules.clean_inspections} 次检查合格的" if rules.clean_inspections else ""
    day = max(clean_from, default=as_of)
    if day <= as_of:
        return f"无违法行为和属实投诉{visits}，可申请纳入标杆企业名单（W 级）"
    return f"{day.isoformat()} 前无新的违法行为和属实投诉{visits}，可申请纳入标杆企业名单（W 级）"

