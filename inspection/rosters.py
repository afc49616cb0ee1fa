"""Drawing, storing, showing, changing and verifying a day's roster.

A roster row keeps everything its draw used: the seed, the policy itself, the
candidate and inspector lists (with their digests) and what the draw gave. So
``verify`` needs nothing but that row to re-run the draw, and anyone given the
row can do the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from datetime import date, timedelta
from typing import Any

import msgspec

from inspection import audit, corrective, duty
from inspection.audit import canonical
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, NotFoundError, ValidationError
from inspection.scores import load_facts, triage_facts
from scoring.draw import (
    Candidate,
    DrawResult,
    InspectorOnDuty,
    candidate_from_score,
    digest,
    draw,
)
from scoring.policy import Policy
from scoring.risk import Triage

logger = logging.getLogger(__name__)

SEED_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
_SORTED_JSON = msgspec.json.Encoder(order="sorted")


class RosterInputs(msgspec.Struct, frozen=True):
    """Everything a draw depends on; stored with the roster as canonical JSON."""

    day: date
    seed: str
    as_of: date
    policy: Policy
    candidates: tuple[Candidate, ...]
    inspectors: tuple[InspectorOnDuty, ...]
    # Added after the first rosters: their absence means no alert and no workload.
    alert: str | None = None
    workload: dict[str, int] | None = None


class Difference(msgspec.Struct, frozen=True):
    """One way a stored roster differs from what its inputs give on a re-draw."""

    # A stable key for scripts ("candidates_digest", "assignment 3", ...).
    what: str
    stored: str
    redrawn: str
    # The same in Chinese, for people.
    label: str = ""


async def _inspectors_on_duty(db: Database, day: date) -> list[InspectorOnDuty]:
    """Active inspectors not recorded as absent on the day, with their conflicts."""
    conflicts: dict[str, list[str]] = {}
    for row in await db.fetchall("SELECT inspector_id, enterprise_uscc FROM conflicts"):
        conflicts.setdefault(row[0], []).append(row[1])
    absent = await duty.absent_on(db, day)
    rows = await db.fetchall(
        "SELECT id, team, district FROM inspectors WHERE active = 1 ORDER BY id"
    )
    return [
        InspectorOnDuty(
            r["id"], r["team"], r["district"], tuple(sorted(conflicts.get(r["id"], ())))
        )
        for r in rows
        if r["id"] not in absent
    ]


async def build_inputs(db: Database, policy: Policy, day: date, seed: str) -> RosterInputs:
    """Score every target as of the day before and list who is on duty."""
    as_of = day - timedelta(days=1)
    facts = await load_facts(db, as_of)
    overdue_actions = await corrective.overdue_for_roster(db, as_of)
    places = {
        r["id"]: (r["latitude"], r["longitude"])
        for r in await db.fetchall("SELECT id, latitude, longitude FROM targets")
    }
    candidates = []
    scores = await triage_facts(db, policy, as_of, facts)
    for fact, score in zip(facts, scores, strict=True):
        lat, lon = places.get(fact.target_id, (None, None))
        candidate = candidate_from_score(score, fact, latitude=lat, longitude=lon)
        found_by = overdue_actions.get(fact.target_id)
        if found_by is not None:
            must_visit, avoid = _with_overdue_action(score, found_by)
            candidate = msgspec.structs.replace(
                candidate, must_visit=must_visit, avoid_inspectors=avoid
            )
        candidates.append(candidate)
    inspectors = await _inspectors_on_duty(db, day)
    return RosterInputs(
        day,
        seed,
        as_of,
        policy,
        tuple(candidates),
        tuple(inspectors),
        alert=await duty.alert_on(db, day),
        workload=await _month_workload(db, day),
    )


async def _month_workload(db: Database, day: date) -> dict[str, int]:
    """Each inspector's visits in the current rosters of the month, before the day."""
    rows = await db.fetchall(
        "SELECT inspector, COUNT(*) FROM (SELECT a.inspector_a AS inspector, r.day"
        " FROM assignments a JOIN rosters r ON r.id = a.roster_id"
        " WHERE r.superseded_at IS NULL AND a.status != 'cancelled'"
        " UNION ALL SELECT a.inspector_b, r.day FROM assignments a"
        " JOIN rosters r ON r.id = a.roster_id"
        " WHERE r.superseded_at IS NULL AND a.status != 'cancelled')"
        " WHERE day >= ? AND day < ? GROUP BY inspector",
        (day.replace(day=1).isoformat(), day.isoformat()),
    )
    return {row[0]: row[1] for row in rows}


