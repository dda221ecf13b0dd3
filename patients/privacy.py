"""A patient's rights over their data: a complete export, and erasure.

Both find the patient's data by walking the model graph from ``Patient`` (every
model with a foreign key towards a patient, directly or through other rows), so a
model added later is exported without anyone remembering to add it here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import models, transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditAction
from clinic.security import user_sessions_end

from .models import Assignment, Patient
from .player import items_changed
from .reevaluation import assignment_reevaluate

EXPORT_FORMAT = "flexion-patient-export/1"
USER_FIELDS = ["email", "full_name", "is_active", "date_joined", "last_login"]

# What erasure does with each text field of a patient-linked model. Every such field
# must be listed in one of these (tests/clinic/test_privacy.py checks it), so a new
# note field cannot silently survive an erasure.
PSEUDONYMISED_FIELDS: dict[str, tuple[str, ...]] = {
    "patients.patient": ("first_name", "last_name", "email"),
}
ERASED_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "patients.assignment": ("goal", "education"),
    "patients.prescriptionitem": ("note",),
    "patients.session": ("note",),
    "patients.exerciselog": ("skip_reason",),
    "patients.reminder": ("last_error",),
}
# Text kept on erasure, with the reason: none of it says who the patient is.
KEPT_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    # Time zones place the program weeks, which adherence counts.
    "patients.patient": ("timezone",),
    # The program's name, the stage codes and the generated reasons of stage changes
    # describe the program, not the person; reports per program need them.
    "patients.assignment": ("name", "timezone"),
    "patients.stagechange": ("from_stage", "to_stage", "reason"),
    # The stage of each program week is what adherence is measured against.
    "patients.programweek": ("stage",),
}


def patient_linked_models() -> dict[type[models.Model], list[models.ForeignObjectRel]]:
    """Return every model whose rows belong to a patient, with the relations leading to it.

    Walks reverse relations (foreign keys, one-to-ones, many-to-manys pointing at a
    model) from Patient, breadth first.
    """
    linked: dict[type[models.Model], list[models.ForeignObjectRel]] = {Patient: []}
    queue = [Patient]
    while queue:
        model = queue.pop(0)
        for relation in model._meta.related_objects:
            related = relation.related_model
            if related in linked and related is not Patient:
                linked[related].append(relation)
                continue
            if related is Patient:
                continue
            linked[related] = [relation]
            queue.append(related)
    return linked


def patient_rows(patient: Patient) -> dict[type[models.Model], list[models.Model]]:
    """Return every row that belongs to the patient, per model."""
    linked = patient_linked_models()
    pks: dict[type[models.Model], set] = defaultdict(set)
    pks[Patient] = {patient.pk}
    changed = True
    # Repeat until nothing new turns up: a row can be reached along several paths.
    while changed:
        changed = False
        for model, relations in linked.items():
            for relation in relations:
                parents = pks.get(relation.model)
                if not parents:
                    continue
                found = set(
                    model._base_manager.filter(
                        **{f"{relation.field.name}__in": parents}
                    ).values_list("pk", flat=True)
                )
                if not found <= pks[model]:
                    pks[model] |= found
                    changed = True
    return {
        model: list(model._base_manager.filter(pk__in=pks[model]).order_by("pk"))
        for model in linked
        if pks[model]
    }


def _serialized(rows: list[models.Model]) -> list[dict]:
    return [
        {"id": item["pk"], "display": str(row), "fields": item["fields"]}
        for row, item in zip(rows, serializers.serialize("python", rows), strict=True)
    ]


def patient_export(*, patient: Patient, by, request=None) -> dict:
    """Return all of the patient's data as a JSON-ready dict, and record the export."""
    rows = patient_rows(patient)
    user = patient.user
    export = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "patient_id": patient.pk,
        "login": (
            {field: getattr(user, field) for field in USER_FIELDS} if user is not None else None
        ),
        "records": {model._meta.label_lower: _serialized(found) for model, found in rows.items()},
    }
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        actor=by,
        obj=patient,
        extra={"records": {label: len(found) for label, found in export["records"].items()}},
    )
    return export


@dataclass(frozen=True)
class ErasureSummary:
    emptied_fields: int
    login_deleted: bool


@transaction.atomic
def patient_erase(*, patient: Patient, by, request=None) -> ErasureSummary:
    """Remove the patient's personal data, keeping what aggregate adherence needs.

    Kept: the patient row under a pseudonym, assignments, sessions, exercise logs
    (sets, reps, pain), check-in answers, stage changes and reminders, so the clinic's
    planned/completed counts and adherence stay right. Removed: name, email, the login
    (and with it its sessions and second factors), every free-text note, reminder consent.
    """
    rows = patient_rows(patient)
    emptied = 0
    for model, found in rows.items():
        fields = ERASED_TEXT_FIELDS.get(model._meta.label_lower, ())
        if fields and found:
            emptied += model._base_manager.filter(pk__in=[row.pk for row in found]).update(
                **dict.fromkeys(fields, "")
            )
    # The prescriptions' notes were emptied by an update, which no signal reports.
    items_changed(Assignment.objects.filter(patient=patient))
    for assignment in Assignment.objects.filter(patient=patient):
        assignment_reevaluate(assignment=assignment)  # no cached progress outlives the erasure
    user = patient.user
    Patient.objects.filter(pk=patient.pk).update(
        first_name="Erased patient",
        last_name="",
        email="",
        user=None,
        reminder_consent=False,
        reminders_opted_out_at=timezone.now(),
    )
    if user is not None:
        user_sessions_end(user=user)
        _lockout_records_delete(user.email)
        get_user_model().objects.filter(pk=user.pk).delete()
    patient.refresh_from_db()
    audit_record(
        action=AuditAction.ERASE,
        request=request,
        actor=by,
        obj=patient,
        extra={"emptied_rows": emptied, "login_deleted": user is not None},
    )
    return ErasureSummary(emptied_fields=emptied, login_deleted=user is not None)


def _lockout_records_delete(email: str) -> None:
    """Remove the sign-in attempts django-axes keeps under the patient's email."""
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        model = apps.get_model("axes", name)
        model.objects.filter(username=email).delete()
