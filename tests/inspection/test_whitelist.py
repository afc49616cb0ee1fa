"""The whitelist lifecycle through the real app: review, decision, suspension, job, pages."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspection import inspections, jobs, whitelist
from inspection.clock import LOCAL, local_today, now_utc, to_utc_text
from inspection.db import Database, utcnow
from inspection.errors import ForbiddenError
from inspection.inspections import InspectionCreate
from inspection.users import get_user
from scoring.draw import Candidate, InspectorOnDuty, draw, inclusion_probabilities
from scoring.policy import load_policy
from scoring.risk import InspectionRecord, TargetFacts, score_target
from tests.inspection.city import (
    ACME,
    OTHER,
    PASSWORD,
    VISIT_DAY,
    VISIT_TIME,
    all_pass,
    seed,
    token,
)

Client = AsyncTestClient[Litestar]
TODAY = local_today()
YESTERDAY = TODAY - timedelta(days=1)
PHOTO_SHA = "ab" * 32
POLICY = load_policy()


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


# --- helpers ------------------------------------------------------------------------------


async def visit(
    client: Client,
    target: str,
    *,
    at: str = VISIT_TIME,
    fail: str | None = None,
) -> dict[str, Any]:
    """A leader's visit to a target (no assignment), failing one restaurant item if asked."""
    answers = all_pass("restaurant")
    photos = []
    if fail is not None:
        answers[fail] = {"result": "fail", "remark": "现场发现", "photos": [PHOTO_SHA]}
        photos = [{"sha256": PHOTO_SHA, "item_key": fail}]
    body = {
        "id": str(uuid.uuid4()),
        "target_id": target,
        "inspected_at": at,
        "answers": answers,
        "photos": photos,
    }
    response = await client.post(
        "/api/v1/inspections", json=body, headers=await token(client, "leader")
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def list_entry(
    db: Database, uscc: str, start: date, end: date, reason: str = "原有名单"
) -> int:
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "INSERT INTO whitelist (enterprise_uscc, valid_from, valid_to, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (uscc, start.isoformat(), end.isoformat(), reason, utcnow()),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def complaint(db: Database, complaint_id: str, target: str) -> None:
    received = to_utc_text(now_utc() - timedelta(days=2))
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO complaints (id, target_id, received_at, summary, created_at)"
            " VALUES (?, ?, ?, '油烟扰民', ?)",
            (complaint_id, target, received, utcnow()),
        )


async def past_visit(
    db: Database, visit_id: str, target: str, day: date, verdict: str = "pass"
) -> None:
    at = to_utc_text(datetime.combine(day, datetime.min.time(), LOCAL) + timedelta(hours=10))
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO inspections (id, target_id, inspected_at, verdict, body_sha256,"
            " source, created_at) VALUES (?, ?, ?, ?, 'x', 'import', ?)",
            (visit_id, target, at, verdict, utcnow()),
        )


