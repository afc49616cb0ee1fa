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

`score_all` returns all of this with every factor and hint. `triage_all`
returns only what the daily draw reads (tier, weight, due date, must-visit
reason, the last visit's pair), counting records instead of listing them; it
applies the same steps, and tests hold the two to the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from operator import attrgetter, ge
from typing import Any, NamedTuple

import msgspec

from scoring.policy import TIER_CODES, InherentRule, Lift, Policy, tier_rank

VERDICTS = ("pass", "fail", "void")
COMPLAINT_STATUSES = ("pending", "substantiated", "unsubstantiated")
SEVERITY_LABELS = {
    "critical": "严重",
    "serious": "较重",
    "minor": "轻微",
    "administrative": "程序性",
}


class ViolationRecord(msgspec.Struct, frozen=True, gc=False):
    """A violation found on a day, with its CCS-like severity."""

    id: str
    found_on: date
    severity: str


class ComplaintRecord(msgspec.Struct, frozen=True, gc=False):
    """A complaint about the target: pending, substantiated or unsubstantiated."""

    id: str
    received_on: date
    status: str


class InspectionRecord(msgspec.Struct, frozen=True, gc=False):
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


class Factor(msgspec.Struct, frozen=True, gc=False):
    """One reason in a score, with its points and the records behind it."""

    code: str
    label: str
    points: float
    records: tuple[str, ...]
    detail: str


class Score(msgspec.Struct, frozen=True, gc=False):
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


class Triage(msgspec.Struct, frozen=True, gc=False):
    """What the day's draw reads of a score, without the reasons behind it.

    Every field has the value the same field of `Score` has for the same facts;
    the roster is drawn from these because it reads no factor and no hint, and
    building those is most of the cost of scoring a city-sized register.
    `last_pair` is the two inspectors of the last visit in id order, or () when
    that visit did not have two distinct inspectors.
    """

    target_id: str
    tier: str
    computed_tier: str
    weight: float
    due_on: date
    overdue: bool
    must_visit: str | None
    avoid_inspectors: tuple[str, ...]
    last_pair: tuple[str, ...]
    as_of: date


class _Rule(NamedTuple):
    """An inherent-hazard rule ready to apply, with its factor built once."""

    rule: InherentRule
    kinds: frozenset[str]
    attribute: str | None
    factor: Factor


class _Inherent(NamedTuple):
    """The inherent rules one target matches and the assessment of a clean record."""

    rules: tuple[_Rule, ...]
    # The highest tier the rules require; L when none matches.
    floor: str
    clean: _Assessment
    # Lower-tier hints of a clean record by published tier: they depend on nothing else.
    hints: dict[str, str]


class _Compiled(NamedTuple):
    """Per-policy lookups built once, because scoring runs for every target."""

    policy: Policy
    rules: tuple[_Rule, ...]
    # Per kind, the attribute names its rules read: with kind and hazard, the key of
    # `matched` (filled as kinds are seen).
    attributes_of: dict[str, tuple[str, ...]]
    matched: dict[tuple[Any, ...], _Inherent]
    never_inspected: Factor


class _Assessment(NamedTuple):
    """The computed tier at one day and what produced it."""

    tier: str
    points: float
    factors: list[Factor] | tuple[Factor, ...]
    inherent: list[InherentRule]


class _History(NamedTuple):
    """A target's records dated on or before as_of, oldest first, and its last visit."""

    violations: list[ViolationRecord]
    substantiated: list[ComplaintRecord]
    pending: list[ComplaintRecord]
    last: InspectionRecord | None


_COMPILED: dict[int, _Compiled] = {}
_SEVERITY_SET = frozenset(SEVERITY_LABELS)
_STATUS_SET = frozenset(COMPLAINT_STATUSES)
_VERDICT_SET = frozenset(VERDICTS)
_TIER_INDEX = {code: i for i, code in enumerate(TIER_CODES)}
_severity = attrgetter("severity")
_status = attrgetter("status")
_verdict = attrgetter("verdict")


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
        rules=rules,
        attributes_of={},
        matched={},
        never_inspected=Factor("never_inspected", "从未检查", 0.0, (), f"抽查权重 × {factor:g}"),
    )
    if len(_COMPILED) > 64:
        # Policies are few; this only bounds a long test run that builds many variants.
        _COMPILED.clear()
    _COMPILED[id(policy)] = compiled
    return compiled


class _BeforeAll:
    """A cut-off earlier than every date, for windows reaching past date.min."""

    def __lt__(self, other: object) -> bool:
        return True


