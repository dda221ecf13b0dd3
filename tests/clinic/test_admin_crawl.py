"""Every admin URL as each role: changelists, change, add, history, delete and custom views.

The URL sweep asks for another clinic's ids; this crawl asks for the role's own clinic's
rows (the form crawl's world), where the pages really render. No answer may be a server
error, and every list a role may see opens.
"""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import UserFactory

from .test_form_crawl import own_world  # noqa: F401 (a fixture)
from .test_url_sweep import ALL_CASES, project_patterns, url_for

pytestmark = pytest.mark.django_db

# Pages that end the session or change who is signed in.
SKIPPED = {"admin:logout"}


@pytest.fixture
def root(db):
    """A platform operator: a superuser with no clinic."""
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


def admin_patterns():
    return [
        pattern
        for pattern in project_patterns()
        if pattern.route.startswith("admin/") and pattern.name not in SKIPPED
    ]


@pytest.mark.parametrize("who", ["alice", "alma", "root"])
def test_every_admin_url_answers_each_role_without_a_server_error(request, who, own_world):  # noqa: F811
    user = request.getfixturevalue(who)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    errors, seen = [], 0
    for pattern in admin_patterns():
        url = url_for(pattern, ALL_CASES[pattern.key], own_world)
        response = client.get(url)
        seen += 1
        if response.status_code >= 500:
            errors.append(f"GET {url}: {response.status_code}")
    assert seen > 100, "the crawl found too few admin URLs to mean anything"
    assert not errors, f"{who}: " + "\n".join(errors)


@pytest.mark.parametrize("who", ["alice", "alma", "root"])
def test_every_list_a_role_may_see_opens(request, who, own_world):  # noqa: F811
    user = request.getfixturevalue(who)
    client = Client()
    client.force_login(user)
    asked = RequestFactory().get("/admin/")
    asked.user = user
    lists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(asked)
    ]
    assert lists
    failures = [url for url in lists if client.get(url).status_code != 200]
    assert not failures, f"{who}: {failures}"


def test_a_therapist_may_see_the_clinic_but_not_change_it(client, alice, clinic_a):
    client.force_login(alice)
    url = reverse("admin:clinic_clinic_change", args=[clinic_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.text  # read-only
    response = client.post(url, {"name": "Renamed", "timezone": "UTC", "reminder_time": "07:00"})
    assert response.status_code == 403
    clinic_a.refresh_from_db()
    assert clinic_a.name == "Clinic A"


def test_a_clinic_admin_edits_the_clinics_name_time_zone_and_reminder_time(client, alma, clinic_a):
    client.force_login(alma)
    url = reverse("admin:clinic_clinic_change", args=[clinic_a.pk])
    page = client.get(url).text
    assert 'list="id_timezone_zones"' in page  # the searchable time-zone box
    response = client.post(
        url, {"name": "Clinic A & Co", "timezone": "Europe/Dublin", "reminder_time": "07:15"}
    )
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert (clinic_a.name, clinic_a.timezone, str(clinic_a.reminder_time)) == (
        "Clinic A & Co",
        "Europe/Dublin",
        "07:15:00",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Mars/Olympus_Mons is not a known time zone."),
        ("timezone", "x" * 10_000, "Ensure this value has at most 64 characters"),
        ("name", "x" * 10_000, "Ensure this value has at most 200 characters"),
        ("name", "", "This field is required."),
        ("reminder_time", "25:99", "Enter a valid time."),
    ],
)
def test_a_careless_clinic_edit_is_refused_with_a_clear_message_and_changes_nothing(
    client, alma, clinic_a, field, value, message
):
    client.force_login(alma)
    url = reverse("admin:clinic_clinic_change", args=[clinic_a.pk])
    data = {"name": "Clinic A", "timezone": "Europe/London", "reminder_time": "08:00"}
    response = client.post(url, {**data, field: value})
    assert response.status_code == 200
    assert message in response.text
    clinic_a.refresh_from_db()
    assert (clinic_a.name, clinic_a.timezone) == ("Clinic A", "Europe/London")


def test_a_clinic_admin_cannot_open_another_clinic(client, alma, clinic_b):
    client.force_login(alma)
    url = reverse("admin:clinic_clinic_change", args=[clinic_b.pk])
    response = client.get(url, follow=True)
    assert "Clinic B" not in response.text
    response = client.post(url, {"name": "Mine now", "timezone": "UTC", "reminder_time": "08:00"})
    assert response.status_code in (302, 403, 404)
    clinic_b.refresh_from_db()
    assert clinic_b.name == "Clinic B"
