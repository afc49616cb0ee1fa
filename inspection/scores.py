"""Reads the registers as they stood on a day and hands them to scoring/.

Only what was known by the end of ``as_of`` counts: records dated later, and
complaint outcomes decided later, are left out, so a score or a roster can be
recomputed later and come out the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from sys import intern
from typing import TypeVar

from inspection import audit
from inspection.clock import day_end_utc, local_date
from inspection.db import Database
from scoring.policy import Policy
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

_R = TypeVar("_R", ViolationRecord, ComplaintRecord, InspectionRecord)

# Enough past reviews for any hysteresis the policy may ask for.
REVIEWS_KEPT = 6

TARGETS_SQL = """
SELECT id, kind, enterprise_uscc, district, hazard, attributes
FROM targets WHERE active = 1
ORDER BY id
"""

WHITELIST_SQL = """
SELECT enterprise_uscc, MIN(valid_from) AS since FROM whitelist
WHERE valid_from <= :day AND valid_to >= :day
  AND (revoked_on IS NULL OR revoked_on > :day)
GROUP BY enterprise_uscc
"""


async def load_facts(
    db: Database, as_of: date, *, target_id: str | None = None
) -> list[TargetFacts]:
    """Every active target's facts as known at the end of ``as_of`` (local day).

    Codes, names and dates repeat across hundreds of thousands of records, so
    each distinct value is kept once (``intern`` and a cached ``fromisoformat``):
    a city's register then takes a fraction of the memory.
    """
    params = {"day": as_of.isoformat(), "end": day_end_utc(as_of)}
    day_of = _LocalDays()
    iso_day = lru_cache(maxsize=None)(date.fromisoformat)
    # Targets with the same attributes share one dict, read-only like the facts; scoring
    # matches inherent-hazard rules once per dict.
    shared_attributes = lru_cache(maxsize=None)(json.loads)
    only = " AND target_id = :target" if target_id else ""
    if target_id:
        params["target"] = target_id

    violations: dict[str, list[ViolationRecord]] = defaultdict(list)
    async for rows in db.batches(
        "SELECT id, target_id, found_on, severity FROM violations WHERE found_on <= :day" + only,
        params,
    ):
        for record, target, found_on, severity in rows:
            violations[target].append(ViolationRecord(record, iso_day(found_on), intern(severity)))

    complaints: dict[str, list[ComplaintRecord]] = defaultdict(list)
    async for rows in db.batches(
        "SELECT id, target_id, received_at, status, checked_on FROM complaints"
        " WHERE received_at < :end" + only,
        params,
    ):
        for record, target, received_at, status, checked_on in rows:
            decided = checked_on is not None and checked_on <= params["day"]
            complaints[target].append(
                ComplaintRecord(record, day_of(received_at),
                                intern(status) if decided else "pending")
            )

    inspections: dict[str, list[InspectionRecord]] = defaultdict(list)
    async for rows in db.batches(
        "SELECT id, target_id, inspected_at, verdict, inspector_a, inspector_b"
        " FROM inspections WHERE inspected_at < :end" + only,
        params,
    ):
        for record, target, inspected_at, verdict, a, b in rows:
            inspections[target].append(
                InspectionRecord(record, day_of(inspected_at), intern(verdict),
                                 _pair(a and intern(a), b and intern(b)))
            )

    whitelisted = {
        row["enterprise_uscc"]: iso_day(row["since"])
        for row in await db.fetchall(WHITELIST_SQL, params)
    }

    sql = (
        TARGETS_SQL
        if not target_id
        else TARGETS_SQL.replace("ORDER BY", "AND id = :target ORDER BY")
    )
    facts = []
    async for rows in db.batches(sql, params):
        for target, kind, uscc, district, hazard, attributes in rows:
            since = whitelisted.get(uscc)
            facts.append(
                TargetFacts(
                    target_id=target,
                    kind=intern(kind),
                    enterprise_uscc=uscc,
                    district=intern(district),
                    hazard=intern(hazard),
                    attributes=shared_attributes(attributes),
                    whitelisted=since is not None,
                    whitelisted_since=since,
                    violations=_oldest_first(violations.get(target), _violation_key),
                    complaints=_oldest_first(complaints.get(target), _complaint_key),
                    inspections=_oldest_first(inspections.get(target), _inspection_key),
                )
            )
    return facts


class _LocalDays:
    """`local_date` of stored UTC timestamps, remembered per UTC hour.

    Loading a register converts hundreds of thousands of timestamps; the local
    day depends only on the UTC day and hour wherever the zone's offset is whole
    hours, which is checked for each hour before it is remembered.
    """

    def __init__(self) -> None:
        self.hours: dict[str, date | None] = {}

    def __call__(self, text: str) -> date:
        if not (text.endswith("Z") and text[13:14] == ":"):
            return local_date(text)
        hour = text[:13]
        if hour not in self.hours:
            first, last = local_date(hour + ":00:00Z"), local_date(hour + ":59:59.999999Z")
            self.hours[hour] = first if first == last else None
        return self.hours[hour] or local_date(text)


def _pair(a: str | None, b: str | None) -> tuple[str, ...]:
    if a and b:
        return (a, b) if a <= b else (b, a)
    return (a,) if a else (b,) if b else ()


def _violation_key(v: ViolationRecord) -> tuple[date, str]:
    return v.found_on, v.id


def _complaint_key(c: ComplaintRecord) -> tuple[date, str]:
    return c.received_on, c.id


def _inspection_key(i: InspectionRecord) -> tuple[date, str]:
    return i.inspected_on, i.id


def _oldest_first(
    records: list[_R] | None, key: Callable[[_R], tuple[date, str]]
) -> tuple[_R, ...]:
    if not records:
        return ()
    if len(records) > 1:
        records.sort(key=key)
    return tuple(records)


async def previous_tiers(
    db: Database, as_of: date, *, target_id: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Tiers computed at the periodic reviews before ``as_of``, newest first, per target.

    The hysteresis rule reads them: a target moves down only after enough
    consecutive reviews qualify.
    """
    only = " AND target_id = :target" if target_id else ""
    # Reviews accumulate every month; only the latest few per target are ever read.
    rows = await db.fetchall(
        "SELECT target_id, computed_tier FROM ("
        " SELECT target_id, computed_tier, as_of, ROW_NUMBER() OVER"
        " (PARTITION BY target_id ORDER BY as_of DESC) AS newest"
        " FROM tier_reviews WHERE as_of < :day" + only + ")"
        " WHERE newest <= :kept ORDER BY target_id, as_of DESC",
        {"day": as_of.isoformat(), "target": target_id, "kept": REVIEWS_KEPT},
    )
    found: dict[str, list[str]] = defaultdict(list)
    for target, tier in rows:
        found[target].append(tier)
    return {target: tuple(tiers) for target, tiers in found.items()}