async def entries(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT * FROM whitelist ORDER BY id")
    return [dict(r) for r in rows]


async def audit_actions(db: Database, prefix: str = "whitelist.") -> list[str]:
    rows = await db.fetchall(
        "SELECT action FROM audit_log WHERE action LIKE ? ORDER BY id", (prefix + "%",)
    )
    return [r[0] for r in rows]


async def review_now(client: Client) -> dict[str, Any]:
    response = await client.post("/api/v1/whitelist/review", headers=await token(client, "leader"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def decide(
    client: Client, proposal_id: int, approve: bool, reason: str = "", user: str = "leader"
) -> Any:
    return await client.post(
        f"/api/v1/whitelist/proposals/{proposal_id}/decision",
        json={"approve": approve, "reason": reason},
        headers=await token(client, user),
    )


async def eligible_acme(client: Client) -> dict[str, Any]:
    """Two clean visits for ACME, then a review: its one 'add' proposal."""
    await visit(client, "R-1", at=f"{VISIT_DAY}T09:00:00+08:00")
    await visit(client, "R-2")
    result = await review_now(client)
    assert [p["enterprise_uscc"] for p in result["proposals"]] == [ACME]
    return result["proposals"][0]  # type: ignore[no-any-return]


# --- review and decision ------------------------------------------------------------------


async def test_eligible_enterprise_is_proposed_approved_and_scores_w(
    city: Client, app: Litestar
) -> None:
    first = await visit(city, "R-1", at=f"{VISIT_DAY}T09:00:00+08:00")
    second = await visit(city, "R-2")
    result = await review_now(city)

    assert result["as_of"] == YESTERDAY.isoformat()
    [proposal] = result["proposals"]
    assert proposal["action"] == "add" and proposal["status"] == "pending"
    assert proposal["enterprise_name"] == "许昌清风餐饮管理有限公司"
    assert proposal["valid_from"] == TODAY.isoformat()
    assert proposal["valid_to"] == (TODAY + timedelta(days=364)).isoformat()
    assert sorted(proposal["records"]) == sorted([first["id"], second["id"]])
    assert "符合标杆企业条件" in proposal["reason"]

    leader = await token(city, "leader")
    before = await city.get("/api/v1/targets/R-1/score", headers=leader)
    assert before.json()["tier"] != "W"
    decided = await decide(city, proposal["id"], True, "复核无误")
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["decided_by"] == "leader"
    assert decided.json()["decision_reason"] == "复核无误"

    [entry] = await entries(app.state.db)
    assert entry["id"] == decided.json()["whitelist_id"]
    assert (entry["enterprise_uscc"], entry["valid_from"], entry["valid_to"]) == (
        ACME,
        proposal["valid_from"],
        proposal["valid_to"],
    )
    assert entry["reason"] == proposal["reason"] and entry["revoked_on"] is None
    listed = (await city.get("/api/v1/whitelist", headers=leader)).json()
    assert [(w["enterprise_uscc"], w["enterprise_name"]) for w in listed] == [
        (ACME, "许昌清风餐饮管理有限公司")
    ]
    for target in ("R-1", "R-2"):
        score = (await city.get(f"/api/v1/targets/{target}/score", headers=leader)).json()
        assert score["tier"] == "W" and score["weight"] == 0.5
    assert (await city.get("/api/v1/targets/S-1/score", headers=leader)).json()["tier"] != "W"
    assert await audit_actions(app.state.db) == ["whitelist.review", "whitelist.decide"]


async def test_a_review_stores_no_second_pending_proposal(city: Client, app: Litestar) -> None:
    await eligible_acme(city)
    again = await review_now(city)
    assert again["proposals"] == []
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM whitelist_proposals") == 1
    details = await app.state.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'whitelist.review' ORDER BY id"
    )
    counts = [(d["stored"], d["skipped"]) for d in (msgspec.json.decode(r[0]) for r in details)]
    assert counts == [(1, 0), (0, 1)]


async def test_an_enterprise_with_too_few_visits_is_not_proposed(city: Client) -> None:
    # One clean visit where the policy asks for two.
    await visit(city, "R-1")
    assert (await review_now(city))["proposals"] == []


async def test_a_rejection_needs_a_reason_and_lists_nothing(city: Client, app: Litestar) -> None:
    proposal = await eligible_acme(city)
    blank = await decide(city, proposal["id"], False, "   ")
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert "驳回须填写理由" in blank.json()["detail"]
    rejected = await decide(city, proposal["id"], False, "近期群众反映较多，暂缓")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reason"] == "近期群众反映较多，暂缓"
    assert await entries(app.state.db) == []
    leader = await token(city, "leader")
    done = (await city.get("/api/v1/whitelist/proposals?status=rejected", headers=leader)).json()
    assert [p["id"] for p in done] == [proposal["id"]]
    assert (
        await city.get("/api/v1/whitelist/proposals?status=pending", headers=leader)
    ).json() == []
    bad = await city.get("/api/v1/whitelist/proposals?status=maybe", headers=leader)
    assert bad.status_code == 422


async def review_details(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'whitelist.review' ORDER BY id"
    )
    return [msgspec.json.decode(r[0]) for r in rows]


async def test_a_rejected_proposal_waits_for_something_new(city: Client, app: Litestar) -> None:
    db = app.state.db
    proposal = await eligible_acme(city)
    assert (await decide(city, proposal["id"], False, "暂缓，下季度再议")).status_code == 200
    # Nothing recorded about ACME's targets since the rejection: not asked again.
    assert (await review_now(city))["proposals"] == []
    assert (await review_details(db))[-1]["held_after_rejection"] == 1
    # Another enterprise's visit changes nothing for ACME.
    await past_visit(db, "I-S1", "S-1", YESTERDAY)
    assert (await review_now(city))["proposals"] == []
    # A visit to one of ACME's targets entered after the rejection puts it again.
    await visit(city, "R-2", at=f"{VISIT_DAY}T15:00:00+08:00")
    [again] = (await review_now(city))["proposals"]
    assert (again["enterprise_uscc"], again["action"], again["status"]) == (ACME, "add", "pending")
    assert (await review_details(db))[-1]["held_after_rejection"] == 0


async def test_a_complaint_decided_after_a_rejection_counts_as_new(
    city: Client, app: Litestar
) -> None:
    db = app.state.db
    proposal = await eligible_acme(city)
    await complaint(db, "C-OLD", "R-1")
    assert (await decide(city, proposal["id"], False, "待投诉核实")).status_code == 200
    assert (await review_now(city))["proposals"] == []
    # Visits and the complaint entered four days ago, the rejection three days ago; the
    # complaint is found unsubstantiated two days ago: only its outcome is new.
    async with db.transaction() as tx:
        for table in ("inspections", "complaints"):
            await tx.execute(
                f"UPDATE {table} SET created_at = ?",
                (to_utc_text(now_utc() - timedelta(days=4)),),
            )
        await tx.execute(
            "UPDATE whitelist_proposals SET decided_at = ? WHERE id = ?",
            (to_utc_text(now_utc() - timedelta(days=3)), proposal["id"]),
        )
    assert (await review_now(city))["proposals"] == []
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE complaints SET status = 'unsubstantiated', checked_on = ? WHERE id = 'C-OLD'",
            ((TODAY - timedelta(days=2)).isoformat(),),
        )
    [again] = (await review_now(city))["proposals"]
    assert again["enterprise_uscc"] == ACME


async def test_a_reason_longer_than_the_limit_is_refused(city: Client) -> None:
    proposal = await eligible_acme(city)
    too_long = await decide(city, proposal["id"], False, "理" * (whitelist.MAX_REASON + 1))
    assert too_long.status_code == 422
    at_limit = await decide(city, proposal["id"], False, "理" * whitelist.MAX_REASON)
    assert at_limit.status_code == 200


async def test_deciding_twice_is_a_conflict(city: Client, app: Litestar) -> None:
    proposal = await eligible_acme(city)
    assert (await decide(city, proposal["id"], True)).status_code == 200
    again = await decide(city, proposal["id"], False, "改变主意", user="admin")
    assert again.status_code == 409 and "不能再次审批" in again.json()["detail"]
    assert len(await entries(app.state.db)) == 1
    assert (await decide(city, 999, True)).status_code == 404


async def test_an_enterprise_no_longer_eligible_is_removed_on_approval(
    city: Client, app: Litestar
) -> None:
    db = app.state.db
    await list_entry(db, ACME, TODAY - timedelta(days=200), TODAY + timedelta(days=165))
    # A violation from before the entry began: not a suspension, but no longer eligible.
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO violations (id, target_id, found_on, severity, created_at)"
            " VALUES ('V-OLD', 'R-1', ?, 'minor', ?)",
            ((TODAY - timedelta(days=300)).isoformat(), utcnow()),
        )
    [proposal] = (await review_now(city))["proposals"]
    assert proposal["action"] == "remove" and proposal["records"][0] == "V-OLD"
    assert proposal["valid_from"] is None
    assert "不再符合标杆企业条件" in proposal["reason"]

    assert (await decide(city, proposal["id"], True, "同意移出")).status_code == 200
    [entry] = await entries(db)
    assert entry["revoked_on"] == TODAY.isoformat()
    assert entry["revoked_reason"].startswith(proposal["reason"])
    assert "leader" in entry["revoked_reason"] and "同意移出" in entry["revoked_reason"]
    score = (
        await city.get("/api/v1/targets/R-1/score", headers=await token(city, "leader"))
    ).json()
    assert score["tier"] != "W"
    assert (await city.get("/api/v1/whitelist", headers=await token(city, "leader"))).json() == []


