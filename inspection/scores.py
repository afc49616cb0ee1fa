"""Reads the registers as they stood on a day and hands them to scoring/.

Only what was known by the end of ``as_of`` counts: records dated later, and
complaint outcomes decided later, are left out, so a score or a roster can be
recomputed later and come out the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from inspection.clock import day_end_utc, local_date
from inspection.db import Database
from scoring.policy import Policy
from scoring.risk import (
    ComplaintRecord,
    InspectionRecord,
    Score,
    TargetFacts,
    ViolationRecord,
    score_all,
)

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
    """Every active target's facts as known at the end of ``as_of`` (local day)."""
    params = {"day": as_of.isoformat(), "end": day_end_utc(as_of)}
    only = " AND target_id = :target" if target_id else ""
    if target_id:
        params["target"] = target_id

    violations: dict[str, list[ViolationRecord]] = defaultdict(list)
    for row in await db.fetchall(
        "SELECT id, target_id, found_on, severity FROM violations WHERE found_on <= :day" + only,
        params,
    ):
        violations[row["target_id"]].append(
            ViolationRecord(row["id"], date.fromisoformat(row["found_on"]), row["severity"])
        )

    complaints: dict[str, list[ComplaintRecord]] = defaultdict(list)
    for row in await db.fetchall(
        "SELECT id, target_id, received_at, status, checked_on FROM complaints"
        " WHERE received_at < :end" + only,
        params,
    ):
        decided = row["checked_on"] is not None and row["checked_on"] <= params["day"]
        status = row["status"] if decided else "pending"
        complaints[row["target_id"]].append(
            ComplaintRecord(row["id"], local_date(row["received_at"]), status)
        )

    inspections: dict[str, list[InspectionRecord]] = defaultdict(list)
    for row in await db.fetchall(
        "SELECT id, target_id, inspected_at, verdict, inspector_a, inspector_b"
        " FROM inspections WHERE inspected_at < :end" + only,
        params,
    ):
        pair = tuple(sorted(i for i in (row["inspector_a"], row["inspector_b"]) if i))
        inspections[row["target_id"]].append(
            InspectionRecord(row["id"], local_date(row["inspected_at"]), row["verdict"], pair)
        )

    whitelisted = {
        row["enterprise_uscc"]: date.fromisoformat(row["since"])
        for row in await db.fetchall(WHITELIST_SQL, params)
    }

    sql = (
        TARGETS_SQL
        if not target_id
        else TARGETS_SQL.replace("ORDER BY", "AND id = :target ORDER BY")
    )
    facts = []
    for row in await db.fetchall(sql, params):
        since = whitelisted.get(row["enterprise_uscc"])
        facts.append(
            TargetFacts(
                target_id=row["id"],
                kind=row["kind"],
                enterprise_uscc=row["enterprise_uscc"],
                district=row["district"],
                hazard=row["hazard"],
                attributes=json.loads(row["attributes"]),
                whitelisted=since is not None,
                whitelisted_since=since,
                violations=tuple(sorted(violations[row["id"]], key=lambda v: (v.found_on, v.id))),
                complaints=tuple(
                    sorted(complaints[row["id"]], key=lambda c: (c.received_on, c.id))
                ),
                inspections=tuple(
                    sorted(inspections[row["id"]], key=lambda i: (i.inspected_on, i.id))
                ),
            )
        )
    return facts


async def score_targets(db: Database, policy: Policy, as_of: date) -> list[Score]:
    """Every active target's tier, interval and factors as of the end of a local day."""
    return score_all(await load_facts(db, as_of), policy, as_of)


async def score_target(db: Database, policy: Policy, as_of: date, target_id: str) -> Score | None:
    """One target's score, or None when it is unknown or inactive."""
    facts = await load_facts(db, as_of, target_id=target_id)
    return score_all(facts, policy, as_of)[0] if facts else None