async def score_facts(
    db: Database, policy: Policy, as_of: date, facts: list[TargetFacts]
) -> list[Score]:
    """Scores of the given facts, with the review history the hysteresis rule needs."""
    one = facts[0].target_id if len(facts) == 1 else None
    history = await previous_tiers(db, as_of, target_id=one)
    return score_all(facts, policy, as_of, previous_tiers=history)


async def triage_facts(
    db: Database, policy: Policy, as_of: date, facts: list[TargetFacts]
) -> list[Triage]:
    """`score_facts` without factors and hints: what the roster draw reads."""
    history = await previous_tiers(db, as_of)
    return triage_all(facts, policy, as_of, previous_tiers=history)


async def score_targets(db: Database, policy: Policy, as_of: date) -> list[Score]:
    """Every active target's tier, interval and factors as of the end of a local day."""
    return await score_facts(db, policy, as_of, await load_facts(db, as_of))


async def score_target(db: Database, policy: Policy, as_of: date, target_id: str) -> Score | None:
    """One target's score, or None when it is unknown or inactive."""
    facts = await load_facts(db, as_of, target_id=target_id)
    return (await score_facts(db, policy, as_of, facts))[0] if facts else None


async def record_review(db: Database, policy: Policy, as_of: date, *, actor: str) -> int:
    """Store every target's computed tier as of a day: one periodic review."""
    scores = await score_targets(db, policy, as_of)
    async with db.transaction() as tx:
        cursor = await tx.fetchall(
            "SELECT COUNT(*) FROM tier_reviews WHERE as_of = ?", (as_of.isoformat(),)
        )
        if cursor[0][0]:
            return 0
        await tx.executemany(
            "INSERT INTO tier_reviews (target_id, as_of, computed_tier, tier, points,"
            " policy_version) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    s.target_id,
                    as_of.isoformat(),
                    s.computed_tier,
                    s.tier,
                    s.points,
                    s.policy_version,
                )
                for s in scores
            ],
        )
        await audit.record(
            tx,
            actor,
            "tier.review",
            "review",
            as_of.isoformat(),
            {"targets": len(scores), "policy": policy.version},
        )
    return len(scores)
