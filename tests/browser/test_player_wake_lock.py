"""The player keeps the phone's screen on while a timer runs, and only then (Wake Lock API).

The page's own ``navigator.wakeLock.request`` is wrapped before any script runs: each call is
recorded and passed on to Chromium's real Wake Lock, whose lock (a real WakeLockSentinel) is
watched for its ``release`` event. Nothing replaces the feature itself.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.patients.back_pain import back_pain_assignment

from .conftest import patient_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE_390 = {"width": 390, "height": 844}

RECORD_WAKE_LOCKS = """
(() => {
  const calls = [];
  window.wakeLockCalls = calls;
  if (!("wakeLock" in navigator)) return;
  const wakeLock = navigator.wakeLock;
  const request = wakeLock.request.bind(wakeLock);
  wakeLock.request = (type) => {
    calls.push("request " + type);
    return request(type).then(
      (lock) => {
        calls.push("granted");
        lock.addEventListener("release", () => calls.push("released"));
        return lock;
      },
      (error) => {
        calls.push("refused " + error.name);
        throw error;
      }
    );
  };
})();
"""


def calls(page) -> list[str]:
    return page.evaluate("window.wakeLockCalls.slice()")


def wait_for_calls(page, expected: list[str]) -> None:
    page.wait_for_function(
        "expected => JSON.stringify(window.wakeLockCalls) === JSON.stringify(expected)",
        arg=expected,
    )


@pytest.fixture
def player(live_server, new_page, carol):
    back_pain_assignment(carol, timezone.localdate())
    page = new_page(viewport=PHONE_390)
    # The live server is http://localhost, a secure context: Chromium offers the API there.
    page.add_init_script(RECORD_WAKE_LOCKS)
    page.clock.install()
    patient_signs_in(page, live_server.url, "carol@a.example")
    page.get_by_role("button", name="Start today's session").click()
    expect(page.locator("#timer")).to_be_visible()
    assert page.evaluate("'wakeLock' in navigator"), "Chromium offers no Wake Lock API here"
    assert calls(page) == []  # nothing asked before a timer runs
    return page


def test_a_running_timer_holds_a_wake_lock_released_on_pause_and_at_the_end(player):
    page = player
    timer = page.locator("#timer")
    page.get_by_role("button", name="Start the 20 s hold timer").click()
    wait_for_calls(page, ["request screen", "granted"])
    expect(timer).to_have_attribute("data-awake", "yes")

    page.clock.run_for(3500)
    page.get_by_role("button", name="Pause").click()
    wait_for_calls(page, ["request screen", "granted", "released"])
    expect(timer).not_to_have_attribute("data-awake", "yes")

    page.get_by_role("button", name="Resume").click()
    wait_for_calls(page, ["request screen", "granted", "released", "request screen", "granted"])
    expect(timer).to_have_attribute("data-awake", "yes")

    # 2 reps each side: four holds of 20 s, each after a 3 s get-ready.
    for _ in range(4):
        page.clock.run_for(23_000)
    expect(page.locator("#timer-phase")).to_have_text("All done. Well done! Log it below.")
    wait_for_calls(
        page,
        ["request screen", "granted", "released", "request screen", "granted", "released"],
    )
    expect(timer).not_to_have_attribute("data-awake", "yes")


def test_a_timer_paused_before_the_lock_arrives_does_not_keep_the_screen_on(player):
    page = player
    # Start and pause in one go: the browser grants the lock after the pause.
    page.evaluate(
        "document.getElementById('timer-start').click();"
        "document.getElementById('timer-pause').click();"
    )
    expect(page.locator("#timer-paused")).to_be_visible()
    wait_for_calls(page, ["request screen", "granted", "released"])
    expect(page.locator("#timer")).not_to_have_attribute("data-awake", "yes")
