"""Who is on duty on a day, holidays, pollution alerts, and the committed seeds.

A day's seed is committed before its candidate list can be known: its SHA-256
is stored (and shown publicly) when the previous day's roster is drawn, and
the seed itself is revealed only when its own roster is drawn.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from typing import Any

import msgspec

from inspection import audit
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, NotFoundError, ValidationError

ALERT_LEVELS = ("yellow", "orange", "red")


def seed_digest(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


async def commit_seed(tx: Transaction, day: date) -> str:
    """The SHA-256 of the day's seed, making and storing a fresh seed when none exists."""
    row = await tx.fetchone(
        "SELECT seed_sha256 FROM seed_commitments WHERE day = ?", (day.isoformat(),)
    )
    if row is not None:
        return str(row[0])
    seed = secrets.token_hex(16)
    digest = seed_digest(seed)
    await tx.execute(
        "INSERT INTO seed_commitments (day, seed_sha256, seed, committed_at) VALUES (?, ?, ?, ?)",
        (day.isoformat(), digest, seed, utcnow()),
    )
    await audit.record(
        tx, "system", "seed.commit", "seed", day.isoformat(), {"seed_sha256": digest}
    )
    return digest


async def committed_seed(tx: Transaction, day: date) -> str | None:
    """The day's committed seed, or None when it was never committed."""
    seed = await tx.fetchval("SELECT seed FROM seed_commitments WHERE day = ?", (day.isoformat(),))
    return None if seed is None else str(seed)


async def reveal_seed(tx: Transaction, day: date) -> None:
    await tx.execute(
        "UPDATE seed_commitments SET revealed_at = ? WHERE day = ? AND revealed_at IS NULL",
        (utcnow(), day.isoformat()),
    )


async def absent_on(db: Database, day: date) -> set[str]:
    """Inspectors on leave or otherwise absent on a local day."""
    rows = await db.fetchall(
        "SELECT inspector_id FROM inspector_absences WHERE from_day <= ? AND to_day >= ?",
        (day.isoformat(), day.isoformat()),
    )
    return {r[0] for r in rows}


async def holiday_name(db: Database, day: date) -> str | None:
    name = await db.fetchval("SELECT name FROM holidays WHERE day = ?", (day.isoformat(),))
    return None if name is None else str(name)


async def alert_on(db: Database, day: date) -> str | None:
    """The highest heavy-pollution alert level declared for a day, if any."""
    rows = await db.fetchall(
        "SELECT level FROM pollution_alerts WHERE from_day <= ? AND to_day >= ?",
        (day.isoformat(), day.isoformat()),
    )
    levels = [r[0] for r in rows]
    return max(levels, key=ALERT_LEVELS.index) if levels else None


class AbsenceCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    from_day: date
    to_day: date
    reason: str = ""


class AlertCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    level: str
    from_day: date
    to_day: date
    reason: str = ""


class HolidayCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    day: date
    name: str


# An alert longer than this is almost surely a typo in a year; a longer episode is
# declared again, which also makes the leader confirm it is still in force.
MAX_ALERT_DAYS = 31


def _check_range(first: date, last: date) -> None:
    if first > last:
        raise ValidationError(f"起始日期 {first} 晚于结束日期 {last}", field="to_day")


async def add_absence(db: Database, inspector_id: str, body: AbsenceCreate, actor: str) -> int:
    """Record that an inspector is not on duty for a range of days."""
    _check_range(body.from_day, body.to_day)
    async with db.transaction() as tx:
        if not await tx.fetchval("SELECT 1 FROM inspectors WHERE id = ?", (inspector_id,)):
            raise NotFoundError(f"检查员“{inspector_id}”不存在")
        cursor = await tx.execute(
            "INSERT INTO inspector_absences (inspector_id, from_day, to_day, reason, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                inspector_id,
                body.from_day.isoformat(),
                body.to_day.isoformat(),
                body.reason,
                actor,
                utcnow(),
            ),
        )
        await audit.record(
            tx, actor, "inspector.absence", "inspector", inspector_id, msgspec.to_builtins(body)
        )
    return int(cursor.lastrowid or 0)