async def test_a_renewal_is_proposed_once_and_follows_the_entry(
    city: Client, app: Litestar
) -> None:
    db = app.state.db
    # Ends 29 days after the review's as_of: within the 30-day notice.
    end = YESTERDAY + timedelta(days=29)
    await list_entry(db, ACME, end - timedelta(days=364), end)
    await past_visit(db, "OLD-1", "R-1", TODAY - timedelta(days=40))
    await past_visit(db, "OLD-2", "R-2", TODAY - timedelta(days=20))
    [renewal] = (await review_now(city))["proposals"]
    assert renewal["action"] == "add"
    assert renewal["valid_from"] == (end + timedelta(days=1)).isoformat()
    assert renewal["valid_to"] == (end + timedelta(days=365)).isoformat()
    assert (await decide(city, renewal["id"], True)).status_code == 200
    assert [e["valid_from"] for e in await entries(db)] == [
        (end - timedelta(days=364)).isoformat(),
        renewal["valid_from"],
    ]
    # The renewal already approved covers the next term: nothing to propose again.
    assert (await review_now(city))["proposals"] == []


async def test_an_entry_ending_beyond_the_notice_is_left_alone(city: Client, app: Litestar) -> None:
    end = YESTERDAY + timedelta(days=30)
    await list_entry(app.state.db, ACME, end - timedelta(days=364), end)
    await past_visit(app.state.db, "OLD-1", "R-1", TODAY - timedelta(days=40))
    await past_visit(app.state.db, "OLD-2", "R-2", TODAY - timedelta(days=20))
    assert (await review_now(city))["proposals"] == []


