"""An inspector records a visit on a phone; the enterprise then sees the result."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DATA
from tests.e2e.conftest import Demo
from tests.inspection.city import ACME, PASSWORD

PHOTO = DATA / "photos" / "jpg" / "orientation" / "landscape_3.jpg"


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.browser
def test_inspector_submits_and_enterprise_sees_the_result(server: str, phone: Page) -> None:
    log_in(phone, server, "insp1")
    expect(phone.get_by_role("heading", name="检查任务")).to_be_visible()
    phone.locator("a.task-link").first.click()

    items = phone.locator("fieldset[data-type=yes_no]")
    for n in range(items.count()):
        items.nth(n).get_by_label("符合", exact=True).check()
    failing = phone.locator("fieldset[data-key=purifier_running]")
    failing.get_by_label("不符合", exact=True).check()
    failing.locator("input.remark").fill("检查时净化器未开启")
    failing.locator("input.photo").set_input_files(str(PHOTO))
    phone.get_by_role("button", name="提交检查记录").click()

    expect(phone.locator("#verdict")).to_have_text("检查结论：不合格", timeout=20_000)
    expect(phone.locator(".photos img")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_role("button", name="退出").click()
    log_in(phone, server, "acme")
    phone.wait_for_url(f"**/enterprise/{ACME}")
    results = phone.locator("#results")
    expect(results).to_contain_text("不合格")
    expect(results).to_contain_text("净化")
    expect(phone.locator("body")).not_to_contain_text("下次检查")


@pytest.mark.browser
def test_photos_are_scaled_only_when_an_admin_allows(scaling_server: Demo, phone: Page) -> None:
    log_in(phone, scaling_server.url, "insp1")
    phone.locator("a.task-link").first.click()
    items = phone.locator("fieldset[data-type=yes_no]")
    for n in range(items.count()):
        items.nth(n).get_by_label("符合", exact=True).check()
    items.first.locator("input.photo").set_input_files(str(PHOTO))
    phone.get_by_role("button", name="提交检查记录").click()
    expect(phone.locator(".photos img")).to_have_count(1, timeout=20_000)

    with sqlite3.connect(scaling_server.db) as conn:
        width, height, sha = conn.execute("SELECT width, height, sha256 FROM photos").fetchone()
    assert max(width, height) == 300
    assert sha != hashlib.sha256(PHOTO.read_bytes()).hexdigest()
