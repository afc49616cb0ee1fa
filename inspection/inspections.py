"""Recording an inspection: idempotent by the client's UUID, judged by its checklist.

The client makes the inspection's UUID, so a phone that lost its answer can
send the same body again. The primary key decides: the insert either lands or
meets the row already there, whose body digest says whether this is a retry
(success, no second row) or a different inspection under a used id (409).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import msgspec

from checklists import Checklist, judge, load_checklist
from inspection import audit, corrective, whitelist
from inspection.audit import canonical
from inspection.clock import local_date, now_utc, to_utc_text
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from inspection.users import User
from scoring.policy import Policy, load_policy
from scoring.risk import ComplaintRecord, ViolationRecord

logger = logging.getLogger(__name__)

SEVERITIES_THAT_ARE_VIOLATIONS = ("critical", "serious")


# Bounds a phone never needs to exceed; they keep a bad client from storing megabytes.
MAX_REMARK = 2000
MAX_PHOTOS = 100
# A phone's clock may run a little fast; a visit further in the future is refused.
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class PhotoRef(msgspec.Struct, frozen=True):
    """A photo the client will upload for this inspection, named by its SHA-256."""

    sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    item_key: Annotated[str, msgspec.Meta(max_length=100)] = ""


class InspectionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the field app sends for one visit."""

    id: uuid.UUID
    target_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    inspected_at: Annotated[datetime, msgspec.Meta(tz=True)]
    answers: Annotated[dict[str, Any], msgspec.Meta(max_length=200)]
    assignment_id: Annotated[int, msgspec.Meta(ge=1, le=2**53)] | None = None
    checklist_version: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    remark: Annotated[str, msgspec.Meta(max_length=MAX_REMARK)] = ""
    photos: Annotated[list[PhotoRef], msgspec.Meta(max_length=MAX_PHOTOS)] = []


class InspectionRead(msgspec.Struct, frozen=True):
    id: str
    target_id: str
    target_name: str
    assignment_id: int | None
    inspected_at: str
    checklist_id: str
    checklist_version: str
    verdict: str
    judgement: dict[str, Any]
    remark: str
    photos_expected: int
    photos_received: list[str]
    photos_complete: bool


def body_digest(body: InspectionCreate) -> str:
    """SHA-256 of the canonical form of a request body: equal bodies, equal digests."""
    builtins = msgspec.to_builtins(body)
    builtins["inspected_at"] = to_utc_text(body.inspected_at)
    return hashlib.sha256(canonical(builtins).encode("utf-8")).hexdigest()


async def _check_access(tx: Transaction, user: User, body: InspectionCreate) -> None:
    if user.role in ("admin", "leader"):
        return
    if user.role != "inspector":
        raise ForbiddenError("只有检查人员可以提交检查记录")
    if body.assignment_id is None:
        raise ForbiddenError("检查人员只能为分配给自己的检查任务提交记录")
    row = await tx.fetchone(
        "SELECT target_id, inspector_a, inspector_b FROM assignments WHERE id = ?",
        (body.assignment_id,),
    )
    if row is None or user.inspector_id not in (row["inspector_a"], row["inspector_b"]):
        raise ForbiddenError("该检查任务未分配给您")
    if row["target_id"] != body.target_id:
        raise ValidationError(
            f"检查任务 {body.assignment_id} 的检查对象是“{row['target_id']}”，"
            f"收到“{body.target_id}”",
            field="target_id",
        )


@cache
def _default_policy() -> Policy:
    return load_policy()


