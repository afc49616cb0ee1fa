"""Corrective actions through the real app: deadlines, evidence, verification, overdue."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from checklists import judge, load_checklist
from inspection import audit, corrective, jobs, rosters
from inspection.clock import local_date
from inspection.corrective import CorrectivePolicyError, load_corrective_policy
from inspection.db import Database
from scoring.policy import load_policy
from tests.conftest import DATA
from tests.inspection.city import ACME, KIND_OF, all_pass, seed, token

Client = AsyncTestClient[Litestar]
PHOTO = DATA / "photos" / "jpg" / "orientation" / "portrait_6.jpg"
# 00:30 in Xuchang on 4 December is still 3 December in UTC: the local day counts.
EARLY = "2025-12-04T00:30:00+08:00"


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def visit_body(
    target: str,
    *,
    fail: tuple[str, ...] = (),
    passes: tuple[str, ...] = (),
    at: str = EARLY,
    version: str | None = None,
    assignment_id: int | None = None,
) -> dict[str, Any]:
    """An inspection failing and passing the given yes/no items, each failure photographed."""
    answers: dict[str, Any] = all_pass(KIND_OF[target], version)
    answers |= {key: "pass" for key in passes}
    answers |= {k: {"result": "fail", "remark": "现场未整改", "photos": [_sha(k)]} for k in fail}
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "target_id": target,
        "inspected_at": at,
        "answers": answers,
        "photos": [{"sha256": _sha(k), "item_key": k} for k in fail],
    }
    if version is not None:
        body["checklist_version"] = version
    if assignment_id is not None:
        body["assignment_id"] = assignment_id
    return body


async def record(client: Client, body: dict[str, Any], who: str = "leader") -> dict[str, Any]:
    response = await client.post("/api/v1/inspections", json=body,
                                 headers=await token(client, who))
    assert response.status_code == 201, response.text
    return response.json()


async def actions(client: Client, who: str = "leader", **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/corrective-actions", params=query,
                                headers=await token(client, who))
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ policy


def test_policy_numbers_and_their_sources() -> None:
    policy = corrective.DEFAULT_POLICY
    assert policy.deadline_days == {"critical": 7, "serious": 15, "minor": 30,
                                    "administrative": 30}
    assert set(policy.sources) == {f"deadline_days.{s}" for s in corrective.SEVERITIES}
    assert all(text.strip() for text in policy.sources.values())


@pytest.mark.parametrize(("severity", "deadline"), [
    ("critical", date(2025, 12, 11)), ("serious", date(2025, 12, 19)),
    ("minor", date(2026, 1, 3)), ("administrative", date(2026, 1, 3))])
def test_deadline_is_the_local_day_plus_the_policy_days(severity: str, deadline: date) -> None:
    assert corrective.DEFAULT_POLICY.deadline(severity, date(2025, 12, 4)) == deadline


@pytest.mark.parametrize(("table", "named"), [
    ('critical = { value = 0, source = "x" }', "deadline_days.critical"),
    ('critical = { value = 7 }', "deadline_days.critical"),
    ('critical = { value = 7.5, source = "x" }', "deadline_days.critical"),
    ('urgent = { value = 3, source = "x" }', "urgent"),
    ("", "deadline_days.critical"),
])
def test_a_bad_policy_file_names_the_key(tmp_path: Path, table: str, named: str) -> None:
    good = {s: f'{s} = {{ value = 30, source = "x" }}' for s in corrective.SEVERITIES}
    if table:
        good[table.split(" ")[0]] = table
    else:
        del good["critical"]
    path = tmp_path / "policy.toml"
    path.write_text('version = "t"\ndescription = "t"\n[deadline_days]\n'
                    + "\n".join(good.values()), encoding="utf-8")
    with pytest.raises(CorrectivePolicyError) as caught:
        load_corrective_policy(path)
    assert named in str(caught.value) and str(path) in str(caught.value)


# ------------------------------------------------------------------ opening


async def test_each_finding_opens_an_action_with_its_severitys_deadline(
        city: Client, app: Litestar) -> None:
    body = visit_body("R-1", fail=("purifier_installed", "exhaust_outlet_placement"))
    await record(city, body)
    site = visit_body("S-1", fail=("dust_control_staff",), passes=("hoarding",))
    await record(city, site)

    found = {a["item_key"]: a for a in await actions(city)}
    assert {k: (a["severity"], a["opened_on"], a["deadline"], a["status"])
            for k, a in found.items()} == {
        "purifier_installed": ("serious", "2025-12-04", "2025-12-19", "open"),
        "exhaust_outlet_placement": ("minor", "2025-12-04", "2026-01-03", "open"),
        "dust_control_staff": ("administrative", "2025-12-04", "2026-01-03", "open"),
    }
    assert found["purifier_installed"]["item_label"] == "已安装油烟净化设施"
    # Serious findings still become violations; minor and administrative ones do not.
    violations = await app.state.db.fetchall("SELECT severity, inspection_id FROM violations")
    assert [tuple(v) for v in violations] == [("serious", body["id"])]
    opened = await app.state.db.fetchval(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'corrective.open'")
    assert opened == 3


async def test_a_critical_finding_gets_seven_days(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        await seed(db)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO inspections (id, target_id, inspected_at, checklist_id,"
                " checklist_version, verdict, body_sha256, created_at) VALUES"
                " ('v1', 'R-1', '2025-12-03T16:30:00.000000Z', 'restaurant', '1', 'fail',"
                " 'x', '2025-12-03T16:30:00.000000Z')")
            await corrective.follow_up(
                tx, inspection_id="v1", target_id="R-1",
                inspected_at="2025-12-03T16:30:00.000000Z", actor="test",
                judgement={"verdict": "fail", "checklist_version": "1", "results": [],
                           "findings": [{"item": "purifier_running", "severity": "critical",
                                         "message": "净化器未运行"}]})
        row = await db.fetchone("SELECT severity, opened_on, deadline FROM corrective_actions")
    assert tuple(row) == ("critical", "2025-12-04", "2025-12-11")


async def test_a_passing_visit_opens_nothing(city: Client, app: Litestar) -> None:
    await record(city, visit_body("R-1", passes=("purifier_installed",)))
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM corrective_actions") == 0


# ------------------------------------------------------------------ who sees what


async def test_each_role_sees_its_own_actions(city: Client) -> None:
    roster = (await city.post("/api/v1/rosters/2025-12-04", json={"seed": "ab" * 16},
                              headers=await token(city, "leader"))).json()
    mine = next(a for a in roster["assignments"] if "XC-001" in (a["inspector_a"],
                                                                  a["inspector_b"]))
    key = "purifier_installed" if mine["kind"] == "restaurant" else "hoarding"
    await record(city, visit_body(mine["target_id"], fail=(key,), at="2025-12-04T10:00:00+08:00",
                                  assignment_id=mine["id"]), who="insp1")
    await record(city, visit_body("S-1" if mine["target_id"] != "S-1" else "R-1",
                                  fail=("hoarding",) if mine["target_id"] != "S-1"
                                  else ("purifier_installed",)))

    assert len(await actions(city)) == 2
    assert [a["target_id"] for a in await actions(city, "insp1")] == [mine["target_id"]]
    assert await actions(city, "insp3") == []
    acme_targets = {a["target_id"] for a in await actions(city, "acme")}
    other_targets = {a["target_id"] for a in await actions(city, "other")}
    assert acme_targets <= {"R-1", "R-2"} and other_targets <= {"S-1"}
    assert len(acme_targets) + len(other_targets) == 2

    hidden = (await actions(city))[0]["id"]
    owner = "acme" if (await actions(city))[0]["enterprise_uscc"] == ACME else "other"
    stranger = "other" if owner == "acme" else "acme"
    assert (await city.get(f"/api/v1/corrective-actions/{hidden}",
                           headers=await token(city, owner))).status_code == 200
    assert (await city.get(f"/api/v1/corrective-actions/{hidden}",
                           headers=await token(city, stranger))).status_code == 404


async def test_status_filter_and_a_wrong_status(city: Client) -> None:
    await record(city, visit_body("R-1", fail=("purifier_installed",)))
    assert len(await actions(city, status="open")) == 1
    assert await actions(city, status="closed") == []
    wrong = await city.get("/api/v1/corrective-actions", params={"status": "late"},
                           headers=await token(city, "leader"))
    assert wrong.status_code == 422 and "late" in wrong.json()["detail"]


# ------------------------------------------------------------------ evidence


async def _one_action(city: Client, target: str = "R-1") -> int:
    await record(city, visit_body(target, fail=("purifier_installed",)))
    return int((await actions(city))[0]["id"])


async def test_the_enterprise_answers_its_own_action_with_evidence(
        city: Client, app: Litestar) -> None:
    action_id = await _one_action(city)
    data = PHOTO.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    acme = await token(city, "acme")
    url = f"/api/v1/corrective-actions/{action_id}/evidence"

    sent = await city.post(url, json={"text": "已安装油烟净化器并投入使用", "photos": [digest]},
                           headers=acme)
    assert sent.status_code == 201, sent.text
    assert sent.json()["action"]["status"] == "awaiting_reinspection"
    assert sent.json()["evidence"][0]["photos"] == [
        {"sha256": digest, "received": False, "media_type": None, "width": None,
         "height": None, "received_at": None}]

    uploaded = await city.put(f"{url}/photos/{digest}", content=data, headers=acme)
    assert uploaded.status_code == 201, uploaded.text
    assert (await city.put(f"{url}/photos/{digest}", content=data, headers=acme)
            ).status_code == 200
    read = (await city.get(f"/api/v1/corrective-actions/{action_id}", headers=acme)).json()
    assert read["evidence"][0]["photos"][0]["received"] is True

    assert (await city.get(f"{url}/photos/{digest}/display", headers=acme)).status_code == 200
    assert (await city.get(f"{url}/photos/{digest}/original", headers=acme)).status_code == 404
    original = await city.get(f"{url}/photos/{digest}/original",
                              headers=await token(city, "leader"))
    assert original.content == data
    actions_audited = [r[0] for r in await app.state.db.fetchall(
        "SELECT action FROM audit_log WHERE entity = 'corrective_action' ORDER BY id")]
    assert actions_audited == ["corrective.open", "corrective.evidence", "corrective.photo"]


async def test_evidence_for_another_enterprises_action_is_refused(
        city: Client, app: Litestar) -> None:
    action_id = await _one_action(city)
    url = f"/api/v1/corrective-actions/{action_id}/evidence"
    other = await city.post(url, json={"text": "冒名提交"}, headers=await token(city, "other"))
    assert other.status_code == 404
    blank = await city.post(url, json={"text": "   "}, headers=await token(city, "acme"))
    assert blank.status_code == 422 and blank.json()["field"] == "text"
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM corrective_evidence") == 0
    assert await app.state.db.fetchval("SELECT status FROM corrective_actions") == "open"


async def test_evidence_photos_must_be_declared_and_match_their_hash(city: Client) -> None:
    action_id = await _one_action(city)
    data = PHOTO.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    acme = await token(city, "acme")
    base = f"/api/v1/corrective-actions/{action_id}/evidence/photos"
    undeclared = await city.put(f"{base}/{digest}", content=data, headers=acme)
    assert undeclared.status_code == 422 and "未在" in undeclared.json()["detail"]

    await city.post(f"/api/v1/corrective-actions/{action_id}/evidence",
                    json={"text": "整改完成", "photos": [digest]}, headers=acme)
    wrong = await city.put(f"{base}/{'0' * 64}", content=data, headers=acme)
    assert wrong.status_code == 422
    stranger = await city.put(f"{base}/{digest}", content=data,
                              headers=await token(city, "other"))
    assert stranger.status_code == 404


# ------------------------------------------------------------------ verification


async def test_a_later_pass_of_the_item_closes_the_action(city: Client) -> None:
    first = visit_body("R-1", fail=("purifier_installed", "exhaust_outlet_placement"))
    await record(city, first)
    later = visit_body("R-1", passes=("purifier_installed",), fail=("purifier_running",),
                       at="2025-12-20T10:00:00+08:00")
    later["answers"]["exhaust_outlet_placement"] = "na"
    await record(city, later)

    by_item = {a["item_key"]: a for a in await actions(city)}
    assert by_item["purifier_installed"]["status"] == "closed"
    assert by_item["purifier_installed"]["closed_by"] == later["id"]
    # Not looked at again: still open. Found anew: its own action.
    assert by_item["exhaust_outlet_placement"]["status"] == "open"
    assert by_item["purifier_running"]["inspection_id"] == later["id"]


async def test_a_passing_visit_closes_every_open_action(city: Client) -> None:
    await record(city, visit_body("R-1", fail=("purifier_installed", "exhaust_outlet_placement")))
    passing = visit_body("R-1", passes=("purifier_running",), at="2025-12-20T10:00:00+08:00")
    await record(city, passing)
    assert {(a["status"], a["closed_by"]) for a in await actions(city)} == {
        ("closed", passing["id"])}


async def test_failing_again_keeps_the_action_and_links_the_finding(
        city: Client, app: Litestar) -> None:
    first = visit_body("R-1", fail=("purifier_installed",))
    await record(city, first)
    action_id = (await actions(city))[0]["id"]
    await city.post(f"/api/v1/corrective-actions/{action_id}/evidence",
                    json={"text": "已订购净化器"}, headers=await token(city, "acme"))
    again = visit_body("R-1", fail=("purifier_installed",), at="2025-12-20T10:00:00+08:00")
    await record(city, again)

    listed = await actions(city)
    assert [(a["id"], a["status"], a["deadline"]) for a in listed] == [
        (action_id, "open", "2025-12-19")]
    read = (await city.get(f"/api/v1/corrective-actions/{action_id}",
                           headers=await token(city, "leader"))).json()
    assert [f["inspection_id"] for f in read["findings"]] == [first["id"], again["id"]]
    # Both visits' serious findings are violations for scoring.
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM violations") == 2


async def test_an_earlier_visit_sent_late_closes_nothing(city: Client) -> None:
    await record(city, visit_body("R-1", fail=("purifier_installed",),
                                  at="2025-12-10T10:00:00+08:00"))
    await record(city, visit_body("R-1", passes=("purifier_installed",),
                                  at="2025-12-09T10:00:00+08:00"))
    assert [a["status"] for a in await actions(city)] == ["open"]


async def test_evidence_on_a_closed_action_is_a_conflict(city: Client) -> None:
    action_id = await _one_action(city)
    await record(city, visit_body("R-1", passes=("purifier_installed",),
                                  at="2025-12-20T10:00:00+08:00"))
    late = await city.post(f"/api/v1/corrective-actions/{action_id}/evidence",
                           json={"text": "补交材料"}, headers=await token(city, "acme"))
    assert late.status_code == 409


# ------------------------------------------------------------------ overdue


# The serious action opened on 4 December is due on the 19th (local).
LAST_MINUTE = datetime(2025, 12, 19, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on the 19th
NEXT_DAY = datetime(2025, 12, 19, 16, 0, tzinfo=UTC)  # 00:00 on the 20th


async def test_overdue_from_the_day_after_the_deadline(city: Client, app: Litestar) -> None:
    action_id = await _one_action(city)
    db = app.state.db
    assert await jobs.mark_overdue(db, now=LAST_MINUTE) == "0 corrective actions marked overdue"
    assert await db.fetchval("SELECT status FROM corrective_actions") == "open"

    assert await jobs.mark_overdue(db, now=NEXT_DAY) == "1 corrective actions marked overdue"
    assert await jobs.mark_overdue(db, now=NEXT_DAY) == "claimed by another process"
    row = await db.fetchone("SELECT status, overdue_on FROM corrective_actions")
    assert tuple(row) == ("overdue", "2025-12-20")
    assert [r[0] for r in await db.fetchall(
        "SELECT action FROM audit_log WHERE entity_id = ? AND entity = 'corrective_action'"
        " ORDER BY id", (str(action_id),))] == ["corrective.open", "corrective.overdue"]

    notes = await db.fetchall(
        "SELECT recipient_role, recipient_enterprise, corrective_action_id, message, read_at"
        " FROM notifications ORDER BY recipient_role")
    assert [(n[0], n[1], n[2], n[4]) for n in notes] == [
        ("enterprise", ACME, action_id, None), ("leader", None, action_id, None)]
    for note in notes:
        assert "2025-12-19" in note["message"] and "清风小厨（魏都店）" in note["message"]
    # The enterprise is told it is late, never when it will be visited.
    assert "复查" not in notes[0]["message"] and "检查计划" not in notes[0]["message"]
    assert "列入下一次检查计划" in notes[1]["message"]


async def test_evidence_in_time_is_not_overdue(city: Client, app: Litestar) -> None:
    action_id = await _one_action(city)
    await city.post(f"/api/v1/corrective-actions/{action_id}/evidence",
                    json={"text": "已整改"}, headers=await token(city, "acme"))
    assert await jobs.mark_overdue(app.state.db, now=NEXT_DAY) == (
        "0 corrective actions marked overdue")
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM notifications") == 0


async def test_notifications_reach_their_recipients(city: Client, app: Litestar) -> None:
    await _one_action(city)
    await jobs.mark_overdue(app.state.db, now=NEXT_DAY)
    acme = (await city.get("/api/v1/notifications", headers=await token(city, "acme"))).json()
    assert len(acme) == 1 and "逾期" in acme[0]["message"]
    assert (await city.get("/api/v1/notifications", headers=await token(city, "other"))
            ).json() == []
    assert len((await city.get("/api/v1/notifications",
                               headers=await token(city, "leader"))).json()) == 1
    stolen = await city.post(f"/api/v1/notifications/{acme[0]['id']}/read",
                             headers=await token(city, "other"))
    assert stolen.status_code == 404
    read = await city.post(f"/api/v1/notifications/{acme[0]['id']}/read",
                           headers=await token(city, "acme"))
    assert read.status_code == 200
    unread = await city.get("/api/v1/notifications", params={"unread": "true"},
                            headers=await token(city, "acme"))
    assert unread.json() == []


async def test_an_overdue_action_puts_the_target_on_the_next_roster(
        city: Client, app: Litestar) -> None:
    await _one_action(city)
    # A policy that would not yet send anyone back, so only the overdue action does.
    base = load_policy()
    policy = msgspec.structs.replace(
        base, reinspection=msgspec.structs.replace(base.reinspection, earliest_days=60))
    db = app.state.db

    # The roster of the 20th is drawn from the 19th, the deadline day: still in time.
    before = await rosters.build_inputs(db, policy, date(2025, 12, 20), "ab" * 16)
    r1 = next(c for c in before.candidates if c.target_id == "R-1")
    assert r1.must_visit is None

    await jobs.mark_overdue(db, now=NEXT_DAY)
    after = await rosters.build_inputs(db, policy, date(2025, 12, 21), "ab" * 16)
    r1 = next(c for c in after.candidates if c.target_id == "R-1")
    assert r1.must_visit == "reinspection"
    roster_id = await rosters.generate(db, policy, date(2025, 12, 21), actor="test")
    reason = await db.fetchval(
        "SELECT reason FROM assignments WHERE roster_id = ? AND target_id = 'R-1'", (roster_id,))
    assert reason == "reinspection"


# ------------------------------------------------------------------ versions


async def test_a_new_checklist_version_never_changes_an_old_verdict(
        city: Client, app: Litestar) -> None:
    old = visit_body("S-1", fail=("hoarding",), passes=("materials_covered",), version="1")
    stored = await record(city, old)
    assert stored["checklist_version"] == "1"
    before = (await actions(city))[0]

    # v2 is the published version: new visits use it, the old one keeps v1.
    new = visit_body("S-1", fail=("dust_control_staff",), passes=("hoarding",),
                     at="2025-12-20T10:00:00+08:00")
    assert (await record(city, new))["checklist_version"] == "2"

    leader = await token(city, "leader")
    again = (await city.get(f"/api/v1/inspections/{old['id']}", headers=leader)).json()
    assert again["verdict"] == "fail" and again["judgement"] == stored["judgement"]
    row = await app.state.db.fetchone(
        "SELECT answers, inspected_at, checklist_version FROM inspections WHERE id = ?",
        (old["id"],))
    rejudged = judge(load_checklist("construction_site", row["checklist_version"]),
                     msgspec.json.decode(row["answers"]), on=local_date(row["inspected_at"]))
    assert msgspec.json.decode(msgspec.json.encode(rejudged)) == stored["judgement"]
    assert "dust_control_staff" not in rejudged.unanswered

    # The v1 action keeps its label, severity and deadline; v2's pass of hoarding closed it.
    after = (await city.get(f"/api/v1/corrective-actions/{before['id']}", headers=leader)
             ).json()["action"]
    unchanged = ("item_key", "item_label", "severity", "opened_on", "deadline", "description")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["status"] == "closed" and after["closed_by"] == new["id"]


# ------------------------------------------------------------------ roles


DENIALS = [
    ("GET", "/api/v1/corrective-actions", None, 401),
    ("GET", "/api/v1/corrective-actions/1", None, 401),
    ("GET", "/api/v1/corrective-actions/1", "other", 404),
    ("GET", "/api/v1/corrective-actions/1", "insp3", 404),
    ("POST", "/api/v1/corrective-actions/1/evidence", None, 403),
    ("POST", "/api/v1/corrective-actions/1/evidence", "insp1", 403),
    ("POST", "/api/v1/corrective-actions/1/evidence", "leader", 403),
    ("POST", "/api/v1/corrective-actions/1/evidence", "admin", 403),
    ("POST", "/api/v1/corrective-actions/1/evidence", "other", 404),
    ("PUT", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}", None, 403),
    ("PUT", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}", "insp1", 403),
    ("PUT", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}", "leader", 403),
    ("PUT", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}", "other", 404),
    ("GET", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}/thumb", None, 401),
    ("GET", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}/thumb", "other", 404),
    ("GET", f"/api/v1/corrective-actions/1/evidence/photos/{'a' * 64}/thumb", "insp3", 404),
    ("GET", "/api/v1/notifications", None, 401),
    ("POST", "/api/v1/notifications/1/read", None, 403),
    ("POST", "/api/v1/notifications/1/read", "other", 404),
]


@pytest.mark.parametrize(("method", "path", "who", "status"), DENIALS)
async def test_roles_are_refused(
        city: Client, method: str, path: str, who: str | None, status: int) -> None:
    await _one_action(city)
    await jobs.mark_overdue(city.app.state.db, now=NEXT_DAY)
    headers = await token(city, who) if who else {}
    kwargs: dict[str, Any] = {}
    if method == "POST":
        kwargs["json"] = {"text": "整改完成"}
    if method == "PUT":
        kwargs["content"] = PHOTO.read_bytes()
    response = await city.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text


async def test_the_audit_chain_holds(city: Client, app: Litestar) -> None:
    action_id = await _one_action(city)
    await city.post(f"/api/v1/corrective-actions/{action_id}/evidence",
                    json={"text": "已整改"}, headers=await token(city, "acme"))
    await record(city, visit_body("R-1", passes=("purifier_installed",),
                                  at="2025-12-20T10:00:00+08:00"))
    count, broken = await audit.verify(app.state.db)
    assert broken is None and count > 0
