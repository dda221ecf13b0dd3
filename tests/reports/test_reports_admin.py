"""The adherence report pages of the admin: scoped, charted, constant in queries."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from patients.models import CheckIn, ProgramWeek, Session, SessionStatus, StageChange
from reports.models import AttentionReview
from tests.factories import PASSWORD, AssignmentFactory, PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
NOW = datetime.datetime(2026, 3, 25, 12, tzinfo=datetime.UTC)
REPORT = reverse("admin:reports_adherencereport_changelist")
ATTENTION = reverse("admin:reports_adherencereport_attention")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def history(patient, therapist=None, painful=False):
    assignment = AssignmentFactory(patient=patient, start_date=MONDAY, therapist=therapist)
    for n in range(4):
        first = MONDAY + datetime.timedelta(weeks=n)
        ProgramWeek.objects.create(
            assignment=assignment,
            starts_on=first,
            ends_on=first + datetime.timedelta(days=6),
            stage="start",
            planned=2,
            planned_days=[first.isoformat(), (first + datetime.timedelta(days=3)).isoformat()],
        )
        session = Session.objects.create(
            assignment=assignment,
            patient=patient,
            performed_on=first,
            status=SessionStatus.COMPLETED,
        )
    if painful:
        CheckIn.objects.create(
            session=session,
            patient=patient,
            answer="painful",
            answered_on=first + datetime.timedelta(days=1),
        )
    return assignment


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_the_report_is_reachable_from_the_admin_index(client, alice):
    response = login(client, alice).get(reverse("admin:index"))
    assert REPORT.encode() in response.content


def test_the_report_shows_the_clinics_patients_a_chart_and_no_inline_script_or_style(
    client, alice, carol, dave
):
    history(carol)
    history(dave)
    response = login(client, alice).get(REPORT, {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    content = response.content.decode()
    assert str(carol) in content
    assert str(dave) not in content
    assert '<svg class="report-chart"' in content
    assert content.count('class="chart-bar bar-fair"') == 3  # three ended weeks at 50 %
    assert " style=" not in content
    assert not re.search(r"<script(?![^>]*\bsrc=)", content)


def test_the_report_filters_by_therapist(client, alice, carol, erin):
    history(carol, therapist=alice.staff)
    history(erin)
    response = login(client, alice).get(REPORT, {"therapist": alice.staff.pk})
    assert str(carol) in response.content.decode()
    assert str(erin) not in response.content.decode()


def test_the_report_explains_bad_filters_instead_of_showing_numbers(client, alice, carol, bob):
    history(carol)
    response = login(client, alice).get(REPORT, {"therapist": bob.staff.pk})
    assert "Unknown therapist." in response.content.decode()
    assert str(carol) not in response.content.decode()


def test_a_patient_without_staff_rights_cannot_open_the_report(client, carol):
    response = login(client, carol.user).get(REPORT)
    assert response.status_code == 302  # back to the admin login


@pytest.mark.parametrize("patients", [3, 12])
def test_the_report_needs_the_same_number_of_queries_for_any_number_of_patients(
    client, alice, django_assert_max_num_queries, patients
):
    for _ in range(patients):
        history(PatientFactory(clinic=alice.staff.clinic))
    login(client, alice)
    with django_assert_max_num_queries(10):
        response = client.get(REPORT)
    assert response.content.decode().count('name="_selected_action"') == patients


def test_the_table_is_paged_while_the_totals_cover_every_patient(client, alice, monkeypatch):
    from reports import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(3):
        history(PatientFactory(clinic=alice.staff.clinic))
    login(client, alice)
    first = client.get(REPORT).content.decode()
    second = client.get(REPORT, {"page": "2"}).content.decode()
    assert first.count('name="_selected_action"') == 2
    assert second.count('name="_selected_action"') == 1
    for content in (first, second):
        assert "(9/18 planned sessions done) · 3 patients" in content


def test_a_patients_page_shows_weekly_adherence_and_pain(client, alice, carol):
    assignment = history(carol)
    response = login(client, alice).get(
        reverse("admin:reports_adherencereport_patient", args=[assignment.pk])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Pain trend" in content
    assert content.count("50.0%") == 3
    assert "in progress" in content


def test_a_patient_of_another_clinic_is_not_found(client, alice, dave):
    assignment = history(dave)
    response = login(client, alice).get(
        reverse("admin:reports_adherencereport_patient", args=[assignment.pk])
    )
    assert response.status_code == 404


def test_a_therapist_works_down_the_needs_attention_list(client, alice, carol, erin, dave):
    hurting = history(carol, painful=True)
    StageChange.objects.create(
        assignment=hurting,
        effective_on=datetime.date(2026, 3, 24),
        to_stage="start",
        kind="alert",
        reason="-",
        alert_therapist=True,
    )
    history(erin)  # one session a week: missed the second planned day, but not two in a row
    history(dave, painful=True)
    login(client, alice)
    content = client.get(ATTENTION).content.decode()
    assert str(carol) in content
    assert str(erin) not in content
    assert str(dave) not in content

    review = reverse("admin:reports_adherencereport_review", args=[hurting.pk])
    assert review in content
    response = client.post(review)
    assert response.status_code == 302
    assert StageChange.objects.get().acknowledged_at is not None
    assert review not in client.get(ATTENTION).content.decode()


def test_nobody_can_review_a_patient_of_another_clinic(client, alice, dave):
    assignment = history(dave, painful=True)
    response = login(client, alice).post(
        reverse("admin:reports_adherencereport_review", args=[assignment.pk])
    )
    assert response.status_code == 404
    assert not AttentionReview.objects.exists()


def test_my_patients_only_limits_the_list_to_the_therapists_own(client, alice, carol, erin):
    history(carol, therapist=alice.staff, painful=True)
    history(erin, therapist=StaffFactory(clinic=alice.staff.clinic), painful=True)
    content = login(client, alice).get(ATTENTION, {"mine": "1"}).content.decode()
    assert str(carol) in content
    assert str(erin) not in content
