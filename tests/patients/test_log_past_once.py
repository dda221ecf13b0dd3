"""Logging a session done earlier records one per day, however often the form is sent.

The concurrency tests are real: threads with connections of their own post at once to
PostgreSQL, committed as in production (transaction=True).
"""

import datetime
import threading
import uuid

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from patients.models import Session
from patients.progress import local_today
from tests.factories import AssignmentFactory

CONCURRENT = 10


@pytest.fixture
def carols_assignment(carol):
    return AssignmentFactory(
        patient=carol, start_date=timezone.now().date() - datetime.timedelta(days=14)
    )


def yesterday(assignment):
    return (local_today(assignment) - datetime.timedelta(days=1)).isoformat()


def at_once(count, post):
    """Run post() in `count` threads released together; return their responses."""
    start = threading.Barrier(count)
    responses = [None] * count

    def run(n):
        try:
            start.wait()
            responses[n] = post(n)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_the_page_record_one_session(carol, carols_assignment):
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}

    def post(_n):
        client = Client()
        client.force_login(carol.user)
        return client.post(reverse("patients:session_log_past"), data)

    responses = at_once(CONCURRENT, post)
    assert Session.objects.filter(assignment=carols_assignment).count() == 1
    assert sorted(response.status_code for response in responses) == [302] + [409] * 9


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_api_posts_with_one_idempotency_key_create_one_and_replay_it(
    carol, carols_assignment
):
    key = str(uuid.uuid4())
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}

    def post(_n):
        client = APIClient()
        client.force_login(carol.user)
        return client.post("/api/v1/sessions/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)

    responses = at_once(CONCURRENT, post)
    assert Session.objects.filter(assignment=carols_assignment).count() == 1
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum(response.get("Idempotency-Key-Replayed") == "true" for response in responses) == 9


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_api_posts_without_a_key_still_record_one_session(carol, carols_assignment):
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}

    def post(_n):
        client = APIClient()
        client.force_login(carol.user)
        return client.post("/api/v1/sessions/", data, format="json")

    responses = at_once(CONCURRENT, post)
    assert Session.objects.filter(assignment=carols_assignment).count() == 1
    assert sorted(response.status_code for response in responses) == [201] + [409] * 9
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json()["code"] == "already_logged"


@pytest.mark.django_db
def test_the_page_asks_before_logging_a_second_session_on_one_day(client, carol, carols_assignment):
    client.force_login(carol.user)
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}
    client.post(reverse("patients:session_log_past"), data)
    asked = client.post(reverse("patients:session_log_past"), data)
    assert "You already logged a session on that day. Log another?" in asked.text
    assert 'name="another" value="yes"' in asked.text
    assert Session.objects.count() == 1
    confirmed = client.post(reverse("patients:session_log_past"), {**data, "another": "yes"})
    assert confirmed.url == reverse("patients:home")
    assert Session.objects.count() == 2


@pytest.mark.django_db
def test_the_api_logs_a_second_session_of_a_day_when_asked_to(carol, carols_assignment):
    api = APIClient()
    api.force_login(carol.user)
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}
    assert api.post("/api/v1/sessions/", data, format="json").status_code == 201
    assert api.post("/api/v1/sessions/", data, format="json").status_code == 409
    again = api.post("/api/v1/sessions/", {**data, "another": True}, format="json")
    assert again.status_code == 201
    assert Session.objects.count() == 2


@pytest.mark.django_db
def test_a_key_sent_again_with_another_request_is_refused(carol, carols_assignment):
    api = APIClient()
    api.force_login(carol.user)
    data = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}
    api.post("/api/v1/sessions/", data, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = api.post(
        "/api/v1/sessions/", {**data, "effort": 9}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_a_failed_create_leaves_its_key_free_for_the_retry(carol, carols_assignment):
    api = APIClient()
    api.force_login(carol.user)
    bad = {"assignment": carols_assignment.pk, "performed_on": "2000-01-01"}
    assert (
        api.post("/api/v1/sessions/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code
        == 400
    )
    good = {"assignment": carols_assignment.pk, "performed_on": yesterday(carols_assignment)}
    assert (
        api.post("/api/v1/sessions/", good, format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code
        == 201
    )


@pytest.mark.django_db
def test_every_api_create_honours_an_idempotency_key(alice, clinic_a):
    """The rule: any create answers a repeated key with the first answer, not a new row."""
    from patients.models import Patient

    api = APIClient()
    api.force_login(alice)
    first = api.post(
        "/api/v1/patients/", {"first_name": "Ida"}, format="json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    again = api.post(
        "/api/v1/patients/", {"first_name": "Ida"}, format="json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Patient.objects.filter(first_name="Ida").count() == 1