def _with_overdue_action(
    score: Triage, found_by: tuple[str, ...] | None
) -> tuple[str | None, tuple[str, ...]]:
    """A target with a corrective action past its deadline is re-inspected, by others
    than those who found it, unless a complaint or re-inspection visit already takes it."""
    if found_by is None or score.must_visit in ("complaint", "reinspection"):
        return score.must_visit, score.avoid_inspectors
    return "reinspection", score.avoid_inspectors or found_by


def run_draw(inputs: RosterInputs) -> DrawResult:
    return draw(
        inputs.day,
        inputs.seed,
        inputs.candidates,
        inputs.inspectors,
        inputs.policy,
        alert=inputs.alert,
        workload=inputs.workload,
    )


async def current_roster_id(db: Database, day: date) -> int | None:
    """The id of the day's roster in force, or None when none is drawn."""
    roster_id = await db.fetchval(
        "SELECT id FROM rosters WHERE day = ? AND superseded_at IS NULL", (day.isoformat(),)
    )
    return None if roster_id is None else int(roster_id)


async def generate(
    db: Database,
    policy: Policy,
    day: date,
    *,
    actor: str,
    seed: str | None = None,
    redraw_reason: str | None = None,
) -> int:
    """Draw and store the roster for a local day; a redraw needs a reason and keeps the old one."""
    existing = await current_roster_id(db, day)
    redraw_reason = redraw_reason.strip() if redraw_reason else None
    if existing is not None and not redraw_reason:
        raise ConflictError(
            f"{day} 的检查计划已存在（编号 {existing}）；重新抽取须说明理由（不能只有空格）"
        )
    holiday = await duty.holiday_name(db, day)
    if holiday:
        raise ValidationError(f"{day} 是{holiday}，不安排例行检查")
    seed = await _seed_for(db, day, seed)
    inputs = await build_inputs(db, policy, day, seed)
    result = run_draw(inputs)
    # Sorted keys and no spaces, as `canonical` writes them, encoded in C: a city's
    # candidate list is tens of megabytes. Its digest goes into the audit log.
    encoded = _SORTED_JSON.encode(inputs)
    inputs_sha256 = hashlib.sha256(encoded).hexdigest()
    stored_inputs = encoded.decode()
    del encoded  # tens of megabytes, not needed once decoded

    async with db.transaction() as tx:
        await duty.reveal_seed(tx, day)
        await duty.commit_seed(tx, day + timedelta(days=1))
        if existing is not None:
            await tx.execute(
                "UPDATE rosters SET superseded_at = ?, superseded_by = ?, supersede_reason = ?"
                " WHERE id = ?",
                (utcnow(), actor, redraw_reason, existing),
            )
        roster_id = await _store(tx, inputs, stored_inputs, result, actor)
        await audit.record(
            tx,
            actor,
            "roster.redraw" if existing else "roster.generate",
            "roster",
            str(roster_id),
            {
                "day": day.isoformat(),
                "seed": seed,
                "assignments": len(result.assignments),
                "candidates_digest": result.candidates_digest,
                "inputs_sha256": inputs_sha256,
                "replaces": existing,
                "reason": redraw_reason,
            },
        )
        await tx.execute(
            "UPDATE rosters SET audit_head = ? WHERE id = ?", (await audit.head(tx), roster_id)
        )
    logger.info(
        "roster %s for %s: %d visits from %d candidates and %d inspectors",
        roster_id,
        day,
        len(result.assignments),
        len(inputs.candidates),
        len(inputs.inspectors),
    )
    return roster_id


