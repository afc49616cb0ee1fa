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

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from inspection import rosters
from inspection.clock import local_today
from inspection.db import Database
from scoring.policy import load_policy
from tests.inspection.city import seed

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The URL of a server on a seeded database with today's roster drawn."""
    db = tmp_path / "e2e.db"
    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _prepare(db)).result()
    port = _free_port()
    env = {**os.environ, "XUNCHA_SECRET": "e" * 40, "XUNCHA_SCHEDULER": "false",
           "XUNCHA_MEDIA": str(tmp_path / "media")}
    process = subprocess.Popen(
        [sys.executable, "-m", "inspection.cli", "serve", "--db", str(db), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


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


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    yield page
    context.close()
