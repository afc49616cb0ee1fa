"""The whitelist (标杆企业名单) in the service: the review, a leader's decision, suspension.

The rules are pure and live in `scoring.whitelist`; this module reads the
registers for them, stores what they propose, and applies what a leader
decides. Every decision and every revocation is a row that stays: an approved
'add' inserts a whitelist row, a removal or a suspension sets `revoked_on` and
`revoked_reason` on the rows it ends, and each change is audited.

Days are local (Asia/Shanghai). An entry revoked on day D no longer counts on
D itself (see `scores.WHITELIST_SQL`), so a suspension takes effect on the day
of the visit that found the violation.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import msgspec

from inspection import audit
from inspection.clock import local_date, local_text, local_today
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from inspection.labels import SEVERITIES
from inspection.scores import load_facts
from inspection.users import User
from scoring.policy import Policy
from scoring.risk import ComplaintRecord, TargetFacts, ViolationRecord, suspending_records
from scoring.whitelist import WhitelistEntry, WhitelistProposal, review_whitelist

logger = logging.getLogger(__name__)

STATUSES = ("pending", "approved", "rejected")
DECIDERS = ("admin", "leader")
MAX_REASON = 500
# Who settles the pending proposals a suspension makes moot; the audit names the user.
SUSPENSION_ACTOR = "system"


class WhitelistRead(msgspec.Struct, frozen=True):
    """A current whitelist entry with its enterprise's name."""

    id: int
    enterprise_uscc: str
    enterprise_name: str
    valid_from: str
    valid_to: str
    reason: str


class ProposalRead(msgspec.Struct, frozen=True):
    """A proposal of the periodic review and, once decided, the decision."""

    id: int
    enterprise_uscc: str
    enterprise_name: str
    action: str
    reason: str
    records: list[str]
    # The proposed validity of an 'add'; None for a 'remove'.
    valid_from: str | None
    valid_to: str | None
    # The local day whose facts the review read, and the day it ran.
    as_of: str | None
    proposed_on: str
    status: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    # The whitelist row an approved 'add' created.
    whitelist_id: int | None


class Decision(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A leader's decision on a proposal; a rejection needs its reason."""

    approve: bool
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)] = ""


class HistoryEvent(msgspec.Struct, frozen=True):
    """One decision or revocation, for the leader's history."""

    # Local time of a decision ("YYYY-MM-DD HH:MM"), or the day of a revocation.
    at: str
    kind: str
    enterprise_uscc: str
    enterprise_name: str
    # 'add' or 'remove' and 'approved' or 'rejected' for a decision; None for a revocation.
    action: str | None
    status: str | None
    reason: str
    decision_reason: str | None
    actor: str | None


CURRENT_SQL = """
SELECT w.id, w.enterprise_uscc, e.name AS enterprise_name, w.valid_from, w.valid_to, w.reason
FROM whitelist w JOIN enterprises e ON e.uscc = w.enterprise_uscc
WHERE w.valid_from <= :day AND w.valid_to >= :day
  AND (w.revoked_on IS NULL OR w.revoked_on > :day)
ORDER BY w.enterprise_uscc, w.valid_from
"""


async def current_entries(db: Database, day: date) -> list[WhitelistEntry]:
    """Entries in force on a local day: started, not ended and not revoked by then."""
    rows = await db.fetchall(CURRENT_SQL, {"day": day.isoformat()})
    return [
        WhitelistEntry(
            r["enterprise_uscc"],
            date.fromisoformat(r["valid_from"]),
            date.fromisoformat(r["valid_to"]),
        )
        for r in rows
    ]


async def list_current(db: Database, day: date) -> list[WhitelistRead]:
    """The whitelist in force on a local day, with enterprise names, by USCC."""
    rows = await db.fetchall(CURRENT_SQL, {"day": day.isoformat()})
    return [msgspec.convert(dict(r), WhitelistRead) for r in rows]