async def create(
    db: Database, user: User, body: InspectionCreate, *, policy: Policy | None = None
) -> tuple[str, bool]:
    """Store an inspection; returns its id and whether this call created it.

    ``policy`` says which findings suspend a whitelist entry; the service passes its
    own, and the default policy stands in for callers without one.
    """
    policy = policy or _default_policy()
    digest = body_digest(body)
    inspection_id = str(body.id)
    async with db.transaction() as tx:
        target = await tx.fetchone("SELECT id, kind FROM targets WHERE id = ?", (body.target_id,))
        if target is None:
            raise ValidationError(f"检查对象“{body.target_id}”不存在", field="target_id")
        await _check_access(tx, user, body)
        await _check_visit(tx, body, inspection_id)
        checklist = load_checklist(target["kind"], body.checklist_version)
        judgement = _judge(checklist, body)

        cursor = await tx.execute(
            "INSERT INTO inspections (id, target_id, assignment_id, inspected_at, inspector_a,"
            " inspector_b, checklist_id, checklist_version, answers, verdict, judgement, remark,"
            " body_sha256, photo_count, source, published, submitted_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'app', 1, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (
                inspection_id,
                body.target_id,
                body.assignment_id,
                to_utc_text(body.inspected_at),
                *await _pair(tx, user, body),
                checklist.id,
                checklist.version,
                canonical(body.answers),
                judgement["verdict"],
                canonical(judgement),
                body.remark,
                digest,
                user.username,
                utcnow(),
            ),
        )
        if cursor.rowcount == 0:
            stored = await tx.fetchval(
                "SELECT body_sha256 FROM inspections WHERE id = ?", (inspection_id,)
            )
            if stored != digest:
                raise ConflictError(f"检查记录 {inspection_id} 已存在且内容不同")
            return inspection_id, False

        await _expect_photos(tx, inspection_id, body.photos)
        await _follow_up(tx, inspection_id, body, judgement, user, policy)
        await audit.record(
            tx,
            user.username,
            "inspection.create",
            "inspection",
            inspection_id,
            {
                "target": body.target_id,
                "verdict": judgement["verdict"],
                "checklist": f"{checklist.id}@{checklist.version}",
                "body_sha256": digest,
                "photos": sorted(p.sha256 for p in body.photos),
            },
        )
    logger.info("inspection %s of %s: %s", inspection_id, body.target_id, judgement["verdict"])
    return inspection_id, True


async def _check_visit(tx: Transaction, body: InspectionCreate, inspection_id: str) -> None:
    """The visit happened, on its assignment's day, and is the assignment's only record."""
    if body.inspected_at > now_utc() + CLOCK_SKEW or body.inspected_at < EARLIEST:
        raise ValidationError(
            f"检查时间应在 2000 年之后且不晚于现在，收到 {body.inspected_at.isoformat()}",
            field="inspected_at",
        )
    if body.assignment_id is None:
        return
    row = await tx.fetchone(
        "SELECT r.day, (SELECT i.id FROM inspections i WHERE i.assignment_id = a.id"
        " AND i.id != ? LIMIT 1) AS other FROM assignments a"
        " JOIN rosters r ON r.id = a.roster_id WHERE a.id = ?",
        (inspection_id, body.assignment_id),
    )
    if row is None:
        raise ValidationError(f"检查任务 {body.assignment_id} 不存在", field="assignment_id")
    visited_on = local_date(to_utc_text(body.inspected_at)).isoformat()
    if visited_on != row["day"]:
        raise ValidationError(
            f"检查任务 {body.assignment_id} 安排在 {row['day']}，"
            f"检查时间却是 {visited_on}（北京时间）",
            field="inspected_at",
        )
    if row["other"] is not None:
        raise ConflictError(f"检查任务 {body.assignment_id} 已有检查记录 {row['other']}")


def _judge(checklist: Checklist, body: InspectionCreate) -> dict[str, Any]:
    try:
        result = judge(checklist, body.answers, on=local_date(to_utc_text(body.inspected_at)))
    except ValueError as exc:
        raise ValidationError(str(exc), field="answers") from None
    labels = {item.key: item.label for item in checklist.items}
    yes_no = {item.key for item in checklist.items if item.type == "yes_no"}
    unanswered = [labels[key] for key in result.unanswered if key in yes_no]
    if unanswered:
        raise ValidationError(
            f"以下检查项尚未填写（不适用请选“不适用”）：{'、'.join(unanswered)}", field="answers"
        )
    photographed = {p.item_key for p in body.photos}
    missing = [labels[key] for key in result.missing_photos if key not in photographed]
    if missing:
        raise ValidationError(f"不合格项须附照片：{'、'.join(missing)}", field="photos")
    return msgspec.to_builtins(result)  # type: ignore[no-any-return]


async def _pair(tx: Transaction, user: User, body: InspectionCreate) -> tuple[str | None, ...]:
    if body.assignment_id is not None:
        row = await tx.fetchone(
            "SELECT inspector_a, inspector_b FROM assignments WHERE id = ?", (body.assignment_id,)
        )
        if row is not None:
            return row["inspector_a"], row["inspector_b"]
    return user.inspector_id, None


