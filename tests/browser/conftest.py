"""Playwright with Debian's Chromium, against pytest-django's live server."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import PASSWORD

PHONE = {"width": 360, "height": 740}
# With Playwright's fake clock installed, a full-page screenshot leaves Chromium's hit testing
# out of step and the next click misses; pages with the clock are shot in a tall phone view.
TALL_PHONE = {"width": 360, "height": 1500}
# The German and Spanish journeys: a common phone, words longer than English ones.
I18N_PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def new_page(browser_context):
    """Open a page in a fresh phone-sized context (its own cookies); closed after the test."""

    def open_page(viewport=PHONE, **options):
        # The CSP is bypassed only so that the test can inject axe-core; the app's own pages
        # use no inline script.
        context = browser_context(viewport=viewport, bypass_csp=True, **options)
        return context.new_page()

    return open_page


@pytest.fixture
def shoot():
    ARTIFACTS.mkdir(exist_ok=True)

    def screenshot(page, name, full_page=True):
        # A shot taken while a click's navigation is still under way fails on a busy machine.
        page.wait_for_load_state()
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=full_page)

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


def patient_signs_in(page, base: str, email: str) -> None:
    """Sign a patient in through the patient site's form: she lands on her today page."""
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def staff_signs_in(page, base: str, email: str) -> None:
    """Sign a staff member in through the admin's form: she lands on her home."""
    page.goto(base + "/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")