def by_enterprise(facts: Sequence[TargetFacts]) -> dict[str, list[TargetFacts]]:
    """Target facts grouped by enterprise; targets without a USCC belong to none."""
    grouped: dict[str, list[TargetFacts]] = defaultdict(list)
    for f in facts:
        if f.enterprise_uscc is not None:
            grouped[f.enterprise_uscc].append(f)
    return dict(grouped)


async def review(
    db: Database, policy: Policy, as_of: date, *, actor: str, today: date | None = None
) -> list[int]:
    """Run the periodic review over the facts known at the end of ``as_of`` and store its
    proposals as pending, proposed on ``today`` (local); returns the ids stored.

    A proposal is not stored when the same enterprise already has a pending one of
    the same action, nor an 'add' whose first day an entry in force already covers
    (a renewal approved earlier), nor when a leader rejected the same action for
    the enterprise and nothing has been recorded about its targets since (no
    inspection, violation or complaint entered after the rejection): the review
    would only put the same question to the leader again.
    """
    facts = by_enterprise(await load_facts(db, as_of))
    entries = await current_entries(db, as_of)
    proposals = review_whitelist(facts, entries, policy, as_of)

    async with db.transaction() as tx:
        pending = {
            (r[0], r[1])
            for r in await tx.fetchall(
                "SELECT enterprise_uscc, action FROM whitelist_proposals WHERE status = 'pending'"
            )
        }
        ids, skipped, held = [], 0, 0
        for p in proposals:
            if (p.enterprise_uscc, p.action) in pending or await _already_listed(tx, p):
                skipped += 1
                continue
            if await _rejected_unchanged(tx, p):
                held += 1
                continue
            ids.append(await _store(tx, p, as_of, today or local_today()))
        await audit.record(
            tx,
            actor,
            "whitelist.review",
            "review",
            as_of.isoformat(),
            {
                "policy": policy.version,
                "enterprises": len(facts),
                "entries": len(entries),
                "proposed": len(proposals),
                "stored": len(ids),
                "skipped": skipped,
                "held_after_rejection": held,
                "add": sum(p.action == "add" for p in proposals),
                "remove": sum(p.action == "remove" for p in proposals),
            },
        )
    logger.info(
        "whitelist review as of %s: %d proposed, %d stored", as_of, len(proposals), len(ids)
    )
    return ids


async def _rejected_unchanged(tx: Transaction, p: WhitelistProposal) -> bool:
    """Whether a leader rejected this action for the enterprise with nothing new since."""
    rejected_at = await tx.fetchval(
        "SELECT MAX(decided_at) FROM whitelist_proposals"
        " WHERE enterprise_uscc = ? AND action = ? AND status = 'rejected'",
        (p.enterprise_uscc, p.action),
    )
    if rejected_at is None:
        return False
    # Timestamps are stored in one UTC text form, so text order is time order.
    newer = await tx.fetchval(
        "SELECT 1 FROM targets t WHERE t.enterprise_uscc = :uscc AND ("
        " EXISTS (SELECT 1 FROM inspections i WHERE i.target_id = t.id"
        "         AND i.created_at > :at)"
        " OR EXISTS (SELECT 1 FROM violations v WHERE v.target_id = t.id"
        "            AND v.created_at > :at)"
        " OR EXISTS (SELECT 1 FROM complaints c WHERE c.target_id = t.id"
        "            AND (c.created_at > :at OR c.checked_on > :day))) LIMIT 1",
        # A complaint's outcome carries only its local day: one decided after the
        # rejection's day is new.
        {"uscc": p.enterprise_uscc, "at": rejected_at, "day": local_date(rejected_at).isoformat()},
    )
    return newer is None


async def _already_listed(tx: Transaction, p: WhitelistProposal) -> bool:
    if p.action != "add" or p.valid_from is None:
        return False
    found = await tx.fetchval(
        "SELECT 1 FROM whitelist WHERE enterprise_uscc = :uscc AND valid_from <= :day"
        " AND valid_to >= :day AND (revoked_on IS NULL OR revoked_on > :day)",
        {"uscc": p.enterprise_uscc, "day": p.valid_from.isoformat()},
    )
    return found is not None


