"""Corrective actions (整改): what follows a finding until a later visit verifies it.

Every failed item of a submitted inspection opens an action with a deadline by
severity (``corrective_policy.toml``). The enterprise answers with evidence; a
later inspection of the same target closes the action when the item passes
(or the whole visit passes), and links the new finding when it fails again. A
daily job marks actions overdue and tells the enterprise and the leaders.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import msgspec

from checklists import load_checklist
from inspection import audit
from inspection.clock import day_end_utc, local_date, local_text
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from inspection.labels import SEVERITIES as SEVERITY_LABELS
from inspection.users import User

logger = logging.getLogger(__name__)

SEVERITIES = ("critical", "serious", "minor", "administrative")
STATUSES = ("open", "overdue", "awaiting_reinspection", "closed")
STATUS_LABELS = {
    "open": "待整改",
    "overdue": "逾期未整改",
    "awaiting_reinspection": "已提交整改材料，待复查",
    "closed": "复查通过，已销号",
}
UNCLOSED = ("open", "overdue", "awaiting_reinspection")
POLICY_FILE = "corrective_policy.toml"


# ------------------------------------------------------------------ policy


class CorrectivePolicyError(ValueError):
    """The corrective policy file is missing a key or holds a bad value."""


class CorrectivePolicy(msgspec.Struct, frozen=True):
    """Deadlines by severity, with the source of each number."""

    version: str
    description: str
    deadline_days: dict[str, int]
    sources: dict[str, str]

    def deadline(self, severity: str, opened_on: date) -> date:
        """The last local day to put a finding of this severity right."""
        return opened_on + timedelta(days=self.deadline_days[severity])


def load_corrective_policy(path: str | Path | None = None) -> CorrectivePolicy:
    """Read and check the shipped policy, or a bureau's own file."""
    if path is None:
        text = resources.files("inspection").joinpath(POLICY_FILE).read_text("utf-8")
        name = f"inspection/{POLICY_FILE}"
    else:
        text, name = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        root = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CorrectivePolicyError(f"{name}: TOML 格式错误：{exc}") from None
    return _build(root, name)


def _build(root: dict[str, Any], name: str) -> CorrectivePolicy:
    for key in ("version", "description"):
        if not isinstance(root.get(key), str) or not root[key].strip():
            raise CorrectivePolicyError(f"{name}: 缺少文字项 {key}")
    table = root.get("deadline_days")
    if not isinstance(table, dict):
        raise CorrectivePolicyError(f"{name}: 缺少 [deadline_days] 表")
    unknown = sorted(set(table) - set(SEVERITIES))
    if unknown:
        raise CorrectivePolicyError(
            f"{name}: deadline_days 只能有 {'、'.join(SEVERITIES)}，收到 {'、'.join(unknown)}"
        )
    days, sources = {}, {}
    for severity in SEVERITIES:
        days[severity], sources[f"deadline_days.{severity}"] = _days(table, severity, name)
    return CorrectivePolicy(root["version"], root["description"], days, sources)


