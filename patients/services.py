"""Workflows around a patient that span several models."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.timezone import now
from django.utils.translation import gettext as _

from clinic.models import StaffMember, User
from clinic.security import user_sessions_end
from programs.models import Program

from .models import Assignment, AssignmentStatus, LoginLink, Patient, PrescriptionItem
from .tasks import email_change_notices, enqueue_on_commit


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