def _cut(day: date, window_days: int) -> date:
    """The latest date that has left a window ending on `day`: a record counts when later.

    A record on `day - window_days + 1` still counts (see the module doc, step 1).
    """
    try:
        return day - timedelta(days=window_days)
    except OverflowError:
        return _BeforeAll()  # type: ignore[return-value]


class _Day:
    """Scoring against one policy as of one day, with cut-offs computed once."""

    def __init__(self, policy: Policy, as_of: date) -> None:
        self.policy, self.as_of = policy, as_of
        self.compiled = _compiled(policy)
        self.violation_cut = _cut(as_of, policy.violation_window_days)
        self.complaint_cut = _cut(as_of, policy.complaint_window_days)
        # Each lift with its cut-off and whether that equals its records' points window,
        # so the in-window lists already made serve it.
        self.lifts = tuple(
            (lift, cut, cut == (self.violation_cut if lift.records == "violations"
                                else self.complaint_cut))
            for lift in policy.lifts
            for cut in (_cut(as_of, lift.window_days),)
        )
        self.lifts_in_window = all(in_window for _, _, in_window in self.lifts)
        self.by_attributes: dict[tuple[str, str, int], _Inherent] = {}
        self.tiers_of_counts: dict[tuple[Any, ...], str] = {}
        self.bands = [(t.min_points, t.code) for t in reversed(policy.tiers[1:])
                      if t.min_points is not None]
        self.banded: dict[float, str] = {}
        self.tier_terms = {t.code: (t.interval_days, t.weight, timedelta(days=t.interval_days))
                           for t in policy.tiers}
        self.clean_whitelist_hint = _whitelist_hint([], [], policy, as_of)
        self.reinspection_deadline = timedelta(days=policy.reinspection.deadline_days)
        self.factor_texts: dict[tuple[str, int], tuple[str, str, float, str]] = {}
        self.whitelist_hints: dict[tuple[date | None, date | None], str] = {}
        self.zero_band = self.band(0.0)

    def score(self, facts: TargetFacts, previous_tiers: tuple[str, ...]) -> Score:
        history = self.history(facts)
        inherent = self.inherent(facts)
        if history.violations or history.substantiated:
            assessment = self.assess(history, inherent)
        else:
            # A clean record: no points and no lift, only inherent hazard can raise it.
            assessment = inherent.clean
        factors = list(assessment.factors)

        whitelist_active = False
        if facts.whitelisted:
            suspension = _suspension(facts, history, self.policy)
            whitelist_active = not suspension
            factors.append(_whitelist_factor(facts, suspension))
        computed = "W" if whitelist_active else assessment.tier
        tier = computed
        if previous_tiers and not whitelist_active:
            tier = _with_hysteresis(computed, previous_tiers, self.policy.reviews_to_move_down - 1)
        if tier != computed:
            factors.append(_hysteresis_factor(computed, tier, self.policy))
        return self.finish(facts, history, inherent, tier, computed, assessment, factors)

    def history(self, facts: TargetFacts) -> _History:
        """The records scoring reads; codes must have been checked (`_check_codes`)."""
        as_of = self.as_of
        violations = [v for v in facts.violations if v.found_on <= as_of]
        if len(violations) > 1:
            violations.sort(key=_violation_key)
        last = last_visit(facts.inspections, as_of) if facts.inspections else None
        if not facts.complaints:
            return _History(violations, [], [], last)

        complaints = [c for c in facts.complaints if c.received_on <= as_of]
        if len(complaints) > 1:
            complaints.sort(key=_complaint_key)
        return _History(
            violations=violations,
            substantiated=[c for c in complaints if c.status == "substantiated"],
            pending=[c for c in complaints if c.status == "pending"],
            last=last,
        )

    def inherent(self, facts: TargetFacts) -> _Inherent:
        """The inherent rules a target matches, looked up once per distinct attributes.

        Callers that share one attributes dict among targets with the same
        attributes (as `load_facts` does) get it by the dict's identity, which
        holds for the life of this object: the facts it scores are all alive.
        """
        attributes = facts.attributes
        if not attributes:
            return self.matched(facts)
        key = (facts.kind, facts.hazard, id(attributes))
        found = self.by_attributes.get(key)
        if found is None:
            found = self.by_attributes[key] = self.matched(facts)
        return found

    def matched(self, facts: TargetFacts) -> _Inherent:
        compiled = self.compiled
        attributes, kind = facts.attributes, facts.kind
        if attributes:
            names = compiled.attributes_of.get(kind)
            if names is None:
                names = compiled.attributes_of[kind] = tuple(dict.fromkeys(
                    r.attribute for r in compiled.rules
                    if r.attribute is not None and (not r.kinds or kind in r.kinds)))
            values = tuple(map(attributes.get, names))
            if bool in map(type, values):
                values = tuple(map(_hashable, values))
        else:
            values = ()
        key = (kind, facts.hazard, *values)
        try:
            found = compiled.matched.get(key)
        except TypeError:  # an unhashable attribute value: match without the cache
            return _inherent_of(tuple(r for r in compiled.rules if _matches(r, facts)))
        if found is None:
            found = _inherent_of(tuple(r for r in compiled.rules if _matches(r, facts)))
            compiled.matched[key] = found
        return found

    def assess(self, history: _History, inherent: _Inherent) -> _Assessment:
        cut = self.violation_cut
        recent = [v for v in history.violations if v.found_on > cut]
        cut = self.complaint_cut
        complaints = [c for c in history.substantiated if c.received_on > cut]
        by_severity: dict[str, list[str]] = {}
        if recent or complaints:
            factors = self.behaviour_factors(recent, complaints, by_severity)
            if len(factors) == 1:
                # Already rounded to 6 decimals, and rounding again changes nothing.
                points = factors[0].points
            else:
                points = float(round(sum(f.points for f in factors), 6))
            tier = self.band(points)
        else:
            # Every record has left its window: the sums below would give 0.0.
            factors, points, tier = [], 0.0, self.zero_band
        for lift, cut, in_window in self.lifts:
            if lift.records == "violations":
                if in_window:
                    # The in-window records grouped by severity tell how many could lift.
                    hits = 0
                    for severity in lift.severities:
                        hits += len(by_severity.get(severity, ()))
                    if hits < lift.count:
                        continue
                elif len(history.violations) < lift.count:
                    continue
            elif len(complaints if in_window else history.substantiated) < lift.count:
                # The lift's records are some of these: too few to lift, whatever they are.
                continue
            records = self.lift_records(lift, cut, history, recent, complaints)
            if len(records) >= lift.count:
                factors.append(Factor(lift.code, lift.label, 0.0, records,
                                      f"{len(records)} 条记录，至少 {lift.tier} 级"))
                tier = _higher(tier, lift.tier)

        if inherent.rules:
            factors += inherent.clean.factors
            tier = _higher(tier, inherent.floor)
        return _Assessment(tier, points, factors, inherent.clean.inherent)

    def band(self, points: float) -> str:
        """The highest tier whose minimum the points reach (step 2 of the module doc)."""
        found = self.banded.get(points)
        if found is None:
            found = next((code for minimum, code in self.bands if points >= minimum), "L")
            # Totals repeat (one minor violation is 4 points for thousands of targets).
            self.banded[points] = found
        return found

    def behaviour_factors(
        self,
        recent: list[ViolationRecord],
        complaints: list[ComplaintRecord],
        by_severity: dict[str, list[str]],
    ) -> list[Factor]:
        """Points per severity, then for substantiated complaints, over the in-window records.

        Fills `by_severity` with the ids of the in-window violations of each severity.
        """
        factors = []
        if len(recent) == 1:
            v = recent[0]
            by_severity[v.severity] = [v.id]
            factors.append(self.points_factor(v.severity, (v.id,)))
        elif recent:
            for v in recent:
                found = by_severity.get(v.severity)
                if found is None:
                    by_severity[v.severity] = [v.id]
                else:
                    found.append(v.id)
            for severity in SEVERITY_LABELS:
                ids = by_severity.get(severity)
                if ids:
                    factors.append(self.points_factor(severity, tuple(ids)))
        if complaints:
            factors.append(self.points_factor("", tuple(c.id for c in complaints)))
        return factors

    def points_texts(self, severity: str, count: int) -> tuple[str, str, float, str]:
        """`_points_texts`, kept per (severity, count): few pairs occur in a register."""
        key = (severity, count)
        made = self.factor_texts.get(key)
        if made is None:
            made = self.factor_texts[key] = _points_texts(self.policy, severity, count)
        return made

    def points_of(self, severity: str, count: int) -> float:
        """The points of `count` records of one severity ('' for substantiated complaints)."""
        return self.points_texts(severity, count)[2]

    def points_factor(self, severity: str, records: tuple[str, ...]) -> Factor:
        """The factor of `records` of one severity ('' for substantiated complaints)."""
        code, label, points, detail = self.points_texts(severity, len(records))
        return Factor(code, label, points, records, detail)

    def lift_records(
        self,
        lift: Lift,
        cut: date,
        history: _History,
        recent: list[ViolationRecord],
        complaints: list[ComplaintRecord],
    ) -> tuple[str, ...]:
        """A lift's records; the in-window lists serve when its window is the same."""
        return _lift_records(
            lift, cut,
            recent if cut == self.violation_cut else history.violations,
            complaints if cut == self.complaint_cut else history.substantiated,
        )

    def tier_at(self, history: _History, inherent: _Inherent, day: date) -> str:
        """The computed tier the same records give on a later day (no factors built)."""
        policy = self.policy
        cut = _cut(day, policy.violation_window_days)
        counts: dict[str, int] = {}
        for v in history.violations:
            if v.found_on > cut:
                counts[v.severity] = counts.get(v.severity, 0) + 1
        # The same sums, in the same order, as the factors of `assess`.
        totals = [round(policy.severity_points[s] * counts[s], 6)
                  for s in SEVERITY_LABELS if counts.get(s)]
        cut = _cut(day, policy.complaint_window_days)
        complaints = sum(1 for c in history.substantiated if c.received_on > cut)
        if complaints:
            totals.append(round(policy.complaint_points * complaints, 6))

        tier = _band(round(sum(totals), 6), policy)
        for lift in policy.lifts:
            cut = _cut(day, lift.window_days)
            hits = _lift_records(lift, cut, history.violations, history.substantiated)
            if len(hits) >= lift.count:
                tier = _higher(tier, lift.tier)
        return _higher(tier, inherent.floor)

    def finish(
        self,
        facts: TargetFacts,
        history: _History,
        inherent: _Inherent,
        tier: str,
        computed: str,
        assessment: _Assessment,
        factors: list[Factor],
    ) -> Score:
        interval, weight, due_on, overdue, failed, must_visit = self.schedule(
            tier, history.last, bool(history.pending))
        if history.last is None:
            factors.append(self.compiled.never_inspected)
        if history.pending or failed is not None:
            factors += _must_visit_factors(history, self.policy, failed)
        last = history.last
        # Positional, in field order: a hundred thousand keyword calls cost measurably more.
        return Score(
            facts.target_id,
            tier,
            interval,
            assessment.points,
            tuple(factors),
            None if last is None else last.inspected_on,
            due_on,
            overdue,
            must_visit,
            () if failed is None else tuple(sorted(set(failed.inspectors))),
            weight,
            self.policy.version,
            self.hint(history, inherent, tier, assessment),
            computed,
            self.as_of,
        )

    def schedule(
        self, tier: str, last: InspectionRecord | None, pending: bool
    ) -> tuple[int, float, date, bool, InspectionRecord | None, str | None]:
        """Interval, weight, due date, overdue, the failed last visit and the must-visit reason.

        Steps 7 and 8 of the module doc, shared by `finish` and `triage`.
        """
        policy, as_of = self.policy, self.as_of
        interval, weight, step = self.tier_terms[tier]
        if last is None:
            due_on = as_of
            weight *= policy.roster.never_inspected_weight_factor
            overdue = policy.roster.never_inspected_overdue
            failed = None
        else:
            due_on = last.inspected_on + step
            failed = last if last.verdict == "fail" else None
            if failed is not None:
                due_on = min(due_on, failed.inspected_on + self.reinspection_deadline)
            overdue = as_of >= due_on

        if pending:
            must_visit: str | None = "complaint"
        elif failed is not None and (
            (as_of - failed.inspected_on).days >= policy.reinspection.earliest_days
        ):
            must_visit = "reinspection"
        elif overdue:
            must_visit = "watchlist" if tier == "X" else "overdue"
        else:
            must_visit = None
        return interval, weight, due_on, overdue, failed, must_visit

    def triage(
        self, ordered: list[TargetFacts], previous: Mapping[str, tuple[str, ...]]
    ) -> list[Triage]:
        """`score` without the reasons, for targets in id order: what the draw reads.

        One loop over the register, checking each target's codes as its records
        are read (as `_check_codes` would, and with its message).
        """
        as_of, keep = self.as_of, self.policy.reviews_to_move_down - 1
        record_tier, inherent_of, schedule = self.record_tier, self.inherent, self.schedule
        rank, verdicts = _TIER_INDEX, _VERDICT_SET
        held_of = previous.get
        found = []
        for facts in ordered:
            if facts.violations or facts.complaints:
                tier, pending, active = record_tier(facts)
            else:
                tier, pending, active = None, False, facts.whitelisted
            inherent = inherent_of(facts)
            if tier is None:
                # A clean record: only inherent hazard can raise it.
                tier = inherent.floor
            elif rank[inherent.floor] > rank[tier]:
                tier = inherent.floor
            computed = tier = "W" if active else tier
            held = held_of(facts.target_id)
            if held and not active:
                tier = _with_hysteresis(computed, held, keep)

            last = None
            for i in facts.inspections:
                day, verdict = i.inspected_on, i.verdict
                if verdict not in verdicts:
                    _check_codes(facts)
                if day > as_of or verdict == "void":
                    continue
                # last_visit's choice: (day, id) >= (last day, last id).
                if last is None or day > last.inspected_on or (
                    day == last.inspected_on and i.id >= last.id
                ):
                    last = i
            _, weight, due_on, overdue, failed, must_visit = schedule(tier, last, pending)
            pair = () if last is None else last.inspectors
            if len(pair) != 2 or pair[0] >= pair[1]:
                pair = tuple(sorted(set(pair)))
            found.append(Triage(
                facts.target_id,
                tier,
                computed,
                weight,
                due_on,
                overdue,
                must_visit,
                () if failed is None else tuple(sorted(set(failed.inspectors))),
                pair if len(pair) == 2 else (),
                as_of,
            ))
        return found

    def record_tier(self, facts: TargetFacts) -> tuple[str | None, bool, bool]:
        """What the records alone give, counted rather than listed.

        The tier from points and lifts (None when no violation or substantiated
        complaint is dated on or before as_of, as `score` treats a clean record),
        whether a complaint is pending, and whether a whitelist entry stays active.
        """
        as_of = self.as_of
        counts: dict[str, int] = {}
        seen = False
        cut = self.violation_cut
        for v in facts.violations:
            found_on, severity = v.found_on, v.severity
            if severity not in _SEVERITY_SET:
                _check_codes(facts)
            if found_on <= as_of:
                seen = True
                if found_on > cut:
                    counts[severity] = counts.get(severity, 0) + 1
        substantiated: list[date] = []
        pending = False
        for c in facts.complaints:
            status = c.status
            if status not in _STATUS_SET:
                _check_codes(facts)
            if c.received_on <= as_of:
                if status == "substantiated":
                    substantiated.append(c.received_on)
                elif status == "pending":
                    pending = True
        cut = self.complaint_cut
        complaints = sum(1 for day in substantiated if day > cut) if substantiated else 0

        active = facts.whitelisted and not self.suspends(facts, substantiated)
        if not (seen or substantiated):
            return None, pending, active
        if not self.lifts_in_window:
            return self.counted_tier(counts, complaints, facts, substantiated), pending, active
        # The tier is then a function of the in-window counts alone, and few of those
        # combinations occur across a register.
        key = (complaints, *counts.items())
        tier = self.tiers_of_counts.get(key)
        if tier is None:
            tier = self.counted_tier(counts, complaints, facts, substantiated)
            self.tiers_of_counts[key] = tier
        return tier, pending, active

    def counted_tier(
        self,
        counts: dict[str, int],
        complaints: int,
        facts: TargetFacts,
        substantiated: list[date],
    ) -> str:
        """Steps 1 to 3 from counts: in-window violations by severity and substantiated
        complaints; the records themselves serve lifts with windows of their own."""
        if counts or complaints:
            # The same sums, in the same order, as the factors of `assess`.
            totals = [self.points_of(s, counts[s]) for s in SEVERITY_LABELS if s in counts]
            if complaints:
                totals.append(self.points_of("", complaints))
            tier = self.band(totals[0] if len(totals) == 1 else round(sum(totals), 6))
        else:
            tier = self.zero_band
        as_of = self.as_of
        for lift, cut, in_window in self.lifts:
            if lift.records == "violations":
                if in_window:
                    hits = sum(counts.get(severity, 0) for severity in lift.severities)
                else:
                    hits = sum(1 for v in facts.violations
                               if v.severity in lift.severities and cut < v.found_on <= as_of)
            elif in_window:
                hits = complaints
            else:
                hits = sum(1 for day in substantiated if day > cut)
            if hits >= lift.count:
                tier = _higher(tier, lift.tier)
        return tier

    def suspends(self, facts: TargetFacts, substantiated: list[date]) -> bool:
        """Whether records dated on or before as_of suspend the target's whitelist entry."""
        if not facts.whitelisted:
            return False
        start = facts.whitelisted_since or date.min
        rules = self.policy.whitelist
        as_of = self.as_of
        if any(start <= v.found_on <= as_of and v.severity in rules.suspend_severities
               for v in facts.violations):
            return True
        return rules.suspend_on_complaint and any(day >= start for day in substantiated)

    def hint(
        self, history: _History, inherent: _Inherent, tier: str, assessment: _Assessment
    ) -> str:
        """The lower-tier hint, kept per tier for clean records whose hint is the same."""
        if assessment is not inherent.clean:
            return self.lower_tier_hint(history, inherent, tier, assessment)
        found = inherent.hints.get(tier)
        if found is None:
            found = self.lower_tier_hint(history, inherent, tier, assessment)
            inherent.hints[tier] = found
        return found

    def lower_tier_hint(
        self, history: _History, inherent: _Inherent, tier: str, assessment: _Assessment
    ) -> str:
        """What would move the target down a tier; never a date of the next visit."""
        rank = _TIER_INDEX
        if tier == "W":
            return "已列入标杆企业名单，为最低监管等级"
        if rank[assessment.tier] < rank[tier]:
            return f"本次评定为 {assessment.tier} 级；下次评定仍低于 {tier} 级即可降级"

        floor = [r for r in assessment.inherent if r.tier == tier]
        if floor:
            labels = "、".join(r.label for r in floor)
            return f"固有风险（{labels}）使等级不低于 {tier} 级"
        if tier == "L":
            if not (history.violations or history.substantiated):
                return self.clean_whitelist_hint
            return self.whitelist_hint(history)

        # The tier only falls as records leave their windows, so the first day it does is
        # the first expiry day at which it is lower.
        for day in _expiry_days(history, self.policy, self.as_of):
            later = self.tier_at(history, inherent, day)
            if rank[later] < rank[tier]:
                steps = self.policy.reviews_to_move_down
                suffix = f"（需连续 {steps} 次评定）" if steps > 1 else ""
                return (f"若 {day.isoformat()} 前无新的违法行为和属实投诉，"
                        f"自该日起可降至 {later} 级{suffix}")
        return ""


    def whitelist_hint(self, history: _History) -> str:
        """`_whitelist_hint`, kept per pair of latest record dates, the only inputs it reads."""
        violations, substantiated = history.violations, history.substantiated
        key = (violations[-1].found_on if violations else None,
               substantiated[-1].received_on if substantiated else None)
        found = self.whitelist_hints.get(key)
        if found is None:
            found = _whitelist_hint(violations, substantiated, self.policy, self.as_of)
            self.whitelist_hints[key] = found
        return found