def _days(table: dict[str, Any], severity: str, name: str) -> tuple[int, str]:
    key = f"deadline_days.{severity}"
    entry = table.get(severity)
    if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
        raise CorrectivePolicyError(f'{name}: {key} 应写作 {{ value = 天数, source = "依据" }}')
    value, source = entry["value"], entry["source"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CorrectivePolicyError(f"{name}: {key} 应为不小于 1 的整数天数，收到 {value!r}")
    if not isinstance(source, str) or not source.strip():
        raise CorrectivePolicyError(f"{name}: {key} 的 source 不能为空")
    return value, source


# Read at import, so a broken shipped file stops the service at start-up.
DEFAULT_POLICY = load_corrective_policy()


# ------------------------------------------------------------------ shapes


class FindingLink(msgspec.Struct, frozen=True):
    """A finding an action answers: the one that opened it, or a repeat."""

    inspection_id: str
    found_on: str
    severity: str
    message: str


class EvidencePhoto(msgspec.Struct, frozen=True):
    sha256: str
    received: bool
    media_type: str | None
    width: int | None
    height: int | None
    received_at: str | None


class Evidence(msgspec.Struct, frozen=True):
    id: int
    text: str
    submitted_by: str
    submitted_at: str
    photos: list[EvidencePhoto]


class ActionSummary(msgspec.Struct, frozen=True):
    """One corrective action as a list shows it."""

    id: int
    target_id: str
    target_name: str
    target_kind: str
    enterprise_uscc: str | None
    enterprise_name: str | None
    inspection_id: str
    item_key: str
    item_label: str
    severity: str
    description: str
    opened_on: str
    deadline: str
    status: str
    status_label: str
    overdue_on: str | None
    closed_by: str | None
    closed_at: str | None
    evidence_count: int


class ActionRead(msgspec.Struct, frozen=True):
    """One corrective action with its findings and evidence."""

    action: ActionSummary
    policy_version: str
    findings: list[FindingLink]
    evidence: list[Evidence]


Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class EvidenceCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the enterprise sends: what it did, and the photos it will upload."""

    text: Annotated[str, msgspec.Meta(max_length=4000)]
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=20)] = []


# -------------------------------------------------- opening and verifying


async def follow_up(
    tx: Transaction,
    *,
    inspection_id: str,
    target_id: str,
    inspected_at: str,
    judgement: dict[str, Any],
    actor: str,
    policy: CorrectivePolicy = DEFAULT_POLICY,
) -> None:
    """Verify or relink the target's earlier actions, then open one per new finding."""
    day = local_date(inspected_at)
    findings = {f["item"]: f for f in judgement.get("findings", [])}
    linked = await _verify_earlier(tx, inspection_id, target_id, inspected_at, judgement, actor)
    labels = await _item_labels(tx, target_id, judgement)
    for key, finding in findings.items():
        if key not in linked:
            await _open(
                tx, inspection_id, target_id, day, finding, labels.get(key, key), policy, actor
            )


async def _item_labels(
    tx: Transaction, target_id: str, judgement: dict[str, Any]
) -> dict[str, str]:
    """Item labels from the checklist version the visit was judged with."""
    kind = await tx.fetchval("SELECT kind FROM targets WHERE id = ?", (target_id,))
    checklist = load_checklist(kind, judgement["checklist_version"])
    return {item.key: item.label for item in checklist.items}


async def _open(
    tx: Transaction,
    inspection_id: str,
    target_id: str,
    day: date,
    finding: dict[str, Any],
    label: str,
    policy: CorrectivePolicy,
    actor: str,
) -> None:
    severity = finding["severity"]
    deadline = policy.deadline(severity, day)
    now = utcnow()
    cursor = await tx.execute(
        "INSERT INTO corrective_actions (target_id, inspection_id, item_key, item_label,"
        " severity, description, opened_on, deadline, policy_version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            target_id,
            inspection_id,
            finding["item"],
            label,
            severity,
            finding["message"],
            day.isoformat(),
            deadline.isoformat(),
            policy.version,
            now,
            now,
        ),
    )
    action_id = int(cursor.lastrowid or 0)
    await _link(tx, action_id, inspection_id, day, finding)
    await audit.record(
        tx,
        actor,
        "corrective.open",
        "corrective_action",
        str(action_id),
        {
            "inspection": inspection_id,
            "item": finding["item"],
            "severity": severity,
            "deadline": deadline.isoformat(),
            "policy": policy.version,
        },
    )


async def _link(
    tx: Transaction, action_id: int, inspection_id: str, day: date, finding: dict[str, Any]
) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO corrective_findings (action_id, inspection_id, found_on,"
        " severity, message) VALUES (?, ?, ?, ?, ?)",
        (action_id, inspection_id, day.isoformat(), finding["severity"], finding["message"]),
    )


EARLIER_SQL = """
SELECT ca.id, ca.item_key, ca.status FROM corrective_actions ca
JOIN inspections i ON i.id = ca.inspection_id
WHERE ca.target_id = ? AND ca.status != 'closed' AND i.inspected_at < ?
ORDER BY ca.id
"""


async def _verify_earlier(
    tx: Transaction,
    inspection_id: str,
    target_id: str,
    inspected_at: str,
    judgement: dict[str, Any],
    actor: str,
) -> set[str]:
    """Close what this visit found put right; link what it found again. Returns the
    item keys linked, which open no second action."""
    findings = {f["item"]: f for f in judgement.get("findings", [])}
    passed = {r["item"] for r in judgement.get("results", []) if r["result"] == "pass"}
    whole_pass = judgement["verdict"] == "pass"
    day = local_date(inspected_at)
    linked: set[str] = set()
    for row in await tx.fetchall(EARLIER_SQL, (target_id, inspected_at)):
        key = row["item_key"]
        if key in findings:
            await _refail(tx, row, inspection_id, day, findings[key], actor)
            linked.add(key)
        elif whole_pass or key in passed:
            await _close(tx, row["id"], inspection_id, actor)
    return linked


