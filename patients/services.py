"""Workflows around a patient that span several models."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinic.models import StaffMember
from programs.models import Program

from .models import Assignment, AssignmentStatus, Patient, PrescriptionItem


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
) -> Assignment:
    """Give a patient their own copy of a program.

    The items are copied with their resolved dosage (the program's override, else the
    exercise's default), so later edits of the program or of the exercise's default never
    change what the patient was prescribed; the therapist edits the copy instead.
    """
    if program.clinic_id not in (None, patient.clinic_id):
        raise ValidationError(_("This program belongs to another clinic."))
    assignment = Assignment(
        clinic_id=patient.clinic_id,
        patient=patient,
        program=program,
        therapist=therapist,
        name=program.name,
        goal=program.goal,
        education=program.education,
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
    return assignment
