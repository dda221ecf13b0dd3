"""Workflows around a patient that span several models."""

from __future__ import annotations

import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.timezone import now
from django.utils.translation import gettext as _

from clinic.models import LoginLink, StaffMember, User
from clinic.queue import enqueue_on_commit
from clinic.security import user_sessions_end
from programs import progression
from programs.models import Program

from .invitations import email_change_notices
from .models import (
    Assignment,
    AssignmentStatus,
    ChangeKind,
    Patient,
    PrescriptionItem,
    StageChange,
    program_date_validate,
)
from .outcomes import schedules_copy as outcome_schedules_copy
from .progress import history_of, local_today, scheme_of
from .reevaluation import assignment_reevaluate


@transaction.atomic
def assignment_create(
    *,
    patient: Patient,
    program: Program,
    therapist: StaffMember | None,
    start_date: datetime.date,
    reminder_time: datetime.time = datetime.time(8, 0),
    timezone: str | None = None,
    advanced: bool = False,
    preferred_weekdays: list[int] | tuple[int, ...] = (),
    starting_stage: str | None = None,
    by=None,
) -> Assignment:
    """Give a patient their own copy of a program, starting at its lowest stage or another.

    The items are copied with their resolved dosage (the program's override, else the
    exercise's default), so later edits of the program or of the exercise's default never
    change what the patient was prescribed; the therapist edits the copy instead. A
    starting stage other than the lowest (CERT's starting level) is recorded as the
    therapist's override on the start date, by `by`.
    """
    if program.clinic_id not in (None, patient.clinic_id):
        raise ValidationError(_("This program belongs to another clinic."))
    # The patient's copy of the texts, and the reason of the first stage, in their language.
    with translation.override(patient.language):
        return _assignment_create(
            patient=patient,
            program=program,
            therapist=therapist,
            start_date=start_date,
            reminder_time=reminder_time,
            timezone=timezone,
            advanced=advanced,
            preferred_weekdays=preferred_weekdays,
            starting_stage=starting_stage,
            by=by,
        )


def _assignment_create(
    *,
    patient,
    program,
    therapist,
    start_date,
    reminder_time,
    timezone,
    advanced,
    preferred_weekdays,
    starting_stage,
    by,
) -> Assignment:
    try:
        program_date_validate(start_date)
    except ValidationError as error:
        raise ValidationError({"start_date": error.messages}) from error
    assignment = Assignment(
        clinic_id=patient.clinic_id,
        patient=patient,
        program=program,
        therapist=therapist,
        # Every language's text, not the one active while assigning: the patient reads
        # theirs, the therapist theirs, whoever assigned it and whatever language changes.
        **{
            column: text
            for column, text in program.translations().items()
            if column.rsplit("_", 1)[0] in Assignment.TRANSLATED_FIELDS
        },
        scheme_id=program.scheme_id,
        start_date=start_date,
        status=AssignmentStatus.ACTIVE,
        reminder_time=reminder_time,
        timezone=timezone or patient.timezone,
        advanced=advanced,
        preferred_weekdays=sorted(set(preferred_weekdays)),
    )
    assignment.full_clean()
    assignment.save()
    PrescriptionItem.objects.bulk_create(
        PrescriptionItem(
            assignment=assignment,
            exercise=item.exercise,
            order=position,
            note=item.note,
            **item.resolved_dosage(item.exercise),
        )
        for position, item in enumerate(program.items.select_related("exercise"), start=1)
    )
    outcome_schedules_copy(assignment=assignment, program=program)
    scheme = scheme_of(assignment)
    if starting_stage and starting_stage not in [stage.code for stage in scheme.stages]:
        raise ValidationError({"starting_stage": _("The program's scheme has no such stage.")})
    if starting_stage and starting_stage != scheme.stages[0].code:
        stage_override(assignment=assignment, stage_code=starting_stage, by=by, on=start_date)
    else:
        assignment_reevaluate(assignment=assignment)
    return assignment


def stage_override(
    *, assignment: Assignment, stage_code: str, by, on: datetime.date | None = None
) -> StageChange:
    """Record a therapist setting the stage by hand, effective on the given local date.

    The reason is the rule's own sentence for the override (it says so when the
    stage asked for is only for advanced patients and a lower one applies).
    """
    scheme = scheme_of(assignment)
    try:
        scheme.index(stage_code)
    except ValueError as error:
        raise ValidationError({"stage": _("Choose one of the program's stages.")}) from error
    on = on or max(local_today(assignment), assignment.start_date)
    if on < assignment.start_date:
        raise ValidationError(
            {"effective_on": _("The program starts on %(day)s.") % {"day": assignment.start_date}}
        )
    try:
        program_date_validate(on)
    except ValidationError as error:
        raise ValidationError({"effective_on": error.messages}) from error
    history = history_of(assignment)
    # The reason is the patient's to read: written in their language, not the therapist's.
    patient_language = Patient.objects.values_list("language", flat=True).get(
        pk=assignment.patient_id
    )
    with translation.override(patient_language):
        before = progression.evaluate(scheme, history, on)
        overrides = dict(history.overrides) | {on: stage_code}
        after = progression.evaluate(
            scheme, dataclasses.replace(history, overrides=sorted(overrides.items())), on
        )
    change = next(
        change
        for change in reversed(after.changes)
        if change.kind == progression.ChangeKind.OVERRIDE and change.on == on
    )
    with transaction.atomic():
        override = StageChange.objects.create(
            assignment=assignment,
            effective_on=on,
            from_stage=before.current_stage.code,
            to_stage=stage_code,
            kind=ChangeKind.OVERRIDE,
            reason=change.reason,
            alert_therapist=False,
            created_by=by,
        )
        assignment_reevaluate(assignment=assignment)
    return override


@transaction.atomic
def patient_email_change(*, patient: Patient, email: str) -> bool:
    """Change the patient's email address, and their login's with it; return whether it changed.

    The one place a patient's address changes once they exist: the admin, the API and
    anything later call it, so the login never keeps writing to the old address. Links
    still pending (invitations, sign-in links) stop working, the login's sessions end and
    its password is dropped: whoever held the old address may have set it. Both addresses
    are told, in emails without any health data.
    """
    new = User.objects.normalize_email(email.strip()).lower() if email.strip() else ""
    old = Patient.objects.select_for_update().values_list("email", flat=True).get(pk=patient.pk)
    patient.email = new
    if new == old.lower():
        return False
    Patient.objects.filter(pk=patient.pk).update(email=new)
    user = User.objects.filter(pk=patient.user_id).first() if patient.user_id else None
    if user is not None:
        user.email = new
        user.set_unusable_password()
        user.save(update_fields=["email", "password"])
        LoginLink.objects.usable().filter(user=user).update(used_at=now())
        user_sessions_end(user=user)
        patient.user = user
    enqueue_on_commit(email_change_notices, [(patient.pk, old, new)])
    return True