async def test_an_add_decided_late_starts_on_the_day_of_approval(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        await past_visit(db, "OLD-1", "R-1", date(2026, 11, 2))
        await past_visit(db, "OLD-2", "R-2", date(2026, 11, 3))
        [pid] = await whitelist.review(db, POLICY, date(2026, 11, 30), actor="test")
        leader = await get_user(db, 2)
        assert leader is not None and leader.role == "leader"
        decided = await whitelist.decide(
            db, pid, approve=True, reason="", actor=leader, today=date(2026, 12, 4)
        )
        [entry] = await entries(db)
    assert decided.valid_from == "2026-12-01" and decided.decision_reason is None
    assert (entry["valid_from"], entry["valid_to"]) == ("2026-12-04", "2027-11-30")


async def test_only_a_leader_or_admin_decides(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        await past_visit(db, "OLD-1", "R-1", date(2026, 11, 2))
        await past_visit(db, "OLD-2", "R-2", date(2026, 11, 3))
        [pid] = await whitelist.review(db, POLICY, date(2026, 11, 30), actor="test")
        inspector = await get_user(db, 3)
        assert inspector is not None and inspector.role == "inspector"
        with pytest.raises(ForbiddenError):
            await whitelist.decide(db, pid, approve=True, reason="", actor=inspector)
        assert await db.fetchval("SELECT status FROM whitelist_proposals") == "pending"


# --- immediate suspension -----------------------------------------------------------------


async def test_a_serious_finding_revokes_the_entry_at_once(city: Client, app: Litestar) -> None:
    db = app.state.db
    entry_id = await list_entry(db, ACME, TODAY - timedelta(days=100), TODAY + timedelta(days=265))
    # A renewal awaiting the leader: the suspension settles it.
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO whitelist_proposals (enterprise_uscc, action, reason, proposed_on)"
            " VALUES (?, 'add', '续期', ?)",
            (ACME, TODAY.isoformat()),
        )

    found = await visit(city, "R-1", fail="purifier_installed")
    assert found["verdict"] == "fail"
    violation = await db.fetchval(
        "SELECT id FROM violations WHERE inspection_id = ?", (found["id"],)
    )
    [entry] = await entries(db)
    assert entry["id"] == entry_id and entry["revoked_on"] == VISIT_DAY
    assert f"较重违法行为 {violation}" in entry["revoked_reason"]
    assert found["id"] in entry["revoked_reason"] and "清风小厨" in entry["revoked_reason"]
    settled = await db.fetchone(
        "SELECT status, decided_by, decision_reason FROM whitelist_proposals"
    )
    assert settled is not None and tuple(settled)[:2] == ("rejected", "system")
    assert await audit_actions(db) == ["whitelist.suspend", "whitelist.decide"]

    acme = await token(city, "acme")
    status = (await city.get(f"/api/v1/enterprises/{ACME}/status", headers=acme)).json()
    assert status["whitelist"]["listed"] is False
    assert status["whitelist"]["revoked_on"] == VISIT_DAY
    assert status["whitelist"]["revoked_reason"] == entry["revoked_reason"]
    assert all(t["tier"] != "W" for t in status["targets"])

    await log_in(city, "acme")
    page = await city.get(f"/enterprise/{ACME}")
    assert f"已于 {VISIT_DAY} 移出名单" in page.text and violation in page.text
    history = await city.get(f"/enterprise/{ACME}/history")
    assert f"{VISIT_DAY} 移出" in history.text and violation in history.text


async def test_a_substantiated_complaint_revokes_the_entry(city: Client, app: Litestar) -> None:
    db = app.state.db
    await list_entry(db, ACME, TODAY - timedelta(days=100), TODAY + timedelta(days=265))
    await complaint(db, "C-1", "R-2")
    # A minor finding: no violation, but the visit fails and substantiates the complaint.
    found = await visit(city, "R-2", fail="exhaust_outlet_placement")
    assert found["verdict"] == "fail"
    assert await db.fetchval("SELECT COUNT(*) FROM violations") == 0
    assert await db.fetchval("SELECT status FROM complaints") == "substantiated"
    [entry] = await entries(db)
    assert entry["revoked_on"] == VISIT_DAY
    assert "属实投诉 C-1" in entry["revoked_reason"]


async def test_a_minor_finding_or_an_unfounded_complaint_keeps_the_entry(
    city: Client, app: Litestar
) -> None:
    db = app.state.db
    await list_entry(db, ACME, TODAY - timedelta(days=100), TODAY + timedelta(days=265))
    await visit(city, "R-1", fail="exhaust_outlet_placement", at=f"{VISIT_DAY}T09:00:00+08:00")
    await complaint(db, "C-1", "R-2")
    await visit(city, "R-2")
    assert await db.fetchval("SELECT status FROM complaints") == "unsubstantiated"
    [entry] = await entries(db)
    assert entry["revoked_on"] is None
    assert await audit_actions(db) == []


async def test_a_suspension_also_revokes_an_approved_renewal(city: Client, app: Litestar) -> None:
    db = app.state.db
    end = TODAY + timedelta(days=10)
    await list_entry(db, ACME, end - timedelta(days=364), end)
    await list_entry(db, ACME, end + timedelta(days=1), end + timedelta(days=365), "续期")
    await list_entry(db, OTHER, TODAY - timedelta(days=5), TODAY + timedelta(days=300))
    await visit(city, "R-1", fail="purifier_running")
    revoked = [(e["enterprise_uscc"], e["revoked_on"]) for e in await entries(db)]
    assert revoked == [(ACME, VISIT_DAY), (ACME, VISIT_DAY), (OTHER, None)]


async def test_the_policy_passed_decides_what_suspends(tmp_path: Path) -> None:
    lenient = msgspec.structs.replace(
        POLICY, whitelist=msgspec.structs.replace(POLICY.whitelist, suspend_on_complaint=False)
    )
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        await list_entry(db, ACME, TODAY - timedelta(days=100), TODAY + timedelta(days=265))
        await complaint(db, "C-1", "R-2")
        leader = await get_user(db, 2)
        assert leader is not None
        answers = {
            **all_pass("restaurant"),
            "exhaust_outlet_placement": {"result": "fail", "photos": [PHOTO_SHA]},
        }
        body = msgspec.convert(
            {
                "id": str(uuid.uuid4()),
                "target_id": "R-2",
                "inspected_at": VISIT_TIME,
                "answers": answers,
                "photos": [{"sha256": PHOTO_SHA, "item_key": "exhaust_outlet_placement"}],
            },
            InspectionCreate,
        )
        await inspections.create(db, leader, body, policy=lenient)
        assert await db.fetchval("SELECT status FROM complaints") == "substantiated"
        assert await db.fetchval("SELECT revoked_on FROM whitelist") is None


# --- a whitelisted target is still drawn sometimes ----------------------------------------


def test_a_whitelisted_target_keeps_a_chance_of_a_random_visit() -> None:
    facts = TargetFacts(
        "R-1",
        "restaurant",
        ACME,
        "魏都区",
        "low",
        whitelisted=True,
        whitelisted_since=date(2026, 1, 1),
        inspections=(InspectionRecord("I-1", date(2026, 11, 1), "pass"),),
    )
    score = score_target(facts, POLICY, date(2026, 12, 4))
    assert score.tier == "W" and score.weight == 0.5 and score.must_visit is None

    # 300 whitelisted and 300 high-risk targets, 10 pairs of 4 visits: 40 slots.
    weights = [0.5] * 300 + [8.0] * 300
    assert min(inclusion_probabilities(weights, 34)) > 0
    candidates = [
        Candidate(f"T-{i:03d}", None, "魏都区", "restaurant", "W" if i < 300 else "H", weights[i])
        for i in range(600)
    ]
    staff = [InspectorOnDuty(f"XC-{i:03d}", "一队", "魏都区") for i in range(20)]
    drawn = draw(date(2026, 12, 4), "ab" * 16, candidates, staff, POLICY)
    whitelisted = [a for a in drawn.assignments if a.target_id < "T-300"]
    assert whitelisted and all(a.probability > 0 for a in whitelisted)
    assert {a.reason for a in whitelisted} <= {"uniform", "random"}
    uniform = [a for a in drawn.assignments if a.reason == "uniform"]
    assert len(uniform) == 6 and all(a.probability == 6 / 600 for a in uniform)


# --- who may do what ----------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/v1/whitelist"),
    ("GET", "/api/v1/whitelist/proposals"),
    ("POST", "/api/v1/whitelist/proposals/1/decision"),
    ("POST", "/api/v1/whitelist/review"),
]


