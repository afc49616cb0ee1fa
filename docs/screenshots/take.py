"""Screenshots of every main page at a phone's size, over the demo city.

``make screenshots`` runs this: a demo server on a throw-away database, Debian's
Chromium at 360×740, one PNG per page into this folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
PHONE = {"width": 360, "height": 740}
PASSWORD = "xuncha-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer /healthz within 60 s")


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda u: "/login" not in u)


def shoot(page: Page, url: str, path: str, name: str) -> None:
    page.goto(f"{url}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=HERE / f"{name}.png")
    print(f"docs/screenshots/{name}.png  {path}")


def take(url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        for username, pages in ROLES:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                          device_scale_factor=1, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
            page = context.new_page()
            if username:
                log_in(page, url, username)
            for path, name in pages(page, url):
                shoot(page, url, path, name)
            context.close()
        browser.close()


def public_pages(page: Page, url: str) -> list[tuple[str, str]]:
    return [("/login", "login"), ("/public", "public"), ("/public?q=火锅", "public-search"),
            ("/public/rosters", "public-rosters")]


def inspector_pages(page: Page, url: str) -> list[tuple[str, str]]:
    page.goto(f"{url}/inspector")
    task = page.locator("a.task-link").first.get_attribute("href")
    return [("/inspector", "inspector-home"), (str(task), "checklist")]


def leader_pages(page: Page, url: str) -> list[tuple[str, str]]:
    return [("/leader/roster", "leader-roster"), ("/leader/roster?by=district", "leader-district"),
            ("/leader/dashboard", "leader-dashboard"), ("/leader/corrective", "leader-corrective"),
            ("/leader/whitelist", "leader-whitelist")]


def enterprise_pages(page: Page, url: str) -> list[tuple[str, str]]:
    page.goto(f"{url}/")
    own = page.url.removeprefix(url)
    return [(own, "enterprise-status"), (f"{own}/history", "enterprise-history")]


ROLES = [(None, public_pages), ("inspector1", inspector_pages), ("leader", leader_pages),
         ("enterprise2", enterprise_pages)]


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XUNCHA_SECRET": "s" * 40, "XUNCHA_SCHEDULER": "false",
               "XUNCHA_MEDIA": f"{tmp}/media"}
        server = subprocess.Popen(
            [sys.executable, "-m", "inspection.cli", "serve", "--demo", "--db", f"{tmp}/demo.db",
             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(url)
            take(url)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
