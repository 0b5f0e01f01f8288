"""Screenshot of the dashboard's overview for the README (docs/dashboard.png).

    uv run oia seed --demo && uv run oia seed --recommendations   # the demo world, on an empty database
    uv run oia serve --port 8000 &
    uv run python scripts/dashboard_screenshot.py --base-url http://127.0.0.1:8000 \
        --key "$(uv run oia keys create --role reader --name screenshot | tail -n 1)" --out docs/dashboard.png

Signs in through the login form like a person, in Debian's Chromium (CHROMIUM, default
/usr/bin/chromium) driven by Playwright; tests/test_dashboard_browser.py runs it too.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless and quiet: no sandbox (root in CI), no GPU, and none of Chromium's own calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}


def screenshot(base_url: str, key: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{base_url}/dashboard/login")
            page.fill("#key", key)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{base_url}/dashboard")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--key", required=True, help="an API key (any role)")
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    args = parser.parse_args(argv)
    screenshot(args.base_url.rstrip("/"), args.key, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
