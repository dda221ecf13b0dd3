"""After an erasure, no table of the database names the patient: a dump of every text and
JSON column of every table holds neither their name nor their email (#18, finding 5)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from clinic.models import AuditAction, AuditEvent
from patients.models import Patient
from tests.factories import UserFactory

from .patient_records import patient_records

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:patients_patient_changelist")
FIRST, LAST, EMAIL = "Zebedee", "Quillfeather", "zeb.quill@patient.example"


def database_dump() -> str:
    """Every value of every text, varchar and JSON column of every table, as one text."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'json', 'jsonb')"""
        )
        columns = cursor.fetchall()
        values = []
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
            values += [row[0] for row in cursor.fetchall()]
    return "\n".join(values).casefold()


@pytest.fixture
def zebedee(clinic_a, alma):
    """A patient an integration created through the API (its answer is kept for retries)."""
    api = APIClient()
    api.force_login(alma)
    created = api.post(
        "/api/v1/patients/",
        {"first_name": FIRST, "last_name": LAST, "email": EMAIL},
        format="json",
        HTTP_IDEMPOTENCY_KEY="sync-1",
    )
    patient = Patient.objects.get(pk=created.json()["id"])
    patient.user = UserFactory(email=EMAIL, full_name=f"{FIRST} {LAST}")
    patient.save()
    patient_records(patient, marker=LAST)
    return patient


def leave_traces_everywhere(zebedee, alma, settings):
    """Use Flexion as people do, so the patient's name and email land in every store."""
    # Failed sign-ins and a lockout, as the audit trail recorded them before #18.
    AuditEvent.objects.create(action=AuditAction.LOGIN_FAILED, extra={"username": EMAIL})
    settings.AXES_ENABLED = True
    anonymous = Client()
    for _ in range(6):
        anonymous.post(reverse("patients:login"), {"username": EMAIL, "password": "wrong"})
    settings.AXES_ENABLED = False
    assert AccessAttempt.objects.filter(username=EMAIL).exists()
    # The patient signed in on their phone.
    Client().force_login(zebedee.user)
    # The clinic admin edited the record in the admin ("Recent actions").
    admin = Client()
    admin.force_login(alma)
    admin.post(
        reverse("admin:patients_patient_change", args=[zebedee.pk]),
        {
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "therapist": "",
            "timezone": "Europe/London",
            "reminder_consent": "on",
        },
    )
    assert LogEntry.objects.filter(object_repr__icontains=LAST).exists()
    admin.get(reverse("admin:index"))  # shows (and so forgets) the "changed" message
    # An integration looked the patient up by email.
    api = APIClient()
    api.force_login(alma)
    api.get("/api/v1/patients/", {"email": EMAIL})
    return admin


def test_after_an_erasure_no_table_holds_the_patients_name_or_email(zebedee, alma, settings):
    admin = leave_traces_everywhere(zebedee, alma, settings)
    login_id = zebedee.user_id
    before = database_dump()
    assert EMAIL in before and LAST.casefold() in before
    response = admin.post(
        CHANGELIST,
        {"action": "erase_patient", "_selected_action": [zebedee.pk], "confirm": "yes"},
    )
    assert response.status_code == 302
    after = database_dump()
    for private in (EMAIL, f"{FIRST} {LAST}", LAST, "zeb.quill%40patient.example"):
        assert private.casefold() not in after, private
    signed_in = [
        session.get_decoded().get("_auth_user_id") for session in DjangoSession.objects.all()
    ]
    assert str(login_id) not in signed_in


def test_the_admins_recent_actions_name_the_erased_patient_by_number(zebedee, alma, settings):
    admin = leave_traces_everywhere(zebedee, alma, settings)
    admin.post(
        CHANGELIST,
        {"action": "erase_patient", "_selected_action": [zebedee.pk], "confirm": "yes"},
    )
    page = admin.get(reverse("admin:index")).text
    assert LAST not in page
    assert f"patient #{zebedee.pk}" in page


def test_failed_sign_ins_are_recorded_by_login_id_not_by_email(client, zebedee):
    client.post(reverse("patients:login"), {"username": EMAIL, "password": "wrong"})
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.extra == {"known_account": True, "account_ids": [zebedee.user_id]}


def test_api_lists_record_the_names_of_their_filters_not_the_values(alma, zebedee):
    api = APIClient()
    api.force_login(alma)
    api.get("/api/v1/patients/", {"email": EMAIL})
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert event.extra["filters"] == ["email"]
    assert EMAIL not in str(event.extra)


def test_the_audit_trail_still_refuses_any_other_change(zebedee):
    from django.db import DatabaseError, transaction

    from clinic.audit import audit_erasure_scrub

    event = AuditEvent.objects.create(action=AuditAction.LOGIN_FAILED, extra={"x": 1})
    with pytest.raises(DatabaseError), transaction.atomic(), audit_erasure_scrub():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGIN)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(extra={})
    with pytest.raises(DatabaseError), transaction.atomic(), audit_erasure_scrub():
        AuditEvent.objects.filter(pk=event.pk).delete()