async def _refail(
    tx: Transaction,
    row: Any,
    inspection_id: str,
    day: date,
    finding: dict[str, Any],
    actor: str,
) -> None:
    await _link(tx, row["id"], inspection_id, day, finding)
    # Evidence that a visit found wanting sends the action back to the enterprise;
    # the daily job marks it overdue again if its deadline has passed.
    status = "open" if row["status"] == "awaiting_reinspection" else row["status"]
    await tx.execute(
        "UPDATE corrective_actions SET status = ?, updated_at = ? WHERE id = ?",
        (status, utcnow(), row["id"]),
    )
    await audit.record(
        tx,
        actor,
        "corrective.refail",
        "corrective_action",
        str(row["id"]),
        {
            "inspection": inspection_id,
            "item": row["item_key"],
            "status": status,
        },
    )


async def _close(tx: Transaction, action_id: int, inspection_id: str, actor: str) -> None:
    now = utcnow()
    await tx.execute(
        "UPDATE corrective_actions SET status = 'closed', closed_by = ?, closed_at = ?,"
        " updated_at = ? WHERE id = ?",
        (inspection_id, now, now, action_id),
    )
    await audit.record(
        tx,
        actor,
        "corrective.verify",
        "corrective_action",
        str(action_id),
        {"inspection": inspection_id},
    )


# ------------------------------------------------------------------ reading


SELECT_SQL = """
SELECT ca.*, t.name AS target_name, t.kind AS target_kind, t.enterprise_uscc,
       e.name AS enterprise_name,
       (SELECT COUNT(*) FROM corrective_evidence ev WHERE ev.action_id = ca.id)
           AS evidence_count
FROM corrective_actions ca JOIN targets t ON t.id = ca.target_id
LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc
"""