async def _seed_for(db: Database, day: date, given: str | None) -> str:
    """The committed seed of the day; a given seed must match it, or makes the commitment."""
    if given is not None and not SEED_PATTERN.fullmatch(given):
        raise ValidationError(
            f"随机种子应为 1 到 128 个字母、数字或 - _ . 字符，收到“{given[:40]}”", field="seed"
        )
    async with db.transaction() as tx:
        committed = await duty.committed_seed(tx, day)
        if committed is None:
            seed = given or secrets.token_hex(16)
            await tx.execute(
                "INSERT INTO seed_commitments (day, seed_sha256, seed, committed_at, at_draw)"
                " VALUES (?, ?, ?, ?, 1)",
                (day.isoformat(), duty.seed_digest(seed), seed, utcnow()),
            )
            return seed
    if given is not None and given != committed:
        raise ValidationError(
            f"{day} 的随机种子已事先承诺（SHA-256 {duty.seed_digest(committed)}），"
            "不能改用其他种子",
            field="seed",
        )
    return committed


async def _store(
    tx: Transaction, inputs: RosterInputs, stored_inputs: str, result: DrawResult, actor: str
) -> int:
    cursor = await tx.execute(
        "INSERT INTO rosters (day, seed, policy_version, algorithm, as_of, capacity,"
        " candidates_digest, inspectors_digest, inputs, drawn, unpaired, backlog,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            inputs.day.isoformat(),
            inputs.seed,
            inputs.policy.version,
            result.algorithm,
            inputs.as_of.isoformat(),
            result.capacity,
            result.candidates_digest,
            result.inspectors_digest,
            stored_inputs,
            _SORTED_JSON.encode(result.assignments).decode(),
            canonical(list(result.unpaired)),
            len(result.unassigned) - len(result.unpaired),
            utcnow(),
            actor,
        ),
    )
    roster_id = int(cursor.lastrowid or 0)
    await tx.executemany(
        "INSERT INTO assignments (roster_id, position, target_id, inspector_a, inspector_b,"
        " reason, probability) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                roster_id,
                a.position,
                a.target_id,
                a.inspectors[0],
                a.inspectors[1],
                a.reason,
                a.probability,
            )
            for a in result.assignments
        ],
    )
    return roster_id


ROSTER_SQL = """
SELECT a.id, a.position, a.target_id, t.name AS target_name, t.kind, t.district,
       t.address, t.enterprise_uscc, a.inspector_a, ia.name AS inspector_a_name,
       a.inspector_b, ib.name AS inspector_b_name, a.reason, a.probability, a.status,
       (SELECT i.id FROM inspections i WHERE i.assignment_id = a.id
        ORDER BY i.created_at DESC LIMIT 1) AS inspection_id,
       (SELECT COUNT(*) FROM assignment_changes c WHERE c.assignment_id = a.id) AS changes
FROM assignments a
JOIN targets t ON t.id = a.target_id
JOIN inspectors ia ON ia.id = a.inspector_a
JOIN inspectors ib ON ib.id = a.inspector_b
WHERE a.roster_id = ?
ORDER BY a.position
"""


async def show(db: Database, day: date) -> dict[str, Any]:
    """The current roster of a day with its assignments, for people and for JSON."""
    roster_id = await current_roster_id(db, day)
    if roster_id is None:
        raise NotFoundError(f"{day} 尚无检查计划")
    row = await db.fetchone(
        "SELECT id, day, seed, policy_version, algorithm, as_of, capacity, candidates_digest,"
        " inspectors_digest, created_at, created_by, unpaired, backlog"
        " FROM rosters WHERE id = ?",
        (roster_id,),
    )
    assert row is not None
    assignments = [dict(r) for r in await db.fetchall(ROSTER_SQL, (roster_id,))]
    # Drawn targets that no pair could take: a leader assigns them by hand or not at all.
    unpaired = [dict(r) for r in await db.fetchall(
        "SELECT id AS target_id, name AS target_name, district FROM targets"
        " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (row["unpaired"] or "[]",),
    )]
    return {**dict(row), "backlog": row["backlog"] or 0, "unpaired": unpaired,
            "assignments": assignments}


