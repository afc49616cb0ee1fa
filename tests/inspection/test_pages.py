"""Server-rendered pages: login with CSRF, each role's page, denials."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from checklists import load_checklist
from inspection import dashboard
from inspection.clock import local_today
from inspection.pages import range_text
from tests.conftest import DATA
from tests.inspection.city import ACME, OTHER, PASSWORD, seed, token

Client = AsyncTestClient[Litestar]
DAY = "2026-12-04"
PHOTO = DATA / "photos" / "jpg" / "Canon_40D.jpg"
# Early on DAY: the server refuses visits later than its clock, and DAY is the demo day.
VISITED_AT = "2026-12-04T00:05:00+08:00"


@pytest.fixture
async def city(client: Client, app: Litestar) -> Client:
    await seed(app.state.db)
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


async def log_in(client: Client, username: str) -> None:
    form = await client.get("/login")
    response = await client.post("/login", data={
        "username": username, "password": PASSWORD, "_csrf_token": csrf_of(form.text)},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "session" in client.cookies


async def test_login_without_csrf_token_is_refused(city: Client) -> None:
    await city.get("/login")
    response = await city.post("/login", data={"username": "leader", "password": PASSWORD})
    assert response.status_code == 403


async def test_wrong_password_shows_the_form_again(city: Client) -> None:
    form = await city.get("/login")
    response = await city.post("/login", data={
        "username": "leader", "password": "wrong-one", "_csrf_token": csrf_of(form.text)})
    assert response.status_code == 401 and "用户名或密码错误" in response.text


async def test_pages_need_a_login(city: Client) -> None:
    for path in ("/inspector", "/leader/roster", f"/enterprise/{ACME}"):
        response = await city.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        assert response.headers["location"].startswith("/login?next=")


async def test_leader_draws_from_the_page_and_the_inspector_sees_it(city: Client) -> None:
    await log_in(city, "leader")
    page = await city.get(f"/leader/roster?date={DAY}")
    assert "尚未抽取检查计划" in page.text
    drawn = await city.post("/leader/roster", data={"date": DAY,
                                                    "_csrf_token": csrf_of(page.text)},
                            follow_redirects=False)
    assert drawn.status_code == 303
    page = await city.get(f"/leader/roster?date={DAY}")
    assert "随机种子" in page.text and "清风小厨" in page.text

    await city.post("/logout", data={"_csrf_token": csrf_of(page.text)})
    await log_in(city, "insp1")
    mine = await city.get(f"/inspector?date={DAY}")
    assert mine.status_code == 200 and "清风" in mine.text
    link = re.search(r'href="(/inspector/assignments/\d+)"', mine.text)
    assert link
    form = await city.get(link.group(1))
    assert form.status_code == 200 and 'capture="environment"' in form.text
    assert "已安装油烟净化设施" in form.text


async def test_enterprise_page_is_its_own_and_has_no_next_visit(city: Client) -> None:
    await log_in(city, "acme")
    own = await city.get(f"/enterprise/{ACME}")
    assert own.status_code == 200 and "监管等级" in own.text
    assert "下次" not in own.text
    other = await city.get(f"/enterprise/{OTHER}")
    assert other.status_code == 403


async def test_public_page_needs_no_login(city: Client) -> None:
    response = await city.get("/public?q=清风")
    assert response.status_code == 200 and "一公开" in response.text


async def test_phone_viewport_meta_on_every_page(city: Client) -> None:
    for path in ("/login", "/public"):
        assert 'name="viewport"' in (await city.get(path)).text


# --- the field app: service worker, manifest, checklist definition, receipt check -------

async def drawn(client: Client, day: str = DAY) -> dict[str, Any]:
    response = await client.post(f"/api/v1/rosters/{day}", json={"seed": "ab" * 16},
                                 headers=await token(client, "leader"))
    assert response.status_code == 201, response.text
    return response.json()


def visit_of(roster: dict[str, Any], inspector: str) -> dict[str, Any]:
    return next(a for a in roster["assignments"]
                if inspector in (a["inspector_a"], a["inspector_b"]))


def every_yes_no_passes(kind: str) -> dict[str, Any]:
    return {i.key: {"result": "pass"} for i in load_checklist(kind).items if i.type == "yes_no"}


async def record_visit(client: Client, visit: dict[str, Any], photo: bytes | None = None,
                       *, fail: bool = False) -> str:
    """Record a visit through the API as insp1, with one photo when given."""
    headers = await token(client, "insp1")
    digest = hashlib.sha256(photo).hexdigest() if photo else None
    key = "purifier_running" if visit["kind"] == "restaurant" else "hoarding"
    answer = {"result": "fail" if fail else "pass", "photos": [digest] if digest else []}
    body = {"id": str(uuid.uuid4()), "assignment_id": visit["id"],
            "target_id": visit["target_id"], "inspected_at": VISITED_AT,
            "answers": {**every_yes_no_passes(visit["kind"]), key: answer},
            "photos": [{"sha256": digest, "item_key": key}] if digest else []}
    created = await client.post("/api/v1/inspections", json=body, headers=headers)
    assert created.status_code == 201, created.text
    if photo is not None:
        put = await client.put(f"/api/v1/inspections/{body['id']}/photos/{digest}",
                               content=photo, headers={**headers,
                                                       "content-type": "image/jpeg"})
        assert put.status_code == 201, put.text
    return str(body["id"])


async def test_service_worker_is_served_from_the_root_to_everyone(city: Client) -> None:
    response = await city.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    shell = re.search(r"SHELL_FILES = \[(.*?)\];", response.text, re.S)
    assert shell
    for path in re.findall(r'"(/static/[^"]+)"', shell.group(1)):
        assert (await city.get(path)).status_code == 200, path


async def test_manifest_names_the_app_and_its_icons_exist(city: Client) -> None:
    manifest = (await city.get("/static/manifest.webmanifest")).json()
    assert manifest["short_name"] == "巡查" and manifest["start_url"] == "/inspector"
    for icon in manifest["icons"]:
        response = await city.get(icon["src"])
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert struct.unpack(">II", response.content[16:24]) == (width, height)
    assert 'rel="manifest"' in (await city.get("/login")).text


def test_range_hints_say_the_limits_plainly() -> None:
    wind = load_checklist("construction_site").item("nonroad_ringelmann_grade")
    assert (wind.min, wind.max, wind.unit) == (0, 5, "级")
    assert range_text(wind) == "合理范围 0–5 级"
    burners = load_checklist("restaurant").item("reference_burners")
    assert range_text(burners) == "应不小于 0 个"
    assert range_text(load_checklist("restaurant").item("purifier_installed")) == ""


async def test_checklist_page_carries_its_definition_for_the_form(city: Client) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    await log_in(city, "insp1")
    page = await city.get(f"/inspector/assignments/{visit['id']}")
    found = re.search(r'<script type="application/json" id="checklist-def">(.*?)</script>',
                      page.text, re.S)
    assert found
    definition = json.loads(found.group(1))
    checklist = load_checklist(visit["kind"])
    assert [i["key"] for i in definition["items"]] == [i.key for i in checklist.items]
    assert definition["version"] == checklist.version
    assert 'id="outbox"' in page.text and "/static/field.js" in page.text


async def test_receipt_lists_what_the_server_holds_from_the_caller_today(
    city: Client,
) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    photo = PHOTO.read_bytes()
    inspection_id = await record_visit(city, visit, photo)
    today = local_today()

    mine = await city.get("/api/v1/field/received", headers=await token(city, "insp1"))
    assert mine.status_code == 200
    body = mine.json()
    assert body["day"] == today.isoformat() and body["username"] == "insp1"
    (held,) = body["inspections"]
    assert held["id"] == inspection_id
    assert held["photos"] == held["photos_expected"] == [hashlib.sha256(photo).hexdigest()]

    yesterday = (today - timedelta(days=1)).isoformat()
    earlier = await city.get(f"/api/v1/field/received?date={yesterday}",
                             headers=await token(city, "insp1"))
    assert earlier.json()["inspections"] == []
    other = await city.get("/api/v1/field/received", headers=await token(city, "insp3"))
    assert other.json()["inspections"] == []
    refused = await city.get("/api/v1/field/received", headers=await token(city, "acme"))
    assert refused.status_code == 403


# --- the leader's desk ---------------------------------------------------------------

async def test_dashboard_draws_its_charts_in_the_page(city: Client) -> None:
    await drawn(city)
    await log_in(city, "leader")
    page = await city.get(f"/leader/dashboard?date={DAY}")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 5
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page.text


async def test_dashboard_figures_count_plan_findings_and_tiers(
    city: Client, app: Litestar
) -> None:
    roster = await drawn(city)
    visit = visit_of(roster, "XC-001")
    await record_visit(city, visit, PHOTO.read_bytes(), fail=True)
    day = date.fromisoformat(DAY)
    figures = await dashboard.build(app.state.db, app.state.policy, day)

    assert figures.coverage[-1] == dashboard.DayCoverage(day, len(roster["assignments"]), 1)
    assert all(c.planned == 0 for c in figures.coverage[:-1])
    assert figures.findings_by_kind == [dashboard.Count("餐饮单位", 1)]
    assert figures.findings_by_district == [dashboard.Count("魏都区", 1)]
    assert sum(t.targets for t in figures.tiers) == 3
    assert figures.trend[-1] == dashboard.WeekTrend(dashboard.week_start(day), 1, 1)
    assert len(figures.trend) == dashboard.TREND_WEEKS


def test_week_starts_on_monday() -> None:
    assert dashboard.week_start(date(2026, 12, 4)) == date(2026, 11, 30)
    assert dashboard.week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert dashboard.week_start(date(2026, 12, 6)) == date(2026, 11, 30)


def test_chart_text_is_escaped() -> None:
    svg = dashboard.bar_chart([dashboard.Count("<script>", 3)], "标题 & <b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&amp; &lt;b&gt;" in svg


async def test_roster_groups_by_district_and_shows_change_reasons(city: Client) -> None:
    roster = await drawn(city)
    visit = visit_of(roster, "XC-001")
    await log_in(city, "leader")
    page = await city.get(f"/leader/roster?date={DAY}")
    moved = await city.post(f"/leader/assignments/{visit['id']}/reassign", data={
        "inspector_a": "XC-001", "inspector_b": "XC-003", "reason": "二队熟悉该片区",
        "date": DAY, "_csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"].endswith(f"#assignment-{visit['id']}")
    by_district = await city.get(f"/leader/roster?date={DAY}&by=district")
    assert "二队熟悉该片区" in by_district.text
    headings = re.findall(r"<h2>(\S+) <span", by_district.text)
    assert headings == sorted({a["district"] for a in roster["assignments"]})


# --- the enterprise's window -----------------------------------------------------------

async def test_enterprise_history_is_its_own(city: Client) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    await record_visit(city, visit)
    await log_in(city, "acme")
    own = await city.get(f"/enterprise/{ACME}/history")
    assert own.status_code == 200 and visit["target_name"] in own.text
    assert "下次" not in own.text
    assert (await city.get(f"/enterprise/{OTHER}/history")).status_code == 403
    status_page = await city.get(f"/enterprise/{ACME}")
    assert "最近一次检查" in status_page.text and "合格" in status_page.text


async def test_public_search_by_uscc_and_by_name(city: Client) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    await record_visit(city, visit)
    by_uscc = await city.get(f"/public?q={ACME}")
    assert visit["target_name"] in by_uscc.text
    by_name = await city.get("/public?q=清风")
    assert visit["target_name"] in by_name.text
    nothing = await city.get(f"/public?q={OTHER}")
    assert "没有找到检查结果" in nothing.text
    assert "张伟" not in by_name.text and "XC-001" not in by_name.text


async def test_corrective_actions_for_the_leader_and_the_enterprise(
    city: Client, app: Litestar
) -> None:
    visit = visit_of(await drawn(city), "XC-001")
    await record_visit(city, visit, PHOTO.read_bytes(), fail=True)
    action_id = await app.state.db.fetchval("SELECT id FROM corrective_actions")
    assert action_id is not None

    await log_in(city, "leader")
    desk = await city.get("/leader/corrective")
    assert desk.status_code == 200 and f'href="/corrective/{action_id}"' in desk.text
    page = await city.get(f"/corrective/{action_id}")
    await city.post("/logout", data={"_csrf_token": csrf_of(page.text)})

    await log_in(city, "acme")
    own = await city.get(f"/enterprise/{ACME}")
    assert f'href="/corrective/{action_id}"' in own.text and "整改期限" in own.text
    upload = await city.get(f"/corrective/{action_id}")
    assert upload.status_code == 200 and 'id="evidence-form"' in upload.text
    assert "/static/evidence.js" in upload.text
    assert (await city.get("/leader/corrective")).status_code == 403
    page = await city.get("/login")
    await city.post("/logout", data={"_csrf_token": csrf_of(upload.text)})
    await log_in(city, "other")
    assert (await city.get(f"/corrective/{action_id}")).status_code == 404


async def test_admin_sees_every_unverified_limit_marked(city: Client) -> None:
    await log_in(city, "admin")
    page = await city.get("/admin/standards")
    assert page.status_code == 200
    assert "DB41/1604-2018" in page.text and "<strong>U</strong>" in page.text
    assert "标准限值" in page.text