def _visible_to(user: User) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause: staff see all, an enterprise its own, an inspector what they inspected."""
    if user.role in ("admin", "leader"):
        return "1 = 1", ()
    if user.role == "enterprise":
        return "t.enterprise_uscc = ?", (user.enterprise_uscc,)
    if user.role == "inspector":
        return (
            "ca.target_id IN (SELECT target_id FROM inspections"
            " WHERE inspector_a = ? OR inspector_b = ?)",
            (user.inspector_id, user.inspector_id),
        )
    return "0 = 1", ()


def _summary(row: Any) -> ActionSummary:
    return ActionSummary(
        id=row["id"],
        target_id=row["target_id"],
        target_name=row["target_name"],
        target_kind=row["target_kind"],
        enterprise_uscc=row["enterprise_uscc"],
        enterprise_name=row["enterprise_name"],
        inspection_id=row["inspection_id"],
        item_key=row["item_key"],
        item_label=row["item_label"],
        severity=row["severity"],
        description=row["description"],
        opened_on=row["opened_on"],
        deadline=row["deadline"],
        status=row["status"],
        status_label=STATUS_LABELS[row["status"]],
        overdue_on=row["overdue_on"],
        closed_by=row["closed_by"],
        closed_at=row["closed_at"],
        evidence_count=row["evidence_count"],
    )


async def list_actions(
    db: Database, user: User, *, status: str | None = None, target_id: str | None = None
) -> list[ActionSummary]:
    """The actions the user may see, newest first, optionally of one status or target."""
    if status is not None and status not in STATUSES:
        raise ValidationError(
            f"整改状态应为 {'、'.join(STATUSES)} 之一，收到“{status}”", field="status"
        )
    where, params = _visible_to(user)
    sql = SELECT_SQL + f" WHERE {where}"
    if status is not None:
        sql, params = sql + " AND ca.status = ?", (*params, status)
    if target_id is not None:
        sql, params = sql + " AND ca.target_id = ?", (*params, target_id)
    rows = await db.fetchall(sql + " ORDER BY ca.opened_on DESC, ca.id DESC", params)
    return [_summary(r) for r in rows]


async def _visible_row(reader: Database | Transaction, user: User, action_id: int) -> Any:
    where, params = _visible_to(user)
    row = await reader.fetchone(SELECT_SQL + f" WHERE ca.id = ? AND {where}", (action_id, *params))
    if row is None:
        raise NotFoundError(f"整改事项 {action_id} 不存在")
    return row


async def read_action(db: Database, user: User, action_id: int) -> ActionRead:
    """One action for whoever may see it; anyone else gets 404, never data."""
    row = await _visible_row(db, user, action_id)
    findings = await db.fetchall(
        "SELECT inspection_id, found_on, severity, message FROM corrective_findings"
        " WHERE action_id = ? ORDER BY found_on, inspection_id",
        (action_id,),
    )
    return ActionRead(
        action=_summary(row),
        policy_version=row["policy_version"],
        findings=[FindingLink(**dict(f)) for f in findings],
        evidence=await _evidence(db, action_id),
    )


async def _evidence(db: Database, action_id: int) -> list[Evidence]:
    photos: dict[int, list[EvidencePhoto]] = {}
    for p in await db.fetchall(
        "SELECT evidence_id, sha256, media_type, width, height, received_at"
        " FROM evidence_photos WHERE action_id = ? ORDER BY id",
        (action_id,),
    ):
        photos.setdefault(p["evidence_id"], []).append(
            EvidencePhoto(
                p["sha256"],
                p["received_at"] is not None,
                p["media_type"],
                p["width"],
                p["height"],
                p["received_at"],
            )
        )
    rows = await db.fetchall(
        "SELECT id, text, submitted_by, submitted_at FROM corrective_evidence"
        " WHERE action_id = ? ORDER BY id",
        (action_id,),
    )
    return [
        Evidence(r["id"], r["text"], r["submitted_by"], r["submitted_at"], photos.get(r["id"], []))
        for r in rows
    ]


# ------------------------------------------------------------------ evidence


async def add_evidence(db: Database, user: User, action_id: int, body: EvidenceCreate) -> int:
    """Record an enterprise's evidence for its own action; returns the evidence id.

    Raises:
        NotFoundError: no such action, or not the user's enterprise's.
        ForbiddenError: the user is not an enterprise user.
        ConflictError: the action is already closed.
        ValidationError: the text is blank.
    """
    if user.role != "enterprise":
        raise ForbiddenError("只有企业用户可以提交整改材料")
    text = body.text.strip()
    if not text:
        raise ValidationError("整改说明不能为空：请写明采取了哪些整改措施", field="text")
    async with db.transaction() as tx:
        row = await _visible_row(tx, user, action_id)
        if row["status"] == "closed":
            raise ConflictError(f"整改事项 {action_id} 已复查通过销号，不再接收整改材料")
        evidence_id = await _insert_evidence(tx, action_id, text, body.photos, user.username)
        await tx.execute(
            "UPDATE corrective_actions SET status = 'awaiting_reinspection', updated_at = ?"
            " WHERE id = ?",
            (utcnow(), action_id),
        )
        await audit.record(
            tx,
            user.username,
            "corrective.evidence",
            "corrective_action",
            str(action_id),
            {
                "evidence": evidence_id,
                "previous": row["status"],
                "photos": sorted(set(body.photos)),
            },
        )
    logger.info("evidence %s for corrective action %s by %s", evidence_id, action_id, user.username)
    return evidence_id


async def _insert_evidence(
    tx: Transaction, action_id: int, text: str, photos: Sequence[str], username: str
) -> int:
    cursor = await tx.execute(
        "INSERT INTO corrective_evidence (action_id, text, submitted_by, submitted_at)"
        " VALUES (?, ?, ?, ?)",
        (action_id, text, username, utcnow()),
    )
    evidence_id = int(cursor.lastrowid or 0)
    # A photo already declared for this action keeps its first evidence.
    await tx.executemany(
        "INSERT OR IGNORE INTO evidence_photos (action_id, evidence_id, sha256) VALUES (?, ?, ?)",
        [(action_id, evidence_id, sha) for sha in dict.fromkeys(photos)],
    )
    return evidence_id


# ------------------------------------------------------------------ overdue


OVERDUE_SQL = """
SELECT ca.id, ca.target_id, ca.item_label, ca.description, ca.severity, ca.deadline,
       t.name AS target_name, t.enterprise_uscc, e.name AS enterprise_name
