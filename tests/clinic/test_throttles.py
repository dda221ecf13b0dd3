"""Rate limits on what anyone can ask for without signing in (clinic/throttles.py).

The counters are in the shared default cache (Redis in the tests, as in production), so
every web worker counts against one budget; account emails leave from Celery tasks, so
the answer never depends on whether an address has a login.
"""

import time

import pytest
import time_machine
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from clinic.throttles import rate_limit_hit

pytestmark = pytest.mark.django_db

SIGN_IN_LINK = "patients:sign_in_link_request"


def ask_link(client, email, ip="198.51.100.7"):
    return client.post(reverse(SIGN_IN_LINK), {"email": email}, REMOTE_ADDR=ip)


def test_the_31st_sign_in_link_request_from_one_address_is_refused_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as enqueued:
        for n in range(30):
            assert ask_link(client, f"someone{n}@example.com").status_code == 200
    assert len(enqueued) == 30
    with django_capture_on_commit_callbacks() as enqueued:
        refused = ask_link(client, "one-more@example.com")
    assert refused.status_code == 429
    assert "Too many attempts from your connection" in refused.text
    assert "Nothing was sent" in refused.text
    assert int(refused["Retry-After"]) > 0
    assert enqueued == []
    assert mail.outbox == []


def test_another_client_address_has_its_own_budget(client):
    for n in range(31):
        ask_link(client, f"someone{n}@example.com")
    assert ask_link(client, "someone@example.com", ip="198.51.100.8").status_code == 200


def test_one_email_address_gets_at_most_five_account_emails_an_hour_whoever_asks(
    client, carol, after_commit
):
    with after_commit():
        for n in range(8):
            response = ask_link(client, "carol@a.example", ip=f"198.51.100.{n}")
            assert "a sign-in link is on its way" in response.text
    assert len(mail.outbox) == 5


def test_a_known_and_an_unknown_address_get_the_same_answer_and_the_same_task(
    client, carol, django_capture_on_commit_callbacks, monkeypatch
):
    from clinic import queue as patient_queue

    answers, tasks = [], []
    monkeypatch.setattr(
        patient_queue, "enqueue", lambda task, arguments: tasks.append((task.name, arguments))
    )
    for email in ("carol@a.example", "nobody@a.example"):
        with django_capture_on_commit_callbacks(execute=True):
            response = ask_link(client, email)
        answers.append((response.status_code, response.text))
    assert answers[0] == answers[1]
    assert tasks == [
        ("patients.invitations.sign_in_link_email", [("carol@a.example",)]),
        ("patients.invitations.sign_in_link_email", [("nobody@a.example",)]),
    ]
    # Nothing is looked up or sent inside the request.
    assert mail.outbox == []


def test_a_password_reset_is_sent_by_a_task_for_known_and_unknown_addresses_alike(
    client, carol, django_capture_on_commit_callbacks
):
    answers = []
    for email in ("carol@a.example", "nobody@a.example"):
        with django_capture_on_commit_callbacks() as enqueued:
            response = client.post(reverse("password_reset"), {"email": email})
        answers.append((response.status_code, response.url))
        assert len(enqueued) == 1
    assert answers[0] == answers[1]
    assert mail.outbox == []


def test_the_31st_password_reset_from_one_address_is_refused(client):
    for n in range(30):
        client.post(reverse("password_reset"), {"email": f"someone{n}@example.com"})
    refused = client.post(reverse("password_reset"), {"email": "one-more@example.com"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text


@pytest.mark.parametrize("url", ["patients:login", "admin:login"])
def test_sign_in_attempts_are_limited_per_client_address(client, carol, url):
    for _ in range(30):
        client.post(reverse(url), {"username": "carol@a.example", "password": "wrong"})
    refused = client.post(reverse(url), {"username": "carol@a.example", "password": "wrong"})
    assert refused.status_code == 429


def test_a_signed_in_patients_posts_are_not_counted_as_anonymous(client, carol):
    client.force_login(carol.user)
    for _ in range(35):
        response = client.post(reverse("patients:sign_in_link_request"), {"email": "x@a.example"})
        assert response.status_code == 200


def test_inviting_one_patient_again_and_again_is_limited(client, alice, clinic_a, after_commit):
    from tests.factories import PatientFactory

    fiona = PatientFactory(clinic=clinic_a, first_name="Fiona", email="fiona@a.example")
    client.force_login(alice)
    changelist = reverse("admin:patients_patient_changelist")
    with after_commit():
        for _ in range(6):
            response = client.post(
                changelist,
                {"action": "invite_to_patient_site", "_selected_action": [fiona.pk]},
                follow=True,
            )
    assert len(mail.outbox) == 5
    assert "was sent several emails this hour already" in response.text


def test_the_counters_are_shared_by_every_web_worker(monkeypatch):
    """Each gunicorn worker has its own cache connection; all count against one budget."""
    assert isinstance(caches["default"], RedisCache)
    for _ in range(20):
        assert rate_limit_hit("anonymous_audit", "203.0.113.9") is None
    another_worker = caches.create_connection("default")
    monkeypatch.setattr("clinic.throttles.cache", another_worker)
    assert rate_limit_hit("anonymous_audit", "203.0.113.9") is not None


def test_no_address_is_kept_in_the_cache_in_clear(client):
    ask_link(client, "private.person@example.com")
    cache = caches["default"]
    client_ = cache._cache.get_client(write=False)
    keys = [key.decode() for key in client_.scan_iter(match=cache.make_key("*"))]
    assert keys
    assert not any("private.person" in key or "198.51.100.7" in key for key in keys)


def test_a_burst_across_a_windows_edge_is_not_let_through_twice():
    count, period = 30, 900
    edge = (int(time.time()) // period + 10) * period
    with time_machine.travel(edge - 2, tick=False):
        for _ in range(count):
            assert rate_limit_hit("anonymous_write", "edge") is None
    with time_machine.travel(edge + 2, tick=False):
        assert rate_limit_hit("anonymous_write", "edge") is not None
    with time_machine.travel(edge + period + 2, tick=False):
        assert rate_limit_hit("anonymous_write", "edge") is None


def test_the_apis_throttles_count_in_the_shared_cache_too():
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    from api.throttling import AnonThrottle, UserOrTokenThrottle

    for throttle in (AnonThrottle, UserOrTokenThrottle):
        assert issubclass(throttle, SimpleRateThrottle)
    assert SimpleRateThrottle.cache is cache
    assert isinstance(caches["default"], RedisCache)
