"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against `oia serve` on a
free port over a fresh database holding the demo world (`oia seed --demo --recommendations`).

Every page: zero axe-core violations of WCAG 2.1 A/AA, no request to any host but the server, no CSP
violation; the overview's numbers are GET /api/v1/footprint's; the pages work with JavaScript off;
the map is keyboard-operable; and the README's screenshot script runs.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.live_server import LiveServer, live_server, oia_command
from tests.support.database import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from dashboard_screenshot import CHROMIUM_ARGS  # noqa: E402

PAGES = [
    "/dashboard",
    "/dashboard/countries/MX",
    "/dashboard/countries/SG",
    "/dashboard/overlaps",
    "/dashboard/overlaps?min_score=2",
    "/dashboard/recommendations",
    "/dashboard/deadlines",
    "/dashboard/coverage",
    "/dashboard/no-such-page",
]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("dashboard")) as live:
        env = {**os.environ, "DATABASE_URL": live.database_url}
        subprocess.run(
            [*oia_command(), "seed", "--demo", "--recommendations"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield live


@pytest.fixture(scope="module")
def browser(server: LiveServer) -> Iterator[Browser]:
    # After the server: while Playwright's sync API runs, its event loop counts as running in this
    # thread, and the server fixture's set-up and tear-down use asyncio.run.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Guarded:
    """A browser context that lets requests reach only the server, and remembers any other."""

    def __init__(self, browser: Browser, server: LiveServer, **options: Any) -> None:
        self.server = server
        self.elsewhere: list[str] = []
        self.console_errors: list[str] = []
        self.context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def sign_in(self) -> None:
        base = self.server.base_url
        self.page.goto(f"{base}/dashboard")  # redirected to the form
        assert self.page.url == f"{base}/dashboard/login?next=/dashboard"
        self.page.fill("#key", self.server.key)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_url(f"{base}/dashboard")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def guarded(browser: Browser, server: LiveServer) -> Iterator[Guarded]:
    context = Guarded(browser, server)
    yield context
    context.close()


def test_every_page_meets_wcag_and_loads_nothing_from_elsewhere(guarded: Guarded, server: LiveServer) -> None:
    axe, page, failures = Axe(), guarded.page, {}
    page.goto(f"{server.base_url}/dashboard/login")
    checked = {"/dashboard/login": axe.run(page, options=WCAG_21_AA)}
    guarded.sign_in()
    for path in PAGES:
        began = time.monotonic()
        response = page.goto(server.base_url + path)
        assert response is not None and response.status == (404 if "no-such" in path else 200), path
        assert time.monotonic() - began < 3, path
        checked[path] = axe.run(page, options=WCAG_21_AA)
    for path, result in checked.items():
        assert result.response["passes"], f"axe checked nothing on {path}"
        if result.violations_count:
            failures[path] = result.generate_report()
    assert not failures, "\n".join(f"{p}:\n{r}" for p, r in failures.items())
    assert guarded.elsewhere == []
    # Only the deliberate 404 page may log an error (its own status); never a CSP refusal.
    assert [e for e in guarded.console_errors if "404" not in e] == []


def test_overview_numbers_are_the_footprint_apis(guarded: Guarded, server: LiveServer) -> None:
    guarded.sign_in()
    footprint = httpx.get(
        f"{server.base_url}/api/v1/footprint", headers={"Authorization": f"Bearer {server.key}"}
    ).json()
    shown = {}
    for cell in guarded.page.locator("dd[data-metric]").all():
        shown[cell.get_attribute("data-metric")] = (
            float(cell.get_attribute("data-value") or "nan"),
            cell.inner_text(),
        )
    keys = ("officials", "travelers_abroad", "components", "posts", "cities", "countries")
    expected = {k: footprint[k] for k in keys}
    assert {k: v for k, (v, _) in shown.items()} == expected
    assert footprint["officials"] > 1000  # the demo world, not an empty one
    assert shown["officials"][1] == f"{footprint['officials']:,.2f}".rstrip("0").rstrip(".")
    rows = guarded.page.locator("#by-component tbody tr")
    assert rows.count() == len(footprint["by_component"])


def test_pages_work_with_javascript_off(browser: Browser, server: LiveServer) -> None:
    guarded = Guarded(browser, server, java_script_enabled=False)
    try:
        guarded.sign_in()  # a plain form POST
        page = guarded.page
        assert page.locator("dd[data-metric=officials]").inner_text() != ""
        assert page.locator("svg.world-map a.country").count() > 200
        assert page.locator("#by-country-table tbody tr").count() >= 79
        assert page.locator(".map-tools").count() == 0  # the zoom buttons are JavaScript's
        page.goto(f"{server.base_url}/dashboard/countries/MX")
        assert page.locator("h1").inner_text().startswith("Mexico")
        assert page.locator("#postings tbody tr").count() > 0
        page.goto(f"{server.base_url}/dashboard/recommendations")
        assert page.locator(".board-column").count() == 4
        page.click("form.sign-out button")
        page.wait_for_url(f"{server.base_url}/dashboard/login")
        page.goto(f"{server.base_url}/dashboard/coverage")
        assert "/dashboard/login" in page.url  # signed out
        assert guarded.elsewhere == []
    finally:
        guarded.close()


def test_keyboard_skip_link_and_map_links(guarded: Guarded, server: LiveServer) -> None:
    guarded.sign_in()
    page = guarded.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.locator(".map-tools button").count() == 3  # JavaScript's enhancement is there
    page.click(".map-tools button >> nth=0")  # zoom in
    mexico = page.locator('svg.world-map a[data-country="MX"]')
    assert (mexico.get_attribute("aria-label") or "").startswith("Mexico: ")
    mexico.focus()
    assert page.locator(".map-tip").inner_text().startswith("Mexico: ")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/dashboard/countries/MX")
    page.goto(f"{server.base_url}/dashboard")
    page.locator('svg.world-map a[data-country="SG"]').focus()
    page.keyboard.press("Enter")  # a country too small to draw is reached through its dot
    page.wait_for_url(f"{server.base_url}/dashboard/countries/SG")


def test_the_readme_screenshot_script(server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "dashboard.png"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dashboard_screenshot.py"), "--base-url", server.base_url,
         "--key", server.key, "--out", str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 1000)
