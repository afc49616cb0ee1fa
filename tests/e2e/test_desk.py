"""The leader's desk, the enterprise's window and the weight of the inspector's first load,
on the demo city at a phone's width."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, Demo, log_in, phone_context

FIRST_LOAD_BUDGET = 150 * 1024
# Words that would tell an enterprise when it is next visited.
NEXT_VISIT = re.compile(r"下次|下一次|预计检查|应检日期|到期日|next visit", re.IGNORECASE)


def rows(db: str, sql: str, *args: object) -> list[Any]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, args).fetchall()


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _transferred(request: Request) -> int:
    sizes = request.sizes()
    return int(sizes["responseBodySize"] + sizes["responseHeadersSize"])


@pytest.mark.browser
def test_first_load_of_the_inspector_home_is_small_and_stays_home(
    browser: Browser, demo: Demo
) -> None:
    # A fresh phone (no cache, no service worker): count everything from opening the login
    # form, which lands on the home page, until the page and its service worker are quiet,
    # the worker's copies of today's visits included.
    context = phone_context(browser)
    seen: list[Request] = []
    context.on("requestfinished", lambda request: seen.append(request))
    page = context.new_page()
    log_in(page, demo.url, "inspector1", DEMO_PASSWORD)
    assert page.url == f"{demo.url}/inspector"
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "true", timeout=15_000)
    page.wait_for_load_state("networkidle")
    total = sum(_transferred(r) for r in seen)
    print(f"first load of /inspector: {total / 1024:.1f} KB in {len(seen)} requests")
    assert total < FIRST_LOAD_BUDGET
    assert all(r.url.startswith(demo.url) for r in seen), [r.url for r in seen]
    fits_the_phone(page)
    context.close()


@pytest.mark.browser
def test_leader_reassigns_with_a_reason_and_the_inspector_sees_it(
    browser: Browser, demo: Demo
) -> None:
    (assignment, target), *_ = rows(
        str(demo.db),
        "SELECT a.id, t.name FROM assignments a JOIN targets t ON t.id = a.target_id"
        " WHERE 'XC-001' NOT IN (a.inspector_a, a.inspector_b)"
        " AND 'XC-004' NOT IN (a.inspector_a, a.inspector_b)"
        " AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.enterprise_uscc = t.enterprise_uscc"
        "  AND c.inspector_id IN ('XC-001', 'XC-004')) ORDER BY a.id LIMIT 1",
    )
    context = phone_context(browser)
    leader = context.new_page()
    log_in(leader, demo.url, "leader", DEMO_PASSWORD)
    leader.goto(f"{demo.url}/leader/roster")
    visit = leader.locator(f"#assignment-{assignment}")
    visit.get_by_text("调整检查人员").click()
    visit.get_by_label("检查员一").fill("XC-001")
    visit.get_by_label("检查员二").fill("XC-004")
    visit.get_by_label("调整理由（必填）").fill("原检查组另有紧急投诉任务")
    visit.get_by_role("button", name="保存调整").click()
    expect(leader.locator(f"#assignment-{assignment}")).to_contain_text("原检查组另有紧急投诉任务")
    fits_the_phone(leader)
    context.close()

    context = phone_context(browser)
    inspector = context.new_page()
    log_in(inspector, demo.url, "inspector1", DEMO_PASSWORD)
    inspector.goto(f"{demo.url}/inspector")
    task = inspector.locator(f"[data-assignment-task='{assignment}']")
    expect(task).to_contain_text(target)
    expect(task).to_contain_text("队长已调整人员")
    context.close()


@pytest.mark.browser
def test_enterprise_sees_only_itself_and_no_page_shows_a_next_visit(
    browser: Browser, demo: Demo
) -> None:
    own, other = (r[0] for r in rows(
        str(demo.db),
        "SELECT enterprise_uscc FROM users WHERE username IN ('enterprise1', 'enterprise2')"
        " ORDER BY username"))
    context = phone_context(browser)
    page = context.new_page()
    log_in(page, demo.url, "enterprise1", DEMO_PASSWORD)
    for path in (f"/enterprise/{own}", f"/enterprise/{own}/history", "/public",
                 "/public?q=火锅"):
        response = page.goto(f"{demo.url}{path}")
        assert response is not None and response.status == 200, path
        assert not NEXT_VISIT.search(page.locator("body").inner_text()), path
        fits_the_phone(page)
    for path in (f"/enterprise/{other}", f"/enterprise/{other}/history"):
        response = page.goto(f"{demo.url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.locator("body")).to_contain_text("只能查看本企业的信息")
    context.close()

    context = phone_context(browser)
    page = context.new_page()
    log_in(page, demo.url, "leader", DEMO_PASSWORD)
    for path in ("/leader/roster", "/leader/roster?by=district", "/leader/dashboard",
                 f"/enterprise/{other}", "/inspector"):
        response = page.goto(f"{demo.url}{path}")
        assert response is not None and response.status == 200, path
        assert not NEXT_VISIT.search(page.locator("body").inner_text()), path
        fits_the_phone(page)
    context.close()
