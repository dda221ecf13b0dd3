import os

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django must still allow
# synchronous database access there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def starter_library(db):
    """The shared starter exercises and default programs, as `make run` loads them."""
    from programs.services import starter_library_load

    starter_library_load()


@pytest.fixture
def admin_page(live_server):
    """A Chromium page (1400 × 900) that can reach only the live server."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        # Keep the tests off the network: the admin's video embeds are not needed here.
        context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        # While Playwright's event loop runs, Django hands this thread a separate database
        # connection (an async context): close it, or it outlives the test database.
        connections.close_all()
        browser.close()
