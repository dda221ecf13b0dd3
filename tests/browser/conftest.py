"""Playwright with Debian's Chromium, against pytest-django's live server."""

import importlib
import os
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that it is fine here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
# With Playwright's fake clock installed, a full-page screenshot leaves Chromium's hit testing
# out of step and the next click misses; pages with the clock are shot in a tall phone view.
TALL_PHONE = {"width": 360, "height": 1500}
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(autouse=True)
def seed_data(transactional_db):
    """Put back the data migrations' rows: live-server tests empty the tables after each test."""
    from django.apps import apps

    migration = importlib.import_module("programs.migrations.0002_seed_scheme_regions_equipment")
    migration.seed(apps, None)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh phone-sized context (its own cookies); closed after the test."""
    contexts = []

    def open_page(viewport=PHONE, **options):
        # The CSP is bypassed only so that the test can inject axe-core; the app's own pages
        # use no inline script.
        context = browser.new_context(viewport=viewport, bypass_csp=True, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def shoot():
    ARTIFACTS.mkdir(exist_ok=True)

    def screenshot(page, name, full_page=True):
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)

    return screenshot


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page; return the serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
