"""Server-rendered pages: login with CSRF, each role's page, denials."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.inspection.city import ACME, OTHER, PASSWORD, seed

Client = AsyncTestClient[Litestar]
DAY = "2026-12-04"


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
