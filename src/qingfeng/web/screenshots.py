"""`qingfeng screenshots OUT_DIR`: PNGs of the main pages at 1366×768, rendered by Chromium.

The app is served on a loopback port for the duration; each page is opened by the role that
uses it, signed in through the real sign-in form.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingfeng.settings import Settings

VIEWPORT: Any = {"width": 1366, "height": 768}  # Playwright's ViewportSize
WALL: Any = {"width": 1920, "height": 1080}  # the big screen's wall display
CHROMIUM_ENV = "QINGFENG_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ScreenshotError(RuntimeError):
    """Screenshots cannot be taken; the message says what is missing."""


@dataclass(frozen=True)
class Shot:
    name: str
    role: str | None  # None: not signed in
    path: str  # URL path; "first-warning" / "first-person": the newest warning / its subject
    viewport: Any = None  # None: VIEWPORT


SHOTS: tuple[Shot, ...] = (
    Shot("01-login", None, "/login"),
    Shot("02-dashboard", "leader", "/dashboard"),
    Shot("03-warnings", "supervisor", "/warnings"),
    Shot("04-warning-detail", "supervisor", "first-warning"),
    Shot("05-warnings-en", "supervisor", "/warnings?lang=en"),
    Shot("06-models", "model_builder", "/models"),
    Shot("07-data", "data_officer", "/data"),
    Shot("08-audit", "auditor", "/audit"),
    Shot("09-person", "supervisor", "first-person"),
    Shot("10-users", "administrator", "/users"),
    Shot("11-password", "verifier", "/account/password"),
    Shot("12-screen", "leader", "/dashboard/screen", WALL),
    Shot("13-warnings-compact", "supervisor", "/warnings?density=compact"),
)


def chromium_path() -> str:
    path = os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium")
    if not Path(path).exists():
        raise ScreenshotError(
            f"Chromium not found at {path}: install it (apt-get install chromium fonts-noto-cjk) "
            f"or set {CHROMIUM_ENV}"
        )
    return path


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login" in page.url:
        raise ScreenshotError(f"could not sign in as {username!r} (wrong password or locked)")


def wait_for_charts(page: Any) -> None:
    """Charts draw after load; wait until each chart box holds its canvas."""
    if page.locator("[data-chart]").count():
        page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-chart]'))"
            ".every(el => el.querySelector('canvas'))",
            timeout=15_000,
        )
        page.wait_for_timeout(800)  # ECharts' entry animation


def take_screenshots(
    settings: Settings,
    out_dir: Path,
    accounts: dict[str, tuple[str, str]],
    on_shot: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Render every shot in SHOTS; `accounts` maps a role to (username, password)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ScreenshotError("Playwright is not installed: pip install playwright") from None
    from qingfeng.web.app import create_app
    from qingfeng.web.liveserver import running_server

    missing = sorted({s.role for s in SHOTS if s.role and s.role not in accounts})
    if missing:
        raise ScreenshotError(f"no account given for role(s): {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    executable = chromium_path()
    with running_server(create_app(settings)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for shot in SHOTS:
                context = browser.new_context(viewport=shot.viewport or VIEWPORT, locale="zh-CN")
                page = context.new_page()
                if shot.role:
                    sign_in(page, base, *accounts[shot.role])
                path = shot.path
                if path in ("first-warning", "first-person"):
                    page.goto(f"{base}/warnings")
                    link = page.locator("table.grid tbody a[href^='/warnings/']").first
                    href = (link.get_attribute("href") if link.count() else None) or "/warnings"
                    path = href.replace("/warnings/", "/people/w/") if "person" in path else href
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                wait_for_charts(page)
                target = out_dir / f"{shot.name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
                if on_shot:
                    on_shot(target)
                context.close()
        finally:
            browser.close()
    return written
