"""The field app with no network: three visits with photos wait on the phone, the page
is closed and opened again, and when the network returns each arrives exactly once."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import DATA
from tests.e2e.conftest import DEMO_PASSWORD, Demo, log_in, phone_context

NAMES = ("Canon_40D.jpg", "Kodak_CX7530.jpg", "Nikon_D70.jpg", "long_description.jpg")
PHOTOS = [DATA / "photos" / "jpg" / name for name in NAMES]


def fill_and_submit(page: Page, photos: list[str]) -> None:
    items = page.locator("fieldset[data-type=yes_no]")
    for n in range(items.count()):
        items.nth(n).get_by_label("符合", exact=True).check()
    items.first.locator("input.photo").set_input_files(photos)
    expect(page.locator("#preview")).to_contain_text("预判")
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.locator("#form-message")).to_contain_text("已保存在本机", timeout=10_000)


def rows(db: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, args).fetchall()


@pytest.mark.browser
def test_three_visits_offline_arrive_once_with_every_photo(browser: Browser, demo: Demo) -> None:
    context = phone_context(browser)
    page = context.new_page()
    log_in(page, demo.url, "inspector1", DEMO_PASSWORD)
    page.goto(f"{demo.url}/inspector")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "true", timeout=15_000)
    tasks = [page.locator("a.task-link").nth(n).get_attribute("href") for n in range(3)]

    context.set_offline(True)
    sent: dict[str, list[str]] = {}
    for n, task in enumerate(tasks):
        page.goto(f"{demo.url}{task}")
        photos = [str(p) for p in PHOTOS[n:n + 2]]
        fill_and_submit(page, photos)
        sent[str(task).rsplit("/", 1)[1]] = sorted(
            hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in photos)
    assert rows(str(demo.db), "SELECT COUNT(*) FROM inspections WHERE source = 'app'") == [(0,)]

    page.close()
    page = context.new_page()
    page.goto(f"{demo.url}/inspector")
    expect(page.locator("#outbox-summary")).to_contain_text("等待发送 3 条")
    expect(page.locator("#outbox-summary")).to_contain_text("离线")

    context.set_offline(False)
    expect(page.locator("#outbox-summary")).to_contain_text("已发送 3 条", timeout=30_000)
    page.get_by_role("button", name="核对服务器今天收到的记录").click()
    expect(page.locator("#receipt")).to_contain_text("服务器都已收到", timeout=10_000)

    for assignment, hashes in sent.items():
        found = rows(str(demo.db), "SELECT id FROM inspections WHERE assignment_id = ?",
                     int(assignment))
        assert len(found) == 1, f"assignment {assignment} arrived {len(found)} times"
        held = rows(str(demo.db), "SELECT sha256 FROM photos WHERE inspection_id = ?"
                    " ORDER BY sha256", found[0][0])
        assert [h for (h,) in held] == hashes
    context.close()
