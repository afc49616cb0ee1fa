"""The whitelist (标杆企业名单) lifecycle: eligibility, the periodic review, suspension.

The whitelist is kept per enterprise; the facts are those of all its active
targets as known at the end of `as_of`. An enterprise is eligible when, with
the default policy (`[whitelist]` in the policy file):

1. no violation of any severity (a penalty is always attached to a violation)
   was found in the last `no_violation_days` (730) days: one found on
   `as_of - 729` still blocks, one found on `as_of - 730` no longer does;
2. no substantiated complaint was received in the last `no_complaint_days`
   (730) days, counted the same way;
3. its latest `clean_inspections` (2) visits, pass or fail, over all its
   targets and ordered by (day, id), all passed. Void visits are repeated
   measurements and do not count; fewer visits than that is not eligible.

An enterprise with no active target has nothing to inspect and is not eligible.

`review_whitelist` is the periodic review. It proposes, for a leader to
approve, in this order:

- 'remove' for a current entry suspended by a record dated on or after its
  first day (`suspension_reason`): a violation of a suspending severity or a
  substantiated complaint;
- 'remove' for a current entry whose enterprise is no longer eligible;
- 'add' (a renewal) for an eligible entry ending within `review_notice_days`
  days: the new entry starts the day after the current one ends;
- 'add' for an eligible enterprise without a current entry, valid from the day
  after `as_of` for `validity_days` days.

Proposals are sorted by action ('remove' first) and then USCC, so a review of
the same facts always proposes the same list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import msgspec

from scoring.policy import Policy
from scoring.risk import (
    ComplaintRecord,
    InspectionRecord,
    TargetFacts,
    ViolationRecord,
    suspending_records,
)

ACTIONS = ("remove", "add")


class WhitelistEntry(msgspec.Struct, frozen=True):
    """A current (approved, not revoked) whitelist entry, valid on both end days."""

    enterprise_uscc: str
    valid_from: date
    valid_to: date


class Eligibility(msgspec.Struct, frozen=True):
    """Whether an enterprise may be whitelisted, and the records that stand in the way."""

    eligible: bool
    # Chinese, one clause per unmet condition; the conditions met when eligible.
    reason: str
    records: tuple[str, ...]


class WhitelistProposal(msgspec.Struct, frozen=True):
    """One change for a leader to approve, with its reason and the records behind it."""

    enterprise_uscc: str
    action: str
    reason: str
    records: tuple[str, ...] = ()
    # The proposed validity of an 'add'; None for a 'remove'.
    valid_from: date | None = None
    valid_to: date | None = None


def eligibility(facts: Sequence[TargetFacts], policy: Policy, as_of: date) -> Eligibility:
    """Whether an enterprise with these targets' facts meets the whitelist conditions."""
    rules = policy.whitelist
    if not facts:
        return Eligibility(False, "无在管检查对象", ())

    problems, records = [], []
    violations = _recent(_violations(facts, as_of), as_of, rules.no_violation_days)
    if violations:
        problems.append(f"{rules.no_violation_days} 天内有 {len(violations)} 起违法行为")
        records += [v.id for v in violations]
    complaints = _recent(_substantiated(facts, as_of), as_of, rules.no_complaint_days)
    if complaints:
        problems.append(f"{rules.no_complaint_days} 天内有 {len(complaints)} 件属实投诉")
        records += [c.id for c in complaints]
    visits = latest_visits(facts, as_of, rules.clean_inspections)
    failed = [v.id for v in visits if v.verdict != "pass"]
    if len(visits) < rules.clean_inspections:
        problems.append(f"检查不足 {rules.clean_inspections} 次（{len(visits)} 次）")
    elif failed:
        problems.append(f"最近 {rules.clean_inspections} 次检查中有 {len(failed)} 次不合格")
        records += failed

    if problems:
        return Eligibility(False, "；".join(problems), tuple(records))
    met = (f"{rules.no_violation_days} 天内无违法行为，{rules.no_complaint_days} 天内无属实投诉，"
           f"最近连续 {rules.clean_inspections} 次检查合格")
    return Eligibility(True, met, tuple(v.id for v in visits))