async def _store(tx: Transaction, p: WhitelistProposal, as_of: date, today: date) -> int:
    cursor = await tx.execute(
        "INSERT INTO whitelist_proposals (enterprise_uscc, action, reason, proposed_on, records,"
        " valid_from, valid_to, as_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            p.enterprise_uscc,
            p.action,
            p.reason,
            today.isoformat(),
            audit.canonical(list(p.records)),
            p.valid_from.isoformat() if p.valid_from else None,
            p.valid_to.isoformat() if p.valid_to else None,
            as_of.isoformat(),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


PROPOSALS_SQL = """
SELECT p.*, e.name AS enterprise_name
FROM whitelist_proposals p JOIN enterprises e ON e.uscc = p.enterprise_uscc
"""


def _proposal(row: Any) -> ProposalRead:
    fields = {k: v for k, v in dict(row).items() if k in ProposalRead.__struct_fields__}
    fields["records"] = msgspec.json.decode(row["records"])
    return msgspec.convert(fields, ProposalRead)


async def list_proposals(
    db: Database, *, status: str | None = None, limit: int = 200
) -> list[ProposalRead]:
    """Proposals, newest first; only those of one status when given."""
    if status is not None and status not in STATUSES:
        raise ValidationError(
            f"状态应为 pending、approved 或 rejected，收到“{status}”", field="status"
        )
    where = "" if status is None else " WHERE p.status = ?"
    rows = await db.fetchall(
        PROPOSALS_SQL + where + " ORDER BY p.id DESC LIMIT ?",
        (*([status] if status else []), limit),
    )
    return [_proposal(r) for r in rows]


async def read_proposal(db: Database, proposal_id: int) -> ProposalRead:
    """One proposal; 404 when unknown."""
    row = await db.fetchone(PROPOSALS_SQL + " WHERE p.id = ?", (proposal_id,))
    if row is None:
        raise NotFoundError(f"标杆名单提议 {proposal_id} 不存在")
    return _proposal(row)


async def decide(
    db: Database,
    proposal_id: int,
    *,
    approve: bool,
    reason: str,
    actor: User,
    today: date | None = None,
) -> ProposalRead:
    """A leader approves or rejects a pending proposal, in one audited transaction.

    Approving an 'add' inserts a whitelist row with the proposed validity (started
    no earlier than ``today``, so an entry never reaches back before its approval);
    approving a 'remove' revokes, as of ``today``, every entry of the enterprise that
    has not ended. Raises ForbiddenError for other roles, ValidationError for a
    rejection without a reason, NotFoundError, and ConflictError when the proposal
    is no longer pending or its entry would clash with one already listed.
    """
    if actor.role not in DECIDERS:
        raise ForbiddenError("只有执法队长或管理员可以审批标杆企业名单")
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError("驳回须填写理由，收到空白", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"理由最多 {MAX_REASON} 个字，收到 {len(reason)} 个", field="reason")
    today = today or local_today()

    async with db.transaction() as tx:
        row = await _pending(tx, proposal_id)
        effect: dict[str, Any] = {}
        if approve and row["action"] == "add":
            effect = {"whitelist_id": await _add_entry(tx, row, today)}
        elif approve:
            effect = {"revoked": await _remove_entries(tx, row, reason, actor.username, today)}
        await tx.execute(
            "UPDATE whitelist_proposals SET status = ?, decided_by = ?, decided_at = ?,"
            " decision_reason = ?, whitelist_id = ? WHERE id = ?",
            (
                "approved" if approve else "rejected",
                actor.username,
                utcnow(),
                reason or None,
                effect.get("whitelist_id"),
                proposal_id,
            ),
        )
        await audit.record(
            tx,
            actor.username,
            "whitelist.decide",
            "whitelist_proposal",
            str(proposal_id),
            {
                "enterprise": row["enterprise_uscc"],
                "action": row["action"],
                "approve": approve,
                "reason": reason,
                **effect,
            },
        )
    logger.info(
        "whitelist proposal %s %s by %s",
        proposal_id,
        "approved" if approve else "rejected",
        actor.username,
    )
    return await read_proposal(db, proposal_id)


OUTCOMES = {"approved": "批准", "rejected": "驳回"}


async def _pending(tx: Transaction, proposal_id: int) -> Any:
    """The proposal's row, read inside the write transaction so two leaders cannot both
    decide it; 404 when unknown, 409 when already decided."""
    row = await tx.fetchone("SELECT * FROM whitelist_proposals WHERE id = ?", (proposal_id,))
    if row is None:
        raise NotFoundError(f"标杆名单提议 {proposal_id} 不存在")
    if row["status"] != "pending":
        raise ConflictError(
            f"标杆名单提议 {proposal_id} 已于 {local_text(row['decided_at'])} "
            f"由 {row['decided_by']} {OUTCOMES[row['status']]}，不能再次审批"
        )
    return row


async def _add_entry(tx: Transaction, proposal: Any, today: date) -> int:
    start = max(date.fromisoformat(proposal["valid_from"]), today).isoformat()
    end = proposal["valid_to"]
    if start > end:
        raise ConflictError(
            f"提议的有效期 {proposal['valid_from']} 至 {end} 已过，请驳回，等待下次审查"
        )
    clash = await tx.fetchone(
        "SELECT valid_from, valid_to FROM whitelist WHERE enterprise_uscc = ?"
        " AND valid_from <= ? AND valid_to >= ? AND (revoked_on IS NULL OR revoked_on > ?)",
        (proposal["enterprise_uscc"], end, start, start),
    )
    if clash is not None:
        raise ConflictError(
            f"该企业已在名单中（{clash['valid_from']} 至 {clash['valid_to']}），"
            f"与提议的有效期 {start} 至 {end} 重叠"
        )
    if await tx.fetchval(
        "SELECT 1 FROM whitelist WHERE enterprise_uscc = ? AND valid_from = ?",
        (proposal["enterprise_uscc"], start),
    ):
        raise ConflictError(f"该企业已有一条自 {start} 起的名单记录，请驳回，等待下次审查")
    cursor = await tx.execute(
        "INSERT INTO whitelist (enterprise_uscc, valid_from, valid_to, reason, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (proposal["enterprise_uscc"], start, end, proposal["reason"], utcnow()),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def _remove_entries(
    tx: Transaction, proposal: Any, reason: str, username: str, today: date
) -> list[int]:
    note = f"（{username} 于 {today} 批准移出{'：' + reason if reason else ''}）"
    return await _revoke(tx, proposal["enterprise_uscc"], today, proposal["reason"] + note)


async def _revoke(tx: Transaction, uscc: str, day: date, reason: str) -> list[int]:
    """Revoke, as of ``day``, every entry of the enterprise that has not ended by then:
    the one in force and any renewal already approved to follow it."""
    params = (uscc, day.isoformat(), day.isoformat())
    ids = [
        r[0]
        for r in await tx.fetchall(
            "SELECT id FROM whitelist WHERE enterprise_uscc = ? AND valid_to >= ?"
            " AND (revoked_on IS NULL OR revoked_on > ?) ORDER BY id",
            params,
        )
    ]
    await tx.executemany(
        "UPDATE whitelist SET revoked_on = ?, revoked_reason = ? WHERE id = ?",
        [(day.isoformat(), reason, i) for i in ids],
    )
    return ids


async def suspend(
    tx: Transaction,
    policy: Policy,
    *,
    target_id: str,
    day: date,
    inspection_id: str,
    violations: Sequence[ViolationRecord],
    complaints: Sequence[ComplaintRecord],
    actor: str,
) -> list[int]:
    """Immediate suspension inside an inspection's transaction: when the visit found a
    violation of a suspending severity or substantiated a complaint (policy
    ``[whitelist]``), revoke the enterprise's entries as of the visit's day and settle
    its pending proposals. Returns the ids of the entries revoked."""
    # The records are this visit's own, so none is too old to count: no start date.
    records = suspending_records(violations, complaints, None, policy)
    target = await tx.fetchone(
        "SELECT enterprise_uscc, name FROM targets WHERE id = ?", (target_id,)
    )
    if not records or target is None or target["enterprise_uscc"] is None:
        return []
    uscc = target["enterprise_uscc"]
    reason = _suspension_reason(day, inspection_id, target["name"], records, violations)

    revoked = await _revoke(tx, uscc, day, reason)
    for entry_id in revoked:
        await audit.record(
            tx,
            actor,
            "whitelist.suspend",
            "whitelist",
            str(entry_id),
            {
                "enterprise": uscc,
                "revoked_on": day.isoformat(),
                "inspection": inspection_id,
                "records": list(records),
            },
        )
    await _settle_pending(tx, uscc, reason, actor)
    if revoked:
        logger.info(
            "whitelist entries %s of %s suspended by inspection %s", revoked, uscc, inspection_id
        )
    return revoked


def _suspension_reason(
    day: date,
    inspection_id: str,
    target_name: str,
    records: Sequence[str],
    violations: Sequence[ViolationRecord],
) -> str:
    severity = {v.id: v.severity for v in violations}
    named = [
        f"{SEVERITIES[severity[r]]}违法行为 {r}" if r in severity else f"属实投诉 {r}"
        for r in records
    ]
    return (
        f"{day} 检查{target_name}（检查记录 {inspection_id}）发现{'、'.join(named)}，"
        f"立即暂停标杆企业资格"
    )


async def _settle_pending(tx: Transaction, uscc: str, reason: str, actor: str) -> None:
    """A pending 'add' is rejected and a pending 'remove' approved: the suspension
    decided both, so no leader can later approve an addition it rules out."""
    rows = await tx.fetchall(
        "SELECT id, action FROM whitelist_proposals WHERE enterprise_uscc = ?"
        " AND status = 'pending' ORDER BY id",
        (uscc,),
    )
    for row in rows:
        outcome = "rejected" if row["action"] == "add" else "approved"
        await tx.execute(
            "UPDATE whitelist_proposals SET status = ?, decided_by = ?, decided_at = ?,"
            " decision_reason = ? WHERE id = ?",
            (outcome, SUSPENSION_ACTOR, utcnow(), reason, row["id"]),
        )
        await audit.record(
            tx,
            actor,
            "whitelist.decide",
            "whitelist_proposal",
            str(row["id"]),
            {
                "enterprise": uscc,
                "action": row["action"],
                "approve": outcome == "approved",
                "reason": reason,
                "by": SUSPENSION_ACTOR,
            },
        )


DECISIONS_SQL = """
SELECT p.decided_at, p.enterprise_uscc, e.name, p.action, p.status, p.reason,
       p.decision_reason, p.decided_by
FROM whitelist_proposals p JOIN enterprises e ON e.uscc = p.enterprise_uscc
WHERE p.status != 'pending' ORDER BY p.decided_at DESC, p.id DESC LIMIT ?
"""

REVOCATIONS_SQL = """
SELECT w.revoked_on, w.enterprise_uscc, e.name, w.revoked_reason
FROM whitelist w JOIN enterprises e ON e.uscc = w.enterprise_uscc
WHERE w.revoked_on IS NOT NULL ORDER BY w.revoked_on DESC, w.id DESC LIMIT ?
"""


async def history(db: Database, *, limit: int = 50) -> list[HistoryEvent]:
    """The latest decisions and revocations with their reasons, newest first."""
    events = [
        HistoryEvent(local_text(r[0]), "decision", r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        for r in await db.fetchall(DECISIONS_SQL, (limit,))
    ]
    events += [
        HistoryEvent(r[0], "revocation", r[1], r[2], None, None, r[3] or "", None, None)
        for r in await db.fetchall(REVOCATIONS_SQL, (limit,))
    ]
    # A day sorts before the times on it, so a day's decisions come before its revocations.
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]