@pytest.mark.parametrize("user", ["insp1", "acme", "other"])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_the_api_is_refused_to_inspectors_and_enterprises(
    city: Client, app: Litestar, user: str, method: str, path: str
) -> None:
    await eligible_acme(city)
    response = await city.request(
        method, path, json={"approve": True, "reason": ""}, headers=await token(city, user)
    )
    assert response.status_code == 403
    assert await app.state.db.fetchval("SELECT status FROM whitelist_proposals") == "pending"
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM whitelist_proposals") == 1


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_the_api_needs_a_login(city: Client, method: str, path: str) -> None:
    response = await city.request(method, path, json={"approve": True, "reason": ""})
    # Without a bearer token a POST meets the CSRF check before the login check.
    assert response.status_code == (401 if method == "GET" else 403)


@pytest.mark.parametrize("user", ["admin", "leader"])
async def test_staff_read_the_list_and_proposals(city: Client, user: str) -> None:
    await eligible_acme(city)
    headers = await token(city, user)
    assert (await city.get("/api/v1/whitelist", headers=headers)).status_code == 200
    pending = await city.get("/api/v1/whitelist/proposals", headers=headers)
    assert [p["status"] for p in pending.json()] == ["pending"]


# --- the leader's page --------------------------------------------------------------------


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