async def declare_alert(db: Database, body: AlertCreate, actor: str) -> int:
    """A leader declares a heavy-pollution alert for a range of local days."""
    if body.level not in ALERT_LEVELS:
        raise ValidationError(
            f"预警级别应为 yellow、orange 或 red，收到“{body.level}”", field="level"
        )
    _check_range(body.from_day, body.to_day)
    days = (body.to_day - body.from_day).days + 1
    if days > MAX_ALERT_DAYS:
        raise ValidationError(
            f"一次预警最长 {MAX_ALERT_DAYS} 天，收到 {body.from_day} 至 {body.to_day}"
            f"（{days} 天）；持续时间更长的请到期后重新发布",
            field="to_day",
        )
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT INTO pollution_alerts (level, from_day, to_day, reason, declared_by,"
            " declared_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                body.level,
                body.from_day.isoformat(),
                body.to_day.isoformat(),
                body.reason,
                actor,
                utcnow(),
            ),
        )
        await audit.record(
            tx, actor, "alert.declare", "alert", str(cursor.lastrowid), msgspec.to_builtins(body)
        )
    return int(cursor.lastrowid or 0)


async def add_holiday(db: Database, body: HolidayCreate, actor: str) -> None:
    """Mark a day as a holiday: no routine roster is drawn for it."""
    if not body.name.strip():
        raise ValidationError("假日名称不能为空（如“元旦”）", field="name")
    async with db.transaction() as tx:
        drawn = await tx.fetchval(
            "SELECT id FROM rosters WHERE day = ? AND superseded_at IS NULL",
            (body.day.isoformat(),),
        )
        if drawn is not None:
            # The roster would stay in force yet could no longer be redrawn.
            raise ConflictError(
                f"{body.day} 已有检查计划（编号 {drawn}），不能再设为假日；"
                "如当天停止检查，请由队长在计划中逐项调整并说明理由",
                field="day",
            )
        await tx.execute(
            "INSERT OR REPLACE INTO holidays (day, name) VALUES (?, ?)",
            (body.day.isoformat(), body.name.strip()),
        )
        await audit.record(
            tx, actor, "holiday.add", "holiday", body.day.isoformat(), {"name": body.name}
        )


PUBLIC_ROSTER_SQL = """
SELECT a.position, t.name AS target, t.kind, t.district, a.reason, a.probability, a.status
FROM assignments a JOIN targets t ON t.id = a.target_id
WHERE a.roster_id = ? ORDER BY a.position
"""


async def public_rosters(db: Database, today: date, *, limit: int = 30) -> list[dict[str, Any]]:
    """Past days' draws for the public: seed, its commitment, digests and drawn targets."""
    rows = await db.fetchall(
        "SELECT r.id, r.day, r.seed, r.algorithm, r.policy_version, r.candidates_digest,"
        " r.inspectors_digest, r.audit_head, c.seed_sha256, c.committed_at,"
        " c.at_draw = 0 AS committed_in_advance FROM rosters r"
        " LEFT JOIN seed_commitments c ON c.day = r.day"
        " WHERE r.superseded_at IS NULL AND r.day < ? ORDER BY r.day DESC LIMIT ?",
        (today.isoformat(), limit),
    )
    days = []
    for row in rows:
        day = dict(row)
        day["committed_in_advance"] = bool(day["committed_in_advance"])
        roster_id = day.pop("id")
        visits = [dict(v) for v in await db.fetchall(PUBLIC_ROSTER_SQL, (roster_id,))]
        # A redraw replaces a day's roster; the public sees that it happened and why.
        redraws = [dict(r) for r in await db.fetchall(
            "SELECT seed, superseded_at, supersede_reason AS reason FROM rosters"
            " WHERE day = ? AND superseded_at IS NOT NULL ORDER BY id",
            (day["day"],),
        )]
        days.append({**day, "redraws": redraws, "visits": visits})
    return days


async def upcoming_commitments(db: Database, today: date) -> list[dict[str, str]]:
    """Seeds committed for today and later days: only their SHA-256 is public."""
    rows = await db.fetchall(
        "SELECT day, seed_sha256, committed_at FROM seed_commitments WHERE day >= ?"
        " AND revealed_at IS NULL ORDER BY day",
        (today.isoformat(),),
    )
    return [dict(r) for r in rows]