def score_target(
    facts: TargetFacts,
    policy: Policy,
    as_of: date,
    *,
    previous_tiers: tuple[str, ...] = (),
) -> Score:
    """Score one target as of a day; previous_tiers are earlier computed tiers, newest first."""
    _check_codes(facts)
    return _Day(policy, as_of).score(facts, previous_tiers)


def score_all(
    facts: Iterable[TargetFacts],
    policy: Policy,
    as_of: date,
    *,
    previous_tiers: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Score]:
    """Score every target, ordered by target id; ids must be unique."""
    ordered = _checked_in_order(facts)
    day = _Day(policy, as_of)
    if not previous_tiers:
        return [day.score(f, ()) for f in ordered]
    return [day.score(f, previous_tiers.get(f.target_id, ())) for f in ordered]


def triage_all(
    facts: Iterable[TargetFacts],
    policy: Policy,
    as_of: date,
    *,
    previous_tiers: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Triage]:
    """`score_all` without factors and hints, for the draw; same order and checks."""
    return _Day(policy, as_of).triage(_in_order(facts), previous_tiers or {})


def _checked_in_order(facts: Iterable[TargetFacts]) -> list[TargetFacts]:
    """The facts sorted by target id, refusing a repeated id or an unknown code."""
    ordered = _in_order(facts)
    _check_all_codes(ordered)
    return ordered