async def verify(db: Database, day: date) -> list[Difference]:
    """Re-run the stored draw and check what it was drawn from; empty means all agree.

    Besides the re-draw: the seed against the day's published commitment, the
    stored inputs against the digest the audit log recorded when the roster was
    drawn (so a change to the stored policy, alert or dates shows even when it
    would not change the draw), and the roster's own columns against its inputs.
    """
    row = await db.fetchone(
        "SELECT id, seed, day, as_of, policy_version, algorithm, capacity, candidates_digest,"
        " inspectors_digest, inputs, drawn, unpaired, backlog"
        " FROM rosters WHERE day = ? AND superseded_at IS NULL",
        (day.isoformat(),),
    )
    if row is None:
        raise NotFoundError(f"{day} 尚无检查计划")
    inputs = msgspec.json.decode(row["inputs"], type=RosterInputs)
    result = run_draw(inputs)
    committed = await db.fetchval(
        "SELECT seed_sha256 FROM seed_commitments WHERE day = ?", (day.isoformat(),)
    )
    recorded = await _recorded_inputs_digest(db, row["id"])
    checks = [
        ("seed", "随机种子", row["seed"], inputs.seed),
        ("seed_commitment", "随机种子的事先承诺（SHA-256）", committed or "（无）",
         duty.seed_digest(inputs.seed)),
        ("day", "日期", row["day"], inputs.day.isoformat()),
        ("as_of", "评定所依据的日期", row["as_of"], inputs.as_of.isoformat()),
        ("as_of (day before)", "评定日期应为计划日前一天", inputs.as_of.isoformat(),
         (day - timedelta(days=1)).isoformat()),
        ("policy_version", "策略版本", row["policy_version"], inputs.policy.version),
        ("algorithm", "抽取算法", row["algorithm"], result.algorithm),
        ("capacity", "抽查容量", str(row["capacity"]), str(result.capacity)),
        ("candidates_digest", "候选对象清单摘要", row["candidates_digest"],
         digest(inputs.candidates)),
        ("inspectors_digest", "检查人员清单摘要", row["inspectors_digest"],
         digest(inputs.inspectors)),
        ("candidates_digest (redraw)", "重新抽取得到的候选对象清单摘要",
         row["candidates_digest"], result.candidates_digest),
    ]
    if row["unpaired"] is not None:
        checks += [
            ("unpaired", "抽中但无检查组可派的对象", row["unpaired"],
             canonical(list(result.unpaired))),
            ("backlog", "超出容量的必查对象数", str(row["backlog"]),
             str(len(result.unassigned) - len(result.unpaired))),
        ]
    if recorded is not None:
        checks.append(("inputs_digest", "抽取输入摘要（审计日志所记）", recorded,
                       hashlib.sha256(row["inputs"].encode()).hexdigest()))
    differences = [
        Difference(what, stored, redrawn, label)
        for what, label, stored, redrawn in checks
        if stored != redrawn
    ]
    stored_drawn = json.loads(row["drawn"])
    redrawn = msgspec.to_builtins(result.assignments)
    differences += _compare_assignments(stored_drawn, redrawn)
    differences += await _compare_rows(db, row["id"], stored_drawn)
    return differences


async def _recorded_inputs_digest(db: Database, roster_id: int) -> str | None:
    """The inputs digest the audit entry of the draw recorded; None for older rosters."""
    detail = await db.fetchval(
        "SELECT detail FROM audit_log WHERE entity = 'roster' AND entity_id = ?"
        " AND action IN ('roster.generate', 'roster.redraw') ORDER BY id LIMIT 1",
        (str(roster_id),),
    )
    if detail is None:
        return None
    found = json.loads(detail).get("inputs_sha256")
    return found if isinstance(found, str) else None


def _compare_assignments(
    stored: list[dict[str, Any]], redrawn: list[dict[str, Any]]
) -> list[Difference]:
    if len(stored) != len(redrawn):
        return [Difference("assignment count", str(len(stored)), str(len(redrawn)), "任务条数")]
    pairs = [(canonical(a), canonical(b)) for a, b in zip(stored, redrawn, strict=True)]
    return [Difference(f"assignment {n}", a, b, f"第 {n} 项任务")
            for n, (a, b) in enumerate(pairs, 1) if a != b]