def suspension_reason(
    facts: TargetFacts | Sequence[TargetFacts], entry: WhitelistEntry, policy: Policy
) -> str | None:
    """Why an entry is suspended at once, or None: a suspending record from its first day on."""
    targets = [facts] if isinstance(facts, TargetFacts) else list(facts)
    violations = [v for f in targets for v in f.violations]
    complaints = [c for f in targets for c in f.complaints if c.status == "substantiated"]
    found = suspending_records(violations, complaints, entry.valid_from, policy)
    if not found:
        return None
    return (f"列入名单（{entry.valid_from.isoformat()}）后出现较重以上违法行为或属实投诉："
            f"{'、'.join(found)}")


def review_whitelist(
    facts_by_enterprise: Mapping[str, Sequence[TargetFacts]],
    current_entries: Iterable[WhitelistEntry],
    policy: Policy,
    as_of: date,
) -> list[WhitelistProposal]:
    """The periodic review: proposed additions, renewals and removals (see module doc)."""
    proposals = []
    current: dict[str, WhitelistEntry] = {}
    for entry in current_entries:
        if entry.valid_from <= as_of <= entry.valid_to:
            # Of overlapping entries the one lasting longest decides renewal.
            kept = current.get(entry.enterprise_uscc)
            if kept is None or entry.valid_to > kept.valid_to:
                current[entry.enterprise_uscc] = entry

    for uscc, entry in current.items():
        facts = facts_by_enterprise.get(uscc, ())
        proposal = _review_entry(uscc, facts, entry, policy, as_of)
        if proposal is not None:
            proposals.append(proposal)
    for uscc, facts in facts_by_enterprise.items():
        if uscc in current:
            continue
        found = eligibility(facts, policy, as_of)
        if found.eligible:
            start = as_of + timedelta(days=1)
            proposals.append(_addition(uscc, f"符合标杆企业条件：{found.reason}", found.records,
                                       start, policy))
    return sorted(proposals, key=lambda p: (ACTIONS.index(p.action), p.enterprise_uscc))


def _review_entry(
    uscc: str, facts: Sequence[TargetFacts], entry: WhitelistEntry, policy: Policy, as_of: date
) -> WhitelistProposal | None:
    suspended = suspension_reason(facts, entry, policy)
    if suspended is not None:
        records = suspending_records(
            [v for f in facts for v in f.violations],
            [c for f in facts for c in f.complaints if c.status == "substantiated"],
            entry.valid_from, policy,
        )
        return WhitelistProposal(uscc, "remove", f"立即暂停：{suspended}", records)

    found = eligibility(facts, policy, as_of)
    if not found.eligible:
        return WhitelistProposal(uscc, "remove", f"不再符合标杆企业条件：{found.reason}",
                                 found.records)
    if (entry.valid_to - as_of).days < policy.whitelist.review_notice_days:
        reason = f"现有名单将于 {entry.valid_to.isoformat()} 到期，仍符合条件：{found.reason}"
        return _addition(uscc, reason, found.records, entry.valid_to + timedelta(days=1), policy)
    return None


def _addition(
    uscc: str, reason: str, records: tuple[str, ...], start: date, policy: Policy
) -> WhitelistProposal:
    end = start + timedelta(days=policy.whitelist.validity_days - 1)
    return WhitelistProposal(uscc, "add", reason, records, start, end)


def latest_visits(
    facts: Sequence[TargetFacts], as_of: date, count: int
) -> list[InspectionRecord]:
    """The enterprise's latest `count` pass or fail visits on or before as_of, newest first."""
    visits = [i for f in facts for i in f.inspections
              if i.verdict != "void" and i.inspected_on <= as_of]
    visits.sort(key=lambda i: (i.inspected_on, i.id), reverse=True)
    return visits[:count]


def _violations(facts: Sequence[TargetFacts], as_of: date) -> list[ViolationRecord]:
    return sorted((v for f in facts for v in f.violations if v.found_on <= as_of),
                  key=lambda v: (v.found_on, v.id))


def _substantiated(facts: Sequence[TargetFacts], as_of: date) -> list[ComplaintRecord]:
    return sorted((c for f in facts for c in f.complaints
                   if c.received_on <= as_of and c.status == "substantiated"),
                  key=lambda c: (c.received_on, c.id))


def _recent(records: list[ViolationRecord] | list[ComplaintRecord], as_of: date,
            days: int) -> list[ViolationRecord] | list[ComplaintRecord]:
    """Records dated within `days` days ending on as_of (as_of - days has left)."""
    return [r for r in records if (as_of - _day(r)).days < days]  # type: ignore[return-value]


def _day(record: ViolationRecord | ComplaintRecord) -> date:
    return record.found_on if isinstance(record, ViolationRecord) else record.received_on
