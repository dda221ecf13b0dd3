"""The interactive API docs render in a real browser, offline and under the CSP."""

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_the_docs_render_every_operation_without_outside_requests(
    browser_context, live_server, alice
):
    page = browser_context().new_page()
    # The docs are for signed-in staff: sign in through the admin's login page.
    page.goto(f"{live_server.url}/api/docs/")
    page.fill("#id_username", alice.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    problems, hosts = [], set()
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "api-docs.png", full_page=False)
    assert any("/api/v1/assignments/{id}/" in path for path in paths)
    assert any("/api/v1/reports/adherence/" in path for path in paths)
    assert hosts == {urlparse(live_server.url).netloc}
    assert problems == []
