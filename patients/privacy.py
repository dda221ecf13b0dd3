"""A patient's rights over their data: a complete export, and erasure.

Both find the patient's data by walking the model graph from ``Patient`` (every
model with a foreign key towards a patient, directly or through other rows), so a
model added later is exported without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.cache import caches
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from clinic.audit import audit_erasure_scrub, audit_record
from clinic.models import AuditAction
from clinic.security import user_sessions_end

from .models import Assignment, Patient
from .outcomes import responses_free_text_erase
from .player import PRESCRIPTION_CACHE, items_changed
from .progress import PROGRESS_CACHE
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
    # Every language's copy too (patients/translation.py): a therapist may have written in any.
    "patients.assignment": tuple(
        f"{name}{suffix}"
        for name in ("goal", "education")
        for suffix in ("", *(f"_{code}" for code, _language in settings.LANGUAGES))
    ),
    "patients.prescriptionitem": ("note",),
    "patients.message": ("body",),
    "patients.exerciselog": ("skip_reason",),
    "patients.reminder": ("last_error",),
}
# After the patient's own rows, erasure sweeps every other table's free text for the
# patient's email and name (_personal_data_sweep), except these: the identities of other
# records, which may rightly share the address (another clinic's patient, another login),
# and tables it empties otherwise (sessions and lockout records of the login).
SWEEP_SKIPPED = {
    "patients.patient",
    "clinic.user",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}
ERASED = "[erased]"
MIN_IDENTIFIER_LENGTH = 5

# Text kept on erasure, with the reason: none of it says who the patient is.
KEPT_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    # Time zones place the program weeks, which adherence counts; a language names nobody.
    "patients.patient": ("timezone", "language"),
    # The program's name, the stage codes and the generated reasons of stage changes
    # describe the program, not the person; reports per program need them.
    "patients.assignment": (
        "name",
        *(f"name_{code}" for code, _language in settings.LANGUAGES),
        "timezone",
    ),
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
def _columns(model) -> models.QuerySet:
    """Every row of a model, read and written by column name.

    django-modeltranslation would turn a translated field's name ("goal") into the active
    language's column ("goal_en") and leave the plain column unread and unwritten.
    """
    rows = model._base_manager.all()
    return rows.rewrite(False) if hasattr(rows, "rewrite") else rows


def patient_erase(*, patient: Patient, by, request=None) -> ErasureSummary:
    """Remove the patient's personal data, keeping what aggregate adherence needs.

    Kept: the patient row under a pseudonym, assignments, sessions, exercise logs
    (sets, reps, pain), check-in answers, stage changes, reminders and questionnaire
    scores and numeric answers (their text answers are erased), so the clinic's
    planned/completed counts and adherence stay right. Removed: name, email, the login
    (and with it its sessions and second factors), every free-text note, reminder consent.
    """
    rows = patient_rows(patient)
    emptied = 0
    for model, found in rows.items():
        fields = ERASED_TEXT_FIELDS.get(model._meta.label_lower, ())
        if fields and found:
            emptied += (
                _columns(model)
                .filter(pk__in=[row.pk for row in found])
                .update(**dict.fromkeys(fields, ""))
            )
    # Questionnaire answers keep their numbers (the outcome reports count them), not text.
    emptied += responses_free_text_erase(patient_id=patient.pk, placeholder=ERASED)
    # The prescriptions' notes were emptied by an update, which no signal reports.
    items_changed(Assignment.objects.filter(patient=patient))
    for assignment in Assignment.objects.filter(patient=patient):
        assignment_reevaluate(assignment=assignment)  # no cached progress outlives the erasure
    user = patient.user
    identifiers = _identifiers_of(patient, user)
    _admin_log_relabel(rows)
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
    _personal_data_sweep(identifiers)
    # Per-process caches of prescriptions and progress: this process's copies go now;
    # other processes' can no longer be read (the versions changed) and expire in a day.
    for name in (PRESCRIPTION_CACHE, PROGRESS_CACHE):
        caches[name].clear()
    patient.refresh_from_db()
    audit_record(
        action=AuditAction.ERASE,
        request=request,
        actor=by,
        obj=patient,
        extra={"emptied_rows": emptied, "login_deleted": user is not None},
    )
    return ErasureSummary(emptied_fields=emptied, login_deleted=user is not None)


@dataclass(frozen=True)
class Identifiers:
    """What names the patient: ``within`` any text (email, also as in a URL, and full name),
    and ``values`` that name them when they are a whole value of stored JSON (the first or
    last name alone, as in a stored API answer)."""

    within: tuple[str, ...]
    values: frozenset[str]


def _identifiers_of(patient: Patient, user) -> Identifiers:
    within = {patient.email, str(patient)}
    if user is not None:
        within |= {user.email, user.full_name}
    within |= {quote(value) for value in within if "@" in value}
    values = {patient.first_name, patient.last_name, str(patient)}
    # A lone short word would match other people's text: too short to be the patient's.
    return Identifiers(
        within=tuple(sorted(value for value in within if len(value) >= MIN_IDENTIFIER_LENGTH)),
        values=frozenset(value.casefold() for value in values if len(value) >= 2),
    )


def _admin_log_relabel(rows: dict[type[models.Model], list[models.Model]]) -> None:
    """Name the patient's rows in the admin's "Recent actions" by type and id only."""
    for model, found in rows.items():
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(row.pk) for row in found],
        ).update(object_repr=Concat(Value(f"{model._meta.verbose_name} #"), F("object_id")))


def _scrubbed(value, pattern: re.Pattern, values: frozenset[str], *, in_json: bool):
    if isinstance(value, str):
        if in_json and value.casefold() in values:
            return ERASED
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrubbed(item, pattern, values, in_json=True) for item in value]
    if isinstance(value, dict):
        return {
            _scrubbed(key, pattern, values, in_json=True): _scrubbed(
                item, pattern, values, in_json=True
            )
            for key, item in value.items()
        }
    return value


def _swept_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        and not field.primary_key
        and not field.choices
    ]


def _personal_data_sweep(identifiers: Identifiers) -> int:
    """Replace the patient's email and name wherever else they sit in free text; return rows.

    Walks every table's text and JSON columns (the admin log, the audit trail's details,
    stored API answers, reports' records, and any model added later), except the records
    that are other people's identities: another clinic's patient, or a login, may rightly
    hold the same address.
    """
    if not identifiers.within and not identifiers.values:
        return 0
    pattern = re.compile(
        "|".join(re.escape(value) for value in identifiers.within) or "(?!)", re.IGNORECASE
    )
    changed = 0
    with audit_erasure_scrub():
        for model in apps.get_models():
            if model._meta.label_lower in SWEEP_SKIPPED or not model._meta.managed:
                continue
            fields = _swept_fields(model)
            if not fields:
                continue
            rows = _columns(model)
            match = models.Q()
            for field in fields:
                searched = identifiers.within
                column = field.attname
                if isinstance(field, models.JSONField):
                    column = f"_swept_{field.attname}"
                    rows = rows.annotate(**{column: Cast(field.attname, models.TextField())})
                    searched = (*searched, *identifiers.values)
                for value in searched:
                    match |= models.Q(**{f"{column}__icontains": value})
            if not match:
                continue
            for row in rows.filter(match).only("pk", *(field.attname for field in fields)):
                updates = {}
                for field in fields:
                    value = getattr(row, field.attname)
                    new = _scrubbed(
                        value,
                        pattern,
                        identifiers.values,
                        in_json=isinstance(field, models.JSONField),
                    )
                    if new != value:
                        max_length = getattr(field, "max_length", None)
                        updates[field.attname] = new[:max_length] if max_length else new
                if updates:
                    changed += _columns(model).filter(pk=row.pk).update(**updates)
    return changed


def _lockout_records_delete(email: str) -> None:
    """Remove the sign-in attempts django-axes keeps under the patient's email."""
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        model = apps.get_model("axes", name)
        model.objects.filter(username=email).delete()