def _in_order(facts: Iterable[TargetFacts]) -> list[TargetFacts]:
    """The facts sorted by target id, refusing a repeated id."""
    ordered = list(facts)
    ids = [f.target_id for f in ordered]
    if any(map(ge, ids, ids[1:])):
        ordered.sort(key=_target_key)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.target_id == after.target_id:
                raise ValueError(f"检查对象编号重复：{after.target_id}")
    return ordered


# Sort keys read in C: (date, id) for records, the id for targets.
_target_key = attrgetter("target_id")
_violation_key = attrgetter("found_on", "id")
_complaint_key = attrgetter("received_on", "id")


def last_visit(
    inspections: Iterable[InspectionRecord], as_of: date
) -> InspectionRecord | None:
    """The latest pass or fail visit by (day, id); among equal keys the last given."""
    last = None
    for i in inspections:
        day = i.inspected_on
        if day > as_of or i.verdict == "void":
            continue
        # (day, id) >= (last day, last id), without building two tuples per record.
        if last is None or day > last.inspected_on or (
            day == last.inspected_on and i.id >= last.id
        ):
            last = i
    return last


def _hashable(value: Any) -> Any:
    # True == 1 for a dict key, but a rule compares a bool differently from a number.
    return ("bool", value) if isinstance(value, bool) else value