async def _expect_photos(tx: Transaction, inspection_id: str, photos: list[PhotoRef]) -> None:
    await tx.executemany(
        "INSERT OR IGNORE INTO expected_photos (inspection_id, sha256, item_key) VALUES (?, ?, ?)",
        [(inspection_id, p.sha256, p.item_key) for p in photos],
    )


async def _follow_up(
    tx: Transaction,
    inspection_id: str,
    body: InspectionCreate,
    judgement: dict[str, Any],
    user: User,
    policy: Policy,
) -> None:
    """What a visit changes in the registers: violations, complaints, the assignment,
    corrective actions, and the whitelist entry a serious finding suspends."""
    visited_on = local_date(to_utc_text(body.inspected_at))
    day = visited_on.isoformat()
    violations, substantiated = [], []
    for n, finding in enumerate(judgement.get("findings", []), start=1):
        if finding["severity"] in SEVERITIES_THAT_ARE_VIOLATIONS:
            violations.append(
                ViolationRecord(f"{inspection_id}-{n}", visited_on, finding["severity"])
            )
            await tx.execute(
                "INSERT INTO violations (id, target_id, found_on, severity, description,"
                " inspection_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{inspection_id}-{n}",
                    body.target_id,
                    day,
                    finding["severity"],
                    finding["message"],
                    inspection_id,
                    utcnow(),
                ),
            )
    if judgement["verdict"] in ("pass", "fail"):
        outcome = "substantiated" if judgement["verdict"] == "fail" else "unsubstantiated"
        checked = await tx.fetchall(
            "UPDATE complaints SET status = ?, checked_on = ?"
            " WHERE target_id = ? AND status = 'pending' AND received_at <= ?"
            " RETURNING id, received_at",
            (outcome, day, body.target_id, to_utc_text(body.inspected_at)),
        )
        if outcome == "substantiated":
            substantiated = [ComplaintRecord(r[0], local_date(r[1]), outcome) for r in checked]
    if body.assignment_id is not None:
        await tx.execute(
            "UPDATE assignments SET status = 'done' WHERE id = ?", (body.assignment_id,)
        )
    await corrective.follow_up(
        tx,
        inspection_id=inspection_id,
        target_id=body.target_id,
        inspected_at=to_utc_text(body.inspected_at),
        judgement=judgement,
        actor=user.username,
    )
    await whitelist.suspend(
        tx,
        policy,
        target_id=body.target_id,
        day=visited_on,
        inspection_id=inspection_id,
        violations=violations,
        complaints=substantiated,
        actor=user.username,
    )


READ_SQL = """
SELECT i.*, t.name AS target_name, t.enterprise_uscc
FROM inspections i JOIN targets t ON t.id = i.target_id WHERE i.id = ?
"""


async def read(db: Database, inspection_id: str, user: User | None) -> InspectionRead:
    """One inspection for whoever may see it; others get 404, never data."""
    row = await db.fetchone(READ_SQL, (inspection_id,))
    if row is None or not await may_see(db, row, user):
        raise NotFoundError(f"检查记录 {inspection_id} 不存在")
    expected = [
        r[0]
        for r in await db.fetchall(
            "SELECT sha256 FROM expected_photos WHERE inspection_id = ?", (inspection_id,)
        )
    ]
    received = [
        r[0]
        for r in await db.fetchall(
            "SELECT sha256 FROM photos WHERE inspection_id = ? ORDER BY id", (inspection_id,)
        )
    ]
    return InspectionRead(
        id=row["id"],
        target_id=row["target_id"],
        target_name=row["target_name"],
        assignment_id=row["assignment_id"],
        inspected_at=row["inspected_at"],
        checklist_id=row["checklist_id"],
        checklist_version=row["checklist_version"],
        verdict=row["verdict"],
        judgement=msgspec.json.decode(row["judgement"]),
        remark=row["remark"],
        photos_expected=len(expected),
        photos_received=received,
        photos_complete=set(expected) <= set(received),
    )


async def may_see(db: Database, row: Any, user: User | None) -> bool:
    """Staff see all; an inspector what they did; an enterprise its own; the public nothing here."""
    if user is None:
        return False
    if user.role in ("admin", "leader"):
        return True
    if user.role == "enterprise":
        return bool(row["enterprise_uscc"] == user.enterprise_uscc)
    if user.role == "inspector":
        return user.inspector_id in (row["inspector_a"], row["inspector_b"])
    return False
