"""A real Xuncha server in a subprocess and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from inspection import rosters
from inspection.clock import local_today
from inspection.db import Database
from scoring.policy import load_policy
from tests.inspection.city import seed

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "xuncha-demo"
PHONE = {"width": 360, "height": 740}


class Demo(NamedTuple):
    url: str
    db: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _prepare(path: Path) -> None:
    async with Database(path) as db:
        await seed(db)
        await rosters.generate(db, load_policy(), local_today(), actor="test", seed="e2e")


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer /healthz within 30 s")


def _serve(tmp_path: Path, db: Path, *extra: str,
           settings: dict[str, str] | None = None) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "XUNCHA_SECRET": "e" * 40, "XUNCHA_SCHEDULER": "false",
           "XUNCHA_MEDIA": str(tmp_path / "media"), **(settings or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "inspection.cli", "serve", "--db", str(db), "--port", str(port),
         *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The URL of a server on a seeded database with today's roster drawn."""
    db = tmp_path / "e2e.db"
    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _prepare(db)).result()
    yield from _serve(tmp_path, db)


@pytest.fixture
def scaling_server(tmp_path: Path) -> Iterator[Demo]:
    """Like `server`, with the admin setting that lets phones scale photos to 300 px."""
    db = tmp_path / "e2e.db"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _prepare(db)).result()
    for url in _serve(tmp_path, db, settings={"XUNCHA_PHOTO_UPLOAD_MAX_SIDE": "300"}):
        yield Demo(url, db)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A server on the demo city (today's roster drawn), shared by one test module."""
    tmp_path = tmp_path_factory.mktemp("demo")
    db = tmp_path / "demo.db"
    for url in _serve(tmp_path, db, "--demo"):
        yield Demo(url, db)


# Module scope: Playwright's sync API keeps a loop running until it stops, which
# would break the asyncio tests collected after this folder.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def phone_context(browser: Browser) -> BrowserContext:
    """A fresh phone-sized context: its own cookies, IndexedDB and service workers."""
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                               locale="zh-CN", timezone_id="Asia/Shanghai")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = phone_context(browser)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda u: "/login" not in u)