FROM corrective_actions ca JOIN targets t ON t.id = ca.target_id
LEFT JOIN enterprises e ON e.uscc = t.enterprise_uscc
WHERE ca.status = 'open' AND ca.deadline < ?
ORDER BY ca.deadline, ca.id
"""


async def mark_overdue(db: Database, today: date, *, actor: str) -> list[int]:
    """Mark open actions whose deadline is before ``today`` (local) overdue and notify
    the enterprise and the leaders; returns the ids marked. The deadline day itself
    is still in time."""
    async with db.transaction() as tx:
        rows = await tx.fetchall(OVERDUE_SQL, (today.isoformat(),))
        for row in rows:
            await _mark_one(tx, row, today, actor)
    return [r["id"] for r in rows]


async def _mark_one(tx: Transaction, row: Any, today: date, actor: str) -> None:
    now = utcnow()
    await tx.execute(
        "UPDATE corrective_actions SET status = 'overdue', overdue_on = ?, updated_at = ?"
        " WHERE id = ?",
        (today.isoformat(), now, row["id"]),
    )
    notices = [("leader", None, _leader_message(row))]
    if row["enterprise_uscc"] is not None:
        notices.append(("enterprise", row["enterprise_uscc"], _enterprise_message(row)))
    await tx.executemany(
        "INSERT INTO notifications (recipient_role, recipient_enterprise,"
        " corrective_action_id, kind, message, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(role, uscc, row["id"], "corrective_overdue", text, now) for role, uscc, text in notices],
    )
    await audit.record(
        tx,
        actor,
        "corrective.overdue",
        "corrective_action",
        str(row["id"]),
        {"deadline": row["deadline"], "day": today.isoformat()},
    )


def _what(row: Any) -> str:
    return str(row["item_label"] or row["description"])


def _enterprise_message(row: Any) -> str:
    # No word about when the re-inspection comes: enterprises never see visit dates.
    return (
        f"您单位“{row['target_name']}”的整改事项“{_what(row)}”整改期限为 {row['deadline']}，"
        "至今未提交整改材料，已逾期。请尽快完成整改并上传整改说明和照片。"
    )


def _leader_message(row: Any) -> str:
    who = row["enterprise_name"] or "（无企业登记）"
    severity = SEVERITY_LABELS.get(row["severity"], row["severity"])
    return (
        f"{who}“{row['target_name']}”的{severity}问题“{_what(row)}”整改期限 {row['deadline']} "
        "已过，企业未提交整改材料；已列入下一次检查计划复查。"
    )


async def overdue_for_roster(db: Database, as_of: date) -> dict[str, tuple[str, ...]]:
    """Targets with an action past its deadline and not closed by the end of ``as_of``,
    each with the inspectors of the visits that found it (to be avoided)."""
    rows = await db.fetchall(
        "SELECT ca.target_id, i.inspector_a, i.inspector_b FROM corrective_actions ca"
        " JOIN inspections i ON i.id = ca.inspection_id"
        " WHERE ca.deadline < :day AND ca.opened_on <= :day"
        " AND (ca.status != 'closed' OR ca.closed_at >= :end)",
        {"day": as_of.isoformat(), "end": day_end_utc(as_of)},
    )
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["target_id"], set()).update(
            i for i in (r["inspector_a"], r["inspector_b"]) if i
        )
    return {target: tuple(sorted(pair)) for target, pair in found.items()}


# ------------------------------------------------------------------ notifications


class Notification(msgspec.Struct, frozen=True):
    id: int
    kind: str
    message: str
    corrective_action_id: int | None
    created_at: str
    created_local: str
    read_at: str | None


async def notifications_for(
    db: Database, user: User, *, unread_only: bool = False
) -> list[Notification]:
    """The user's notifications, newest first: leaders and admins get the leaders',
    an enterprise user its enterprise's, inspectors none."""
    params: tuple[str | None, ...] = ()
    if user.role in ("admin", "leader"):
        where = "recipient_role = 'leader'"
    elif user.role == "enterprise":
        where, params = "recipient_enterprise = ?", (user.enterprise_uscc,)
    else:
        return []
    if unread_only:
        where += " AND read_at IS NULL"
    rows = await db.fetchall(
        "SELECT id, kind, message, corrective_action_id, created_at, read_at"
        f" FROM notifications WHERE {where} ORDER BY id DESC LIMIT 200",
        params,
    )
    return [
        Notification(
            r["id"],
            r["kind"],
            r["message"],
            r["corrective_action_id"],
            r["created_at"],
            local_text(r["created_at"]),
            r["read_at"],
        )
        for r in rows
    ]


async def mark_read(db: Database, user: User, notification_id: int) -> None:
    """Mark one of the user's notifications read; 404 for anyone else's."""
    mine = {n.id for n in await notifications_for(db, user)}
    if notification_id not in mine:
        raise NotFoundError(f"通知 {notification_id} 不存在")
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ?",
            (utcnow(), notification_id),
        )
        await audit.record(
            tx, user.username, "notification.read", "notification", str(notification_id), {}
        )