async def log_in(client: Client, username: str) -> str:
    """Log in through the form; returns a CSRF token for the next form."""
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/public")).text)


async def test_the_leader_reviews_rejects_and_approves_on_the_page(
    city: Client, app: Litestar
) -> None:
    await visit(city, "R-1", at=f"{VISIT_DAY}T09:00:00+08:00")
    await visit(city, "R-2")
    csrf = await log_in(city, "leader")
    page = await city.get("/leader/whitelist")
    assert page.status_code == 200 and "没有待审批的提议" in page.text
    assert 'href="/leader/whitelist"' in page.text

    ran = await city.post(
        "/leader/whitelist/review", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert ran.status_code == 303
    page = await city.get("/leader/whitelist")
    pid = await app.state.db.fetchval("SELECT id FROM whitelist_proposals")
    assert f'id="proposal-{pid}"' in page.text and "许昌清风餐饮管理有限公司" in page.text
    assert f"拟定有效期：{TODAY} 至 {TODAY + timedelta(days=364)}" in page.text
    assert re.search(rf'id="reject-reason-{pid}" name="reason" required', page.text)

    url = f"/leader/whitelist/proposals/{pid}"
    csrf = csrf_of(page.text)
    blank = await city.post(url, data={"decision": "reject", "reason": "", "_csrf_token": csrf})
    assert blank.status_code == 422 and "驳回须填写理由" in blank.text
    odd = await city.post(url, data={"decision": "maybe", "_csrf_token": csrf})
    assert odd.status_code == 422
    approved = await city.post(
        url, data={"decision": "approve", "reason": "", "_csrf_token": csrf}, follow_redirects=False
    )
    assert approved.status_code == 303
    page = await city.get("/leader/whitelist")
    assert "没有待审批的提议" in page.text
    assert f"有效期 {TODAY} 至 {TODAY + timedelta(days=364)}" in page.text
    assert "批准列入：许昌清风餐饮管理有限公司" in page.text

    again = await city.post(url, data={"decision": "approve", "_csrf_token": csrf})
    assert again.status_code == 409


async def test_the_history_shows_suspensions_with_their_reasons(
    city: Client, app: Litestar
) -> None:
    await list_entry(app.state.db, ACME, TODAY - timedelta(days=100), TODAY + timedelta(days=265))
    await visit(city, "R-1", fail="purifier_installed")
    await log_in(city, "leader")
    page = await city.get("/leader/whitelist")
    assert f"{VISIT_DAY} 移出名单：许昌清风餐饮管理有限公司" in page.text
    assert "立即暂停标杆企业资格" in page.text
    assert "名单暂无企业" in page.text


@pytest.mark.parametrize("user", ["insp1", "acme"])
async def test_the_page_is_refused_to_inspectors_and_enterprises(
    city: Client, app: Litestar, user: str
) -> None:
    await eligible_acme(city)
    csrf = await log_in(city, user)
    assert (await city.get("/leader/whitelist")).status_code == 403
    for path, form in (
        ("/leader/whitelist/review", {}),
        ("/leader/whitelist/proposals/1", {"decision": "approve"}),
    ):
        response = await city.post(path, data={**form, "_csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 403
    assert await app.state.db.fetchval("SELECT status FROM whitelist_proposals") == "pending"
    assert 'href="/leader/whitelist"' not in (await city.get("/public")).text


# --- the weekly job -----------------------------------------------------------------------

# 02:00 on Monday 7 December 2026 in Xuchang is 18:00 UTC on the 6th.
MONDAY = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


async def test_the_weekly_review_runs_once_per_iso_week(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        await past_visit(db, "OLD-1", "R-1", date(2026, 11, 20))
        await past_visit(db, "OLD-2", "R-2", date(2026, 11, 25))
        first = await jobs.whitelist_review(db, POLICY, now=MONDAY)
        wednesday = await jobs.whitelist_review(db, POLICY, now=MONDAY + timedelta(days=2))
        next_week = await jobs.whitelist_review(db, POLICY, now=MONDAY + timedelta(days=7))
        runs = [
            tuple(r)
            for r in await db.fetchall(
                "SELECT run_key, outcome FROM job_runs WHERE job = 'whitelist_review' ORDER BY 1"
            )
        ]
        proposal = await db.fetchone("SELECT * FROM whitelist_proposals")
    assert first == "1 whitelist proposals stored as of 2026-12-06"
    assert wednesday == "claimed by another process"
    assert next_week == "0 whitelist proposals stored as of 2026-12-13"
    assert runs == [("2026-W50", first), ("2026-W51", next_week)]
    assert proposal is not None
    assert (proposal["proposed_on"], proposal["as_of"]) == ("2026-12-07", "2026-12-06")
    assert (proposal["as_of"], proposal["valid_from"], proposal["valid_to"]) == (
        "2026-12-06",
        "2026-12-07",
        "2027-12-06",
    )


async def test_the_week_key_is_the_iso_year_across_new_year(tmp_path: Path) -> None:
    # Monday 28 December 2026 and Friday 1 January 2027 are both in ISO week 2026-W53.
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        monday = datetime(2026, 12, 27, 18, 0, tzinfo=UTC)
        assert (await jobs.whitelist_review(db, POLICY, now=monday)).startswith("0 ")
        friday = await jobs.whitelist_review(db, POLICY, now=monday + timedelta(days=4))
        assert friday == "claimed by another process"
        assert await db.fetchval("SELECT run_key FROM job_runs") == "2026-W53"


async def test_the_scheduler_runs_the_review_on_monday_at_two(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        app = SimpleNamespace(
            state=SimpleNamespace(
                settings=SimpleNamespace(roster_time=(18, 0)), db=db, policy=POLICY
            )
        )
        scheduler = jobs.start_scheduler(app)
        try:
            job = scheduler.get_job("whitelist_review")
            following = job.trigger.get_next_fire_time(None, MONDAY - timedelta(hours=1))
        finally:
            scheduler.shutdown(wait=False)
    assert job.func is jobs.whitelist_review and job.args == (db, POLICY)
    assert following.astimezone(LOCAL).isoformat() == "2026-12-07T02:00:00+08:00"
