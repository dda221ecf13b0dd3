import pytest


@pytest.fixture
def starter_library(db):
    """The shared starter exercises and default programs, as `make run` loads them."""
    from programs.services import starter_library_load

    starter_library_load()


@pytest.fixture
def admin_page(live_server, browser_context):
    """A Chromium page (1400 × 900) that can reach only the live server."""
    context = browser_context(viewport={"width": 1400, "height": 900})
    # Keep the tests off the network: the admin's video embeds are not needed here.
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page