def _inherent_of(rules: tuple[_Rule, ...]) -> _Inherent:
    floor = "L"
    for rule in rules:
        floor = _higher(floor, rule.rule.tier)
    clean = _Assessment(floor, 0.0, tuple(r.factor for r in rules), [r.rule for r in rules])
    return _Inherent(rules, floor, clean, {})


def _check_all_codes(facts: list[TargetFacts]) -> None:
    """`_check_codes` for every target: one pass over all codes, per target only on failure."""
    severities = {v.severity for f in facts for v in f.violations}
    statuses = {c.status for f in facts for c in f.complaints}
    verdicts = {i.verdict for f in facts for i in f.inspections}
    if not (_SEVERITY_SET.issuperset(severities) and _STATUS_SET.issuperset(statuses)
            and _VERDICT_SET.issuperset(verdicts)):
        for f in facts:
            _check_codes(f)


def _check_codes(facts: TargetFacts) -> None:
    if facts.violations and not _SEVERITY_SET.issuperset(map(_severity, facts.violations)):
        v = next(v for v in facts.violations if v.severity not in _SEVERITY_SET)
        raise ValueError(f"检查对象 {facts.target_id} 的违法记录 {v.id} 等级应为 "
                         f"{'/'.join(SEVERITY_LABELS)} 之一，实际为 {v.severity!r}")
    if facts.complaints and not _STATUS_SET.issuperset(map(_status, facts.complaints)):
        c = next(c for c in facts.complaints if c.status not in _STATUS_SET)
        raise ValueError(f"检查对象 {facts.target_id} 的投诉 {c.id} 状态应为 "
                         f"{'/'.join(COMPLAINT_STATUSES)} 之一，实际为 {c.status!r}")
    if facts.inspections and not _VERDICT_SET.issuperset(map(_verdict, facts.inspections)):
        i = next(i for i in facts.inspections if i.verdict not in _VERDICT_SET)
        raise ValueError(f"检查对象 {facts.target_id} 的检查记录 {i.id} 结论应为 "
                         f"{'/'.join(VERDICTS)} 之一，实际为 {i.verdict!r}")


