"""The HTTP API through the real app on a temporary database and media folder."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspection import audit
from tests.conftest import DATA
from tests.inspection.city import ACME, OTHER, VISIT_DAY, VISIT_TIME, all_pass, seed, token

DAY = VISIT_DAY
PHOTO = DATA / "photos" / "jpg" / "orientation" / "portrait_6.jpg"

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


async def draw(client: Client, day: str = DAY) -> dict[str, Any]:
    response = await client.post(f"/api/v1/rosters/{day}", json={"seed": "ab" * 16},
                                 headers=await token(client, "leader"))
    assert response.status_code == 201, response.text
    return response.json()


def inspection_body(assignment: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "assignment_id": assignment["id"],
            "target_id": assignment["target_id"], "inspected_at": VISIT_TIME,
            "answers": all_pass(assignment["kind"])}
    return {**body, **changes}


def assignment_of(roster: dict[str, Any], inspector: str) -> dict[str, Any]:
    return next(a for a in roster["assignments"] if inspector in (a["inspector_a"],
                                                                  a["inspector_b"]))


async def test_healthz_and_openapi(client: Client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/inspections" in schema["paths"]
    assert all(path.startswith(("/api/v1/", "/healthz")) for path in schema["paths"])


async def test_login_gives_a_token_and_refuses_a_wrong_password(city: Client) -> None:
    ok = await city.post("/api/v1/auth/login",
                         json={"username": "insp1", "password": "correct-horse"})
    assert ok.status_code == 200 and ok.json()["role"] == "inspector"
    bad = await city.post("/api/v1/auth/login", json={"username": "insp1", "password": "nope"})
    assert bad.status_code == 401
    me = await city.get("/api/v1/me", headers={"Authorization": f"Bearer {ok.json()['token']}"})
    assert me.json()["inspector_id"] == "XC-001"
    assert (await city.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
            ).status_code == 401


async def test_roster_is_drawn_once_verified_and_redrawn_only_with_a_reason(
        city: Client, app: Litestar) -> None:
    roster = await draw(city)
    assert {a["target_id"] for a in roster["assignments"]} == {"R-1", "R-2", "S-1"}
    leader = await token(city, "leader")
    again = await city.post(f"/api/v1/rosters/{DAY}", json={}, headers=leader)
    assert again.status_code == 409
    verified = await city.get(f"/api/v1/rosters/{DAY}/verify", headers=leader)
    assert verified.json() == {"identical": True, "differences": []}

    blank = await city.post(f"/api/v1/rosters/{DAY}", json={"redraw_reason": "   "},
                            headers=leader)
    assert blank.status_code == 409 and "不能只有空格" in blank.json()["detail"]
    redrawn = await city.post(f"/api/v1/rosters/{DAY}", json={"redraw_reason": " 检查员病假 "},
                              headers=leader)
    assert redrawn.status_code == 201
    kept = await app.state.db.fetchall("SELECT id, superseded_by, supersede_reason FROM rosters")
    assert [tuple(r) for r in kept] == [(1, "leader", "检查员病假"), (2, None, None)]


async def test_verify_reports_a_tampered_input(city: Client, app: Litestar) -> None:
    await draw(city)
    async with app.state.db.transaction() as tx:
        await tx.execute("UPDATE rosters SET inputs = replace(inputs, '\"R-2\"', '\"R-9\"')")
    result = (await city.get(f"/api/v1/rosters/{DAY}/verify",
                             headers=await token(city, "leader"))).json()
    assert not result["identical"]
    assert result["differences"][0]["what"] == "candidates_digest"


async def test_inspection_is_idempotent_by_uuid(city: Client, app: Litestar) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    body = inspection_body(assignment_of(roster, "XC-001"))

    first = await city.post("/api/v1/inspections", json=body, headers=inspector)
    assert first.status_code == 201, first.text
    assert first.json()["verdict"] == "pass"
    again = await city.post("/api/v1/inspections", json=body, headers=inspector)
    assert again.status_code == 200
    other = {**body, "remark": "另一份记录"}
    clash = await city.post("/api/v1/inspections", json=other, headers=inspector)
    assert clash.status_code == 409
    count = await app.state.db.fetchval("SELECT COUNT(*) FROM inspections WHERE id = ?",
                                        (body["id"],))
    assert count == 1


async def test_a_failed_item_needs_a_photo_and_becomes_a_violation(
        city: Client, app: Litestar) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    assignment = assignment_of(roster, "XC-001")
    failed = all_pass("restaurant", purifier_installed={"result": "fail", "remark": "未安装"})
    no_photo = inspection_body(assignment, answers=failed)
    refused = await city.post("/api/v1/inspections", json=no_photo, headers=inspector)
    assert refused.status_code == 422
    assert "已安装油烟净化设施" in refused.json()["detail"]

    data = PHOTO.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with_photo = inspection_body(assignment, answers=all_pass("restaurant", purifier_installed={
        "result": "fail", "remark": "未安装", "photos": [digest]}),
        photos=[{"sha256": digest, "item_key": "purifier_installed"}])
    created = await city.post("/api/v1/inspections", json=with_photo, headers=inspector)
    assert created.status_code == 201, created.text
    assert created.json()["verdict"] == "fail"
    assert created.json()["photos_complete"] is False

    url = f"/api/v1/inspections/{with_photo['id']}/photos/{digest}?item_key=purifier_installed"
    uploaded = await city.put(url, content=data, headers=inspector)
    assert uploaded.status_code == 201, uploaded.text
    assert (await city.put(url, content=data, headers=inspector)).status_code == 200
    listing = (await city.get(f"/api/v1/inspections/{with_photo['id']}/photos",
                              headers=inspector)).json()
    assert listing["complete"] and listing["missing"] == []

    violations = await app.state.db.fetchall(
        "SELECT target_id, severity, inspection_id FROM violations")
    assert [tuple(v) for v in violations] == [
        (assignment["target_id"], "serious", with_photo["id"])]


async def test_photo_upload_refuses_a_wrong_hash_and_non_images(city: Client) -> None:
    roster = await draw(city)
    inspector = await token(city, "insp1")
    body = inspection_body(assignment_of(roster, "XC-001"))
    await city.post("/api/v1/inspections", json=body, headers=inspector)
    base = f"/api/v1/inspections/{body['id']}/photos"

    data = PHOTO.read_bytes()
    wrong = await city.put(f"{base}/{'0' * 64}", content=data, headers=inspector)
    assert wrong.status_code == 422
    text = "这不是照片".encode()
    refused = await city.put(f"{base}/{hashlib.sha256(text).hexdigest()}", content=text,
                             headers=inspector)
    assert refused.status_code == 415


async def test_an_inspector_cannot_record_someone_elses_visit(city: Client) -> None:
    roster = await draw(city)
    theirs = assignment_of(roster, "XC-003")
    refused = await city.post("/api/v1/inspections", json=inspection_body(theirs),
                              headers=await token(city, "insp1"))
    assert refused.status_code == 403
    mine = (await city.get(f"/api/v1/assignments?date={DAY}",
                           headers=await token(city, "insp1"))).json()
    assert mine and all("XC-001" in (a["inspector_a"], a["inspector_b"]) for a in mine)


async def test_enterprise_sees_its_own_status_and_never_a_next_visit(city: Client) -> None:
    roster = await draw(city)
    await city.post("/api/v1/inspections", json=inspection_body(assignment_of(roster, "XC-001")),
                    headers=await token(city, "insp1"))
    acme = await token(city, "acme")
    own = await city.get(f"/api/v1/enterprises/{ACME}/status", headers=acme)
    assert own.status_code == 200
    text = own.text
    for leak in ("due_on", "overdue", "must_visit", "interval_days", "next"):
        assert leak not in text
    assert len(own.json()["inspections"]) == 1
    other = await city.get(f"/api/v1/enterprises/{OTHER}/status", headers=acme)
    assert other.status_code == 403


async def test_public_results_carry_no_personal_details(city: Client) -> None:
    roster = await draw(city)
    await city.post("/api/v1/inspections", json=inspection_body(assignment_of(roster, "XC-001")),
                    headers=await token(city, "insp1"))
    results = await city.get("/api/v1/public/results", params={"q": ACME})
    assert results.status_code == 200 and len(results.json()) == 1
    for personal in ("XC-00", "张伟", "李娜", "insp1"):
        assert personal not in results.text


# Every endpoint, and the roles that must be refused it.
DENIALS = [
    ("GET", f"/api/v1/rosters/{DAY}", ["insp1", "acme", None]),
    ("POST", f"/api/v1/rosters/{DAY}", ["insp1", "acme", None]),
    ("GET", f"/api/v1/rosters/{DAY}/verify", ["insp1", "acme", None]),
    ("GET", "/api/v1/assignments", ["acme", None]),
    ("POST", "/api/v1/assignments/1/reassign", ["insp1", "acme", None]),
    ("GET", "/api/v1/scores", ["insp1", "acme", None]),
    ("GET", "/api/v1/targets/R-1/score", ["insp1", "acme", None]),
    ("GET", f"/api/v1/enterprises/{OTHER}/status", ["insp1", "acme", None]),
    ("POST", "/api/v1/inspections", ["acme", None]),
    ("GET", "/api/v1/me", [None]),
]


@pytest.mark.parametrize(("method", "path", "who"),
                         [(m, p, w) for m, p, ws in DENIALS for w in ws])
async def test_roles_are_refused(city: Client, method: str, path: str, who: str | None) -> None:
    await draw(city)
    headers = await token(city, who) if who else {}
    body: dict[str, Any] = {"inspector_a": "XC-001", "inspector_b": "XC-002", "reason": "x"}
    if path == "/api/v1/inspections":
        body = inspection_body({"id": 1, "target_id": "R-1", "kind": "restaurant"})
    response = await city.request(method, path, headers=headers,
                                  json=body if method == "POST" else None)
    # The public's POST without a CSRF token stops at the CSRF check (403).
    expected = 401 if who is None and method == "GET" else 403
    assert response.status_code == expected


async def test_inspection_and_photos_of_others_are_not_found(city: Client) -> None:
    roster = await draw(city)
    body = inspection_body(assignment_of(roster, "XC-001"))
    await city.post("/api/v1/inspections", json=body, headers=await token(city, "insp1"))
    data = PHOTO.read_bytes()
    await city.put(f"/api/v1/inspections/{body['id']}/photos/{hashlib.sha256(data).hexdigest()}",
                   content=data, headers=await token(city, "insp1"))
    for who in ("insp3", "other"):
        headers = await token(city, who)
        assert (await city.get(f"/api/v1/inspections/{body['id']}", headers=headers)
                ).status_code == 404
        assert (await city.get("/api/v1/photos/1/display", headers=headers)).status_code == 404
    assert (await city.get("/api/v1/photos/1/thumb")).status_code == 404
    acme = await token(city, "acme")
    assert (await city.get("/api/v1/photos/1/display", headers=acme)).status_code == 200
    assert (await city.get("/api/v1/photos/1/original", headers=acme)).status_code == 404
    original = await city.get("/api/v1/photos/1/original", headers=await token(city, "leader"))
    assert original.content == data


async def test_reassign_needs_a_reason_and_keeps_the_original(
        city: Client, app: Litestar) -> None:
    roster = await draw(city)
    leader = await token(city, "leader")
    a = assignment_of(roster, "XC-001")
    url = f"/api/v1/assignments/{a['id']}/reassign"
    no_reason = await city.post(url, json={"inspector_a": "XC-003", "inspector_b": "XC-004",
                                           "reason": " "}, headers=leader)
    assert no_reason.status_code == 422
    done = await city.post(url, json={"inspector_a": "XC-003", "inspector_b": "XC-004",
                                      "reason": "张伟请假"}, headers=leader)
    assert done.status_code == 200
    change = await app.state.db.fetchone("SELECT reason, before FROM assignment_changes")
    assert change["reason"] == "张伟请假" and "XC-001" in change["before"]
    verified = (await city.get(f"/api/v1/rosters/{DAY}/verify", headers=leader)).json()
    assert verified["identical"], verified
    theirs = (await city.get(f"/api/v1/assignments?date={DAY}",
                             headers=await token(city, "insp3"))).json()
    assert a["id"] in [t["id"] for t in theirs]


async def test_every_change_is_in_an_unbroken_audit_chain(city: Client, app: Litestar) -> None:
    roster = await draw(city)
    await city.post("/api/v1/inspections", json=inspection_body(assignment_of(roster, "XC-001")),
                    headers=await token(city, "insp1"))
    db = app.state.db
    actions = [r[0] for r in await db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("user.add") == 6
    assert "roster.generate" in actions and "inspection.create" in actions
    count, broken = await audit.verify(db)
    assert count == len(actions) and broken is None
    with pytest.raises(Exception, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")


async def test_scores_explain_every_target(city: Client) -> None:
    leader = await token(city, "leader")
    scores = (await city.get("/api/v1/scores", params={"as_of": str(date(2026, 12, 3))},
                             headers=leader)).json()
    assert {s["target_id"] for s in scores} == {"R-1", "R-2", "S-1"}
    assert all(s["policy_version"] and s["tier"] in "WLMEHX" for s in scores)