async def _compare_rows(
    db: Database, roster_id: int, drawn: list[dict[str, Any]]
) -> list[Difference]:
    """Stored assignment rows must match the draw, except changes a leader recorded."""
    changed = {
        r["assignment_id"]: json.loads(r["before"])
        for r in await db.fetchall(
            "SELECT c.assignment_id, c.before FROM assignment_changes c"
            " JOIN assignments a ON a.id = c.assignment_id WHERE a.roster_id = ?"
            " ORDER BY c.id DESC",
            (roster_id,),
        )
    }
    by_position = {d["position"]: d for d in drawn}
    differences = []
    for row in await db.fetchall(
        "SELECT id, position, target_id, inspector_a, inspector_b, reason, probability"
        " FROM assignments WHERE roster_id = ? ORDER BY position",
        (roster_id,),
    ):
        current = changed.get(row["id"], dict(row))
        expected = by_position.get(row["position"])
        actual = {
            "position": row["position"],
            "target_id": current["target_id"],
            "inspectors": [current["inspector_a"], current["inspector_b"]],
            "reason": row["reason"],
            "probability": row["probability"],
        }
        if expected is None or canonical({k: expected[k] for k in actual}) != canonical(actual):
            differences.append(
                Difference(
                    f"stored assignment {row['position']}",
                    canonical(actual),
                    canonical(expected or {}),
                    f"数据库中的第 {row['position']} 项任务",
                )
            )
    if len(by_position) != len(
        await db.fetchall("SELECT 1 FROM assignments WHERE roster_id = ?", (roster_id,))
    ):
        stored_rows = await db.fetchval(
            "SELECT COUNT(*) FROM assignments WHERE roster_id = ?", (roster_id,)
        )
        differences.append(Difference("stored assignment count", str(stored_rows),
                                      str(len(by_position)), "数据库中的任务条数"))
    return differences


async def reassign(
    db: Database, assignment_id: int, *, inspector_a: str, inspector_b: str, reason: str, actor: str
) -> None:
    """A leader's change of the pair for one visit; the reason is required and kept."""
    if not reason.strip():
        raise ValidationError("调整检查人员须填写理由", field="reason")
    if len(reason) > 500:
        raise ValidationError(f"理由最多 500 字，收到 {len(reason)} 字", field="reason")
    if inspector_a == inspector_b:
        raise ValidationError("两名检查人员不能是同一人", field="inspector_b")
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT a.id, a.target_id, a.inspector_a, a.inspector_b, a.status,"
            " t.enterprise_uscc FROM assignments a JOIN targets t ON t.id = a.target_id"
            " WHERE a.id = ?",
            (assignment_id,),
        )
        if row is None:
            raise NotFoundError(f"检查任务 {assignment_id} 不存在")
        if row["status"] != "planned":
            raise ConflictError(f"检查任务 {assignment_id} 已完成或已取消，不能再调整人员")
        for inspector in (inspector_a, inspector_b):
            if not await tx.fetchval(
                "SELECT 1 FROM inspectors WHERE id = ? AND active = 1", (inspector,)
            ):
                raise ValidationError(f"检查员“{inspector}”不存在或未在岗", field="inspector")
            if await tx.fetchval(
                "SELECT 1 FROM conflicts WHERE inspector_id = ? AND enterprise_uscc = ?",
                (inspector, row["enterprise_uscc"]),
            ):
                raise ValidationError(
                    f"检查员“{inspector}”与该企业存在利益冲突，须回避", field="inspector"
                )
        before = {
            "target_id": row["target_id"],
            "inspector_a": row["inspector_a"],
            "inspector_b": row["inspector_b"],
        }
        after = {**before, "inspector_a": inspector_a, "inspector_b": inspector_b}
        await tx.execute(
            "UPDATE assignments SET inspector_a = ?, inspector_b = ? WHERE id = ?",
            (inspector_a, inspector_b, assignment_id),
        )
        await tx.execute(
            "INSERT INTO assignment_changes (assignment_id, changed_at, changed_by, reason,"
            " before, after) VALUES (?, ?, ?, ?, ?, ?)",
            (assignment_id, utcnow(), actor, reason.strip(), canonical(before), canonical(after)),
        )
        await audit.record(
            tx,
            actor,
            "assignment.reassign",
            "assignment",
            str(assignment_id),
            {"before": before, "after": after, "reason": reason.strip()},
        )


async def assignments_for(db: Database, user: Any, day: date) -> list[dict[str, Any]]:
    """An inspector's assignments for a day (staff see all); empty when none is drawn."""
    roster_id = await current_roster_id(db, day)
    if roster_id is None:
        return []
    rows = [dict(r) for r in await db.fetchall(ROSTER_SQL, (roster_id,))]
    if user.role == "inspector":
        rows = [r for r in rows if user.inspector_id in (r["inspector_a"], r["inspector_b"])]
    return rows