def _points_texts(policy: Policy, severity: str, count: int) -> tuple[str, str, float, str]:
    """Code, label, points and detail of a points factor over `count` records."""
    if not severity:
        each, window = policy.complaint_points, policy.complaint_window_days
        return ("complaints_substantiated", "属实投诉", round(each * count, 6),
                f"{count} 件 × {each:g} 分（{window} 天内）")
    each, window = policy.severity_points[severity], policy.violation_window_days
    return (f"violations_{severity}", f"{SEVERITY_LABELS[severity]}违法行为",
            round(each * count, 6), f"{count} 起 × {each:g} 分（{window} 天内）")


def _band(points: float, policy: Policy) -> str:
    for tier in reversed(policy.tiers[1:]):
        if tier.min_points is not None and points >= tier.min_points:
            return tier.code
    return "L"


def _lift_records(
    lift: Lift, cut: date, violations: list[ViolationRecord], complaints: list[ComplaintRecord]
) -> tuple[str, ...]:
    if lift.records == "violations":
        return tuple(v.id for v in violations
                     if v.severity in lift.severities and v.found_on > cut)
    if len(complaints) < lift.count:
        # Too few to lift whatever the window: callers only act on `count` or more.
        return ()
    return tuple(c.id for c in complaints if c.received_on > cut)


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
        return bool(value == rule.value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value > rule.value if rule.op == "gt" else value >= rule.value  # type: ignore[operator]


def _higher(a: str, b: str) -> str:
    return a if _TIER_INDEX[a] >= _TIER_INDEX[b] else b


def _suspension(facts: TargetFacts, history: _History, policy: Policy) -> tuple[str, ...]:
    """Records dated on or after the whitelist start that suspend the entry."""
    if not facts.whitelisted:
        return ()
    return suspending_records(history.violations, history.substantiated,
                              facts.whitelisted_since, policy)


def suspending_records(
    violations: Iterable[ViolationRecord],
    substantiated: Iterable[ComplaintRecord],
    since: date | None,
    policy: Policy,
) -> tuple[str, ...]:
    """Ids of violations of a suspending severity and substantiated complaints from `since` on.

    Without a start date every record suspends, which errs on the side of inspection.
    """
    start = since or date.min
    rules = policy.whitelist
    found = [v.id for v in violations
             if v.found_on >= start and v.severity in rules.suspend_severities]
    if rules.suspend_on_complaint:
        found += [c.id for c in substantiated
                  if c.received_on >= start and c.status == "substantiated"]
    return tuple(found)


def _whitelist_factor(facts: TargetFacts, suspension: tuple[str, ...]) -> Factor:
    since = facts.whitelisted_since.isoformat() if facts.whitelisted_since else "未记录"
    if suspension:
        return Factor("whitelist_suspended", "标杆企业资格暂停", 0.0, suspension,
                      f"列入名单（{since}）后出现较重以上违法行为或属实投诉，按风险评级")
    return Factor("whitelist", "标杆企业", 0.0, (), f"自 {since} 列入标杆企业名单，W 级")


def _with_hysteresis(computed: str, previous: tuple[str, ...], keep: int) -> str:
    """The highest of this review's tier and the `keep` latest earlier ones."""
    held = (computed, *previous[:keep])
    try:
        return max(held, key=_TIER_INDEX.__getitem__)
    except KeyError:
        return max(held, key=tier_rank)  # names the unknown tier


def _hysteresis_factor(computed: str, tier: str, policy: Policy) -> Factor:
    n = policy.reviews_to_move_down
    return Factor("hysteresis", "降级需连续评定", 0.0, (),
                  f"本次评定为 {computed} 级；需连续 {n} 次评定低于 {tier} 级才降级")


def _must_visit_factors(
    history: _History, policy: Policy, failed: InspectionRecord | None
) -> list[Factor]:
    """The factors behind a complaint or re-inspection visit (the reason is `schedule`'s)."""
    factors = []
    if history.pending:
        ids = tuple(c.id for c in history.pending)
        detail = f"{len(ids)} 件待现场核查"
        factors.append(Factor("complaint_pending", "投诉待核查", 0.0, ids, detail))
    if failed is not None:
        deadline = failed.inspected_on + timedelta(days=policy.reinspection.deadline_days)
        factors.append(Factor("reinspection_due", "不合格后复查", 0.0, (failed.id,),
                              f"{deadline.isoformat()} 前由其他检查人员复查"))
    return factors


def _expiry_days(history: _History, policy: Policy, as_of: date) -> list[date]:
    """Days after as_of on which a record leaves one of its windows."""
    lifts = [timedelta(days=lift.window_days) for lift in policy.lifts]
    windows = set(lifts) | {timedelta(days=policy.violation_window_days)}
    days = {v.found_on + w for v in history.violations for w in windows}

    windows = set(lifts) | {timedelta(days=policy.complaint_window_days)}
    days |= {c.received_on + w for c in history.substantiated for w in windows}
    return sorted(d for d in days if d > as_of)


def _whitelist_hint(
    violations: list[ViolationRecord],
    substantiated: list[ComplaintRecord],
    policy: Policy,
    as_of: date,
) -> str:
    rules = policy.whitelist
    # Both lists are oldest first, so their last records are the latest.
    clean_from = []
    if violations:
        clean_from.append(violations[-1].found_on + timedelta(days=rules.no_violation_days))
    if substantiated:
        clean_from.append(substantiated[-1].received_on + timedelta(days=rules.no_complaint_days))
    visits = f"且最近连续 {rules.clean_inspections} 次检查合格的" if rules.clean_inspections else ""
    day = max(clean_from, default=as_of)
    if day <= as_of:
        return f"无违法行为和属实投诉{visits}，可申请纳入标杆企业名单（W 级）"
    return (f"若 {day.isoformat()} 前无新的违法行为和属实投诉{visits}，"
            "自该日起可申请纳入标杆企业名单（W 级）")
