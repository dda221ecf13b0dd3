import json

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from clinic.models import AuditAction, AuditEvent, User
from patients.models import CheckIn, ExerciseLog, Patient, Session
from patients.privacy import (
    ERASED_TEXT_FIELDS,
    KEPT_TEXT_FIELDS,
    PSEUDONYMISED_FIELDS,
    patient_erase,
    patient_export,
    patient_linked_models,
)

from .patient_records import patient_records

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:patients_patient_changelist")


def models_with_a_path_to_patient() -> set[type[models.Model]]:
    """Every model from which foreign keys lead to Patient, found from the fields' side."""
    reaching = {Patient}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            # A proxy shares its concrete model's table and rows: nothing more to export.
            if model in reaching or model._meta.proxy:
                continue
            targets = {
                field.related_model
                for field in model._meta.get_fields()
                if field.is_relation and field.concrete and field.related_model is not None
            }
            if targets & reaching:
                reaching.add(model)
                grew = True
    return reaching


def text_fields(model) -> set[str]:
    return {
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.choices
    }


def test_the_export_walks_every_model_with_a_path_to_patient():
    assert set(patient_linked_models()) == models_with_a_path_to_patient()


def test_every_text_field_of_patient_data_has_a_decided_fate_on_erasure():
    for model in models_with_a_path_to_patient():
        label = model._meta.label_lower
        decided = {
            *PSEUDONYMISED_FIELDS.get(label, ()),
            *ERASED_TEXT_FIELDS.get(label, ()),
            *KEPT_TEXT_FIELDS.get(label, ()),
        }
        undecided = text_fields(model) - decided
        assert not undecided, (
            f"{label}: decide what erasure does with {sorted(undecided)} in patients/privacy.py "
            "(ERASED_TEXT_FIELDS, or KEPT_TEXT_FIELDS with the reason)"
        )


def test_the_export_holds_a_row_of_every_patient_linked_model_and_nothing_of_others(
    carol, erin, alma
):
    patient_records(carol, marker="CAROL")
    patient_records(erin, marker="ERIN")
    export = patient_export(patient=carol, by=alma)
    expected = {model._meta.label_lower for model in models_with_a_path_to_patient()}
    missing = expected - set(export["records"])
    assert not missing, f"no rows of {missing}: add one to tests/clinic/patient_records.py"
    text = json.dumps(export, default=str)
    assert "CAROL session note" in text
    assert "ERIN" not in text
    assert export["records"]["patients.patient"][0]["id"] == carol.pk
    assert export["login"]["email"] == "carol@a.example"
    assert "password" not in text


def test_a_clinic_admin_downloads_the_export_and_it_is_audited(client, alma, carol):
    patient_records(carol, marker="CAROL")
    client.force_login(alma)
    response = client.post(
        CHANGELIST, {"action": "export_patient_data", "_selected_action": [carol.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="patient-{carol.pk}.json"'
    assert json.loads(response.content)["patient_id"] == carol.pk
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor, event.patient_id, event.clinic) == (alma, carol.pk, carol.clinic)


def test_a_therapist_is_not_offered_export_or_erasure(client, alice, carol):
    client.force_login(alice)
    listing = client.get(CHANGELIST)
    assert "export_patient_data" not in listing.text
    response = client.post(
        CHANGELIST, {"action": "export_patient_data", "_selected_action": [carol.pk]}
    )
    assert "attachment" not in response.get("Content-Disposition", "")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_clinic_admin_cannot_export_another_clinics_patient(client, alma, dave):
    client.force_login(alma)
    response = client.post(
        CHANGELIST, {"action": "export_patient_data", "_selected_action": [dave.pk]}, follow=True
    )
    assert "Dave" not in response.text
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_erasure_asks_for_confirmation_first(client, alma, carol):
    client.force_login(alma)
    response = client.post(CHANGELIST, {"action": "erase_patient", "_selected_action": [carol.pk]})
    assert response.status_code == 200
    assert "cannot be undone" in response.text
    carol.refresh_from_db()
    assert carol.first_name == "Carol"


def test_erasure_removes_personal_data_and_keeps_the_adherence_numbers(client, alma, carol):
    records = patient_records(carol, marker="CAROL")
    login = carol.user
    phone = Client()
    phone.force_login(login)
    client.force_login(alma)
    response = client.post(
        CHANGELIST,
        {"action": "erase_patient", "_selected_action": [carol.pk], "confirm": "yes"},
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.first_name, carol.last_name, carol.email) == ("Erased patient", "", "")
    assert carol.user is None and not carol.reminder_consent
    assert not User.objects.filter(pk=login.pk).exists()
    assert phone.get(reverse("patients:home")).status_code == 302
    for model in models_with_a_path_to_patient():
        for row in model._base_manager.values():
            assert not any("CAROL" in str(value) for value in row.values()), (model, row)
            assert not any("carol@a.example" in str(value) for value in row.values())
    assert Session.objects.filter(patient=carol).count() == 1
    assert CheckIn.objects.filter(patient=carol).count() == 1
    log = ExerciseLog.objects.get(pk=records["log"].pk)
    assert (log.sets_done, log.reps_done, log.pain) == (1, 2, 3)
    event = AuditEvent.objects.get(action=AuditAction.ERASE)
    assert event.patient_id == carol.pk and event.actor == alma


def test_the_audit_trail_never_names_a_patient(client, alma, carol):
    client.force_login(alma)
    client.get(reverse("admin:patients_patient_change", args=[carol.pk]))
    patient_export(patient=carol, by=alma)
    patient_erase(patient=carol, by=alma)
    for event in AuditEvent.objects.all():
        assert "Carol" not in f"{event.object_repr} {event.actor_repr} {event.extra}"


def test_erasure_empties_the_goal_and_education_in_every_language_and_keeps_the_name(alma, carol):
    from django.db import connection

    from tests.factories import AssignmentFactory

    assignment = AssignmentFactory(
        patient=carol,
        name_en="Hip stretches",
        name_de="Hüftdehnungen",
        goal_en="Walk to CAROL's allotment",
        goal_de="Zu CAROLs Garten gehen",
        education_es="CAROL: camina cada día",
    )
    patient_erase(patient=carol, by=alma)
    columns = [
        f"{name}{suffix}"
        for name in ("name", "goal", "education")
        for suffix in ("", "_en", "_de", "_es")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM patients_assignment WHERE id = %s",
            [assignment.pk],
        )
        row = dict(zip(columns, cursor.fetchone(), strict=True))
    assert not any("CAROL" in str(value) for value in row.values()), row
    assert (row["name"], row["name_en"], row["name_de"]) == (
        "Hip stretches",
        "Hip stretches",
        "Hüftdehnungen",
    )
