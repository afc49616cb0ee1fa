"""What an enterprise may see about itself, and what the public may see.

Neither view ever carries the date of a next visit, nor anything from which it
could be read off (due dates, overdue flags, must-visit reasons).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from inspection.clock import local_text
from inspection.db import Database
from inspection.errors import ForbiddenError, NotFoundError
from inspection.scores import load_facts, score_facts
from inspection.users import User
from scoring.policy import Policy
from scoring.risk import Factor


class TargetStatus(msgspec.Struct, frozen=True):
    target_id: str
    name: str
    kind: str
    tier: str
    points: float
    factors: tuple[Factor, ...]
    policy_version: str
    lower_tier_hint: str


class InspectionResult(msgspec.Struct, frozen=True):
    id: str
    target_id: str
    target_name: str
    inspected_at: str
    verdict: str
    findings: list[dict[str, Any]]


class WhitelistStatus(msgspec.Struct, frozen=True):
    listed: bool
    valid_from: str | None = None
    valid_to: str | None = None
    reason: str = ""
    revoked_on: str | None = None
    revoked_reason: str | None = None


class EnterpriseStatus(msgspec.Struct, frozen=True):
    uscc: str
    name: str
    district: str
    whitelist: WhitelistStatus
    targets: list[TargetStatus]
    inspections: list[InspectionResult]


def check_enterprise_access(user: User, uscc: str) -> None:
    """Staff see every enterprise; an enterprise user only its own (403 otherwise)."""
    if user.role in ("admin", "leader"):
        return
    if user.role != "enterprise" or user.enterprise_uscc != uscc:
        raise ForbiddenError("只能查看本企业的信息")


async def _whitelist(db: Database, uscc: str, day: date) -> WhitelistStatus:
    row = await db.fetchone(
        "SELECT valid_from, valid_to, reason, revoked_on, revoked_reason FROM whitelist"
        " WHERE enterprise_uscc = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1",
        (uscc, day.isoformat()),
    )
    if row is None:
        return WhitelistStatus(listed=False)
    revoked = row["revoked_on"] is not None and row["revoked_on"] <= day.isoformat()
    listed = not revoked and row["valid_to"] >= day.isoformat()
    return WhitelistStatus(
        listed,
        row["valid_from"],
        row["valid_to"],
        row["reason"],
        row["revoked_on"],
        row["revoked_reason"],
    )


async def enterprise_status(db: Database, policy: Policy, uscc: str, day: date) -> EnterpriseStatus:
    """Whitelist, each target's tier and why, and inspection results of one enterprise."""
    row = await db.fetchone("SELECT uscc, name, district FROM enterprises WHERE uscc = ?", (uscc,))
    if row is None:
        raise NotFoundError(f"企业“{uscc}”不存在")
    names = {
        r["id"]: r["name"]
        for r in await db.fetchall(
            "SELECT id, name FROM targets WHERE enterprise_uscc = ? ORDER BY id", (uscc,)
        )
    }
    facts = [f for f in await load_facts(db, day) if f.target_id in names]
    targets = [
        TargetStatus(
            s.target_id,
            names[s.target_id],
            f.kind,
            s.tier,
            s.points,
            s.factors,
            s.policy_version,
            s.lower_tier_hint,
        )
        for f, s in zip(facts, await score_facts(db, policy, day, facts), strict=True)
    ]
    return EnterpriseStatus(
        row["uscc"],
        row["name"],
        row["district"],
        await _whitelist(db, uscc, day),
        targets,
        await _results(db, "t.enterprise_uscc = ?", (uscc,), limit=50),
    )


RESULTS_SQL = """
SELECT i.id, i.target_id, t.name AS target_name, i.inspected_at, i.verdict, i.judgement
FROM inspections i JOIN targets t ON t.id = i.target_id
WHERE i.published = 1 AND {where}
ORDER BY i.inspected_at DESC LIMIT ?
"""


async def _results(
    db: Database, where: str, params: tuple[Any, ...], *, limit: int
) -> list[InspectionResult]:
    rows = await db.fetchall(RESULTS_SQL.format(where=where), (*params, limit))
    return [
        InspectionResult(
            r["id"],
            r["target_id"],
            r["target_name"],
            local_text(r["inspected_at"]),
            r["verdict"],
            msgspec.json.decode(r["judgement"]).get("findings", []),
        )
        for r in rows
    ]


class PublicResult(msgspec.Struct, frozen=True):
    """One published inspection result, with no personal details."""

    enterprise: str
    uscc: str
    target: str
    kind: str
    district: str
    inspected_on: str
    verdict: str
    findings: list[str]


PUBLIC_SQL = """
SELECT e.name AS enterprise, e.uscc, t.name AS target, t.kind, t.district,
       i.inspected_at, i.verdict, i.judgement
FROM inspections i JOIN targets t ON t.id = i.target_id
JOIN enterprises e ON e.uscc = t.enterprise_uscc
WHERE i.published = 1 AND (:q = '' OR e.name LIKE :like OR e.uscc = :q OR t.name LIKE :like)
ORDER BY i.inspected_at DESC
LIMIT :limit OFFSET :offset
"""


async def public_results(
    db: Database, q: str = "", *, limit: int = 50, offset: int = 0
) -> list[PublicResult]:
    """Published results (一公开), searchable by enterprise or target name or USCC."""
    q = q.strip()[:100]
    # Whatever a client asks for, a page stays a page.
    limit, offset = min(max(limit, 1), 200), min(max(offset, 0), 1_000_000)
    rows = await db.fetchall(
        PUBLIC_SQL, {"q": q, "like": f"%{q}%", "limit": limit, "offset": offset}
    )
    return [
        PublicResult(
            r["enterprise"],
            r["uscc"],
            r["target"],
            r["kind"],
            r["district"],
            local_text(r["inspected_at"], "%Y-%m-%d"),
            r["verdict"],
            [f["message"] for f in msgspec.json.decode(r["judgement"]).get("findings", [])],
        )
        for r in rows
    ]
