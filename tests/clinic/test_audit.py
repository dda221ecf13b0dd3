import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

AUDIT_LIST = reverse("admin:clinic_auditevent_changelist")


def patient_url(patient, view="change"):
    return reverse(f"admin:patients_patient_{view}", args=[patient.pk])


def test_opening_a_patient_in_the_admin_is_recorded(client, alice, carol):
    client.force_login(alice)
    client.get(patient_url(carol))
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.clinic, event.patient_id) == (alice, carol.clinic, carol.pk)
    assert (event.object_type, event.object_id) == ("patients.patient", str(carol.pk))
    assert event.object_repr == f"patient #{carol.pk}"
    assert event.at.tzinfo is not None and event.at.utcoffset() == datetime.timedelta(0)


def test_changing_and_deleting_a_patient_is_recorded(client, alma, carol):
    client.force_login(alma)
    client.post(
        patient_url(carol),
        {"first_name": "Caroline", "last_name": "", "email": "carol@a.example", "timezone": "UTC"},
    )
    change = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert change.patient_id == carol.pk
    assert "First name" in str(change.extra["change"])
    client.post(patient_url(carol, "delete"), {"post": "yes"})
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, patient_id=carol.pk).exists()


def test_adding_a_patient_is_recorded(client, alice):
    client.force_login(alice)
    client.post(
        reverse("admin:patients_patient_add"),
        {"first_name": "Fay", "last_name": "Field", "email": "fay@example.com", "timezone": "UTC"},
    )
    assert AuditEvent.objects.filter(action=AuditAction.ADD, object_type="patients.patient")


def test_trying_another_clinics_patient_is_recorded_as_refused(client, alice, dave):
    client.force_login(alice)
    client.get(patient_url(dave))
    event = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert (event.actor, event.object_id) == (alice, str(dave.pk))
    assert event.clinic == alice.staff.clinic


def test_a_refused_attempt_names_the_other_clinics_row_by_id_only(client, alma, clinic_b):
    client.force_login(alma)
    client.get(reverse("admin:clinic_clinic_change", args=[clinic_b.pk]))
    event = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert (event.object_type, event.object_id) == ("clinic.clinic", str(clinic_b.pk))
    assert "Clinic B" not in f"{event.object_repr} {event.extra}"


def test_every_refused_request_is_recorded(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:clinic_staffmember_add")).status_code == 403
    event = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert event.extra["path"] == reverse("admin:clinic_staffmember_add")


def test_signing_out_is_recorded(client, carol):
    client.force_login(carol.user)
    client.post(reverse("patients:logout"))
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=carol.user).exists()


def test_a_clinic_admin_reads_their_clinics_trail_and_nothing_else(client, alma, carol, bob):
    audit_record(action=AuditAction.EXPORT, actor=alma, obj=carol)
    audit_record(action=AuditAction.LOGIN, actor=bob)
    client.force_login(alma)
    listing = client.get(AUDIT_LIST)
    assert listing.status_code == 200
    assert f"patient #{carol.pk}" in listing.text
    assert "bob@b.example" not in listing.text


def test_the_trail_cannot_be_changed_from_the_admin(client, alma, carol):
    event = audit_record(action=AuditAction.EXPORT, actor=alma, obj=carol)
    client.force_login(alma)
    assert client.get(reverse("admin:clinic_auditevent_add")).status_code == 403
    detail = client.get(reverse("admin:clinic_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text
    deleted = client.post(
        reverse("admin:clinic_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_therapists_do_not_see_the_trail(client, alice):
    client.force_login(alice)
    assert client.get(AUDIT_LIST).status_code == 403


def test_the_database_refuses_to_change_or_delete_an_event(alma):
    event = audit_record(action=AuditAction.LOGIN, actor=alma)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinic_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_login_leaves_its_events_in_place(alma, carol):
    audit_record(action=AuditAction.LOGIN, actor=carol.user)
    user_pk = carol.user.pk
    carol.user.delete()
    assert AuditEvent.objects.filter(actor_id=user_pk).exists()


def test_a_thousand_anonymous_posts_without_a_csrf_token_do_not_write_a_thousand_rows(settings):
    # Let every post through the per-endpoint limit, to test the trail's own bound.
    settings.FLEXION_RATES = {**settings.FLEXION_RATES, "anonymous_write": (10_000, 900)}
    client = Client(enforce_csrf_checks=True)
    for n in range(1000):
        response = client.post(
            reverse("patients:login"), {"username": f"x{n}@example.com", "password": "x"}
        )
        assert response.status_code == 403
    written = AuditEvent.objects.filter(action=AuditAction.DENIED).count()
    assert 1 <= written <= settings.FLEXION_RATES["anonymous_audit"][0]


def test_anonymous_events_are_bounded_per_client_address_not_overall(settings):
    client = Client(enforce_csrf_checks=True)
    for ip in ("203.0.113.1", "203.0.113.2"):
        for _ in range(25):
            client.post(reverse("patients:login"), {}, REMOTE_ADDR=ip)
    limit = settings.FLEXION_RATES["anonymous_audit"][0]
    for ip in ("203.0.113.1", "203.0.113.2"):
        assert AuditEvent.objects.filter(action=AuditAction.DENIED, ip=ip).count() == limit


def test_a_signed_in_users_refusals_are_all_recorded(client, alice):
    client.force_login(alice)
    for _ in range(30):
        assert client.get(AUDIT_LIST).status_code == 403
    assert AuditEvent.objects.filter(actor=alice, action=AuditAction.DENIED).count() == 30
