"""The demo clinic of `make run`: logins that always work, whatever ran before."""

import datetime
import zoneinfo
from dataclasses import dataclass

from axes.utils import reset as lockout_reset
from django.db import transaction
from django.utils import timezone

from clinic.mfa import mfa_reset
from clinic.models import Clinic, Role, StaffMember, User
from patients.models import Assignment, AssignmentStatus, Patient
from patients.services import assignment_create
from programs.models import Program
from programs.services import starter_library_load

DEMO_PASSWORD = "flexion-demo"
DEMO_CLINIC_SLUG = "demo"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    where: str


@transaction.atomic
def demo_seed() -> list[DemoLogin]:
    """Create or refresh the demo clinic and its logins; return them."""
    clinic, _ = Clinic.objects.update_or_create(
        slug=DEMO_CLINIC_SLUG,
        defaults={"name": "Demo Physiotherapy", "timezone": "Europe/London"},
    )
    staff = {}
    for email, full_name, role in (
        ("therapist@demo.flexion.test", "Tessa Therapist", Role.THERAPIST),
        ("admin@demo.flexion.test", "Adam Clinic-Admin", Role.CLINIC_ADMIN),
    ):
        user = _login(email, full_name, is_staff=True)
        staff[role], _ = StaffMember.objects.update_or_create(
            user=user, defaults={"clinic": clinic, "role": role, "is_active": True}
        )
    starter_library_load()
    start = _this_weeks_monday(clinic.timezone)
    for email, first, last, program_key in (
        ("patient1@demo.flexion.test", "Pat", "One", "gentle-hip-flexion"),
        ("patient2@demo.flexion.test", "Robin", "Two", "hip-flexor-stretches-for-back-pain"),
    ):
        user = _login(email, f"{first} {last}", is_staff=False)
        patient, _ = Patient.objects.update_or_create(
            clinic=clinic,
            email=email,
            defaults={
                "user": user,
                "first_name": first,
                "last_name": last,
                "timezone": clinic.timezone,
                "reminder_consent": True,
                "therapist": staff[Role.THERAPIST],
            },
        )
        _assign_once(patient, Program.objects.get(clinic=None, key=program_key), start, staff)
    return [
        DemoLogin("Therapist", "therapist@demo.flexion.test", DEMO_PASSWORD, "/admin/"),
        DemoLogin("Clinic admin", "admin@demo.flexion.test", DEMO_PASSWORD, "/admin/"),
        DemoLogin("Patient", "patient1@demo.flexion.test", DEMO_PASSWORD, "/"),
        DemoLogin("Patient", "patient2@demo.flexion.test", DEMO_PASSWORD, "/"),
    ]


def _this_weeks_monday(tz_name: str) -> datetime.date:
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(tz_name)).date()
    return today - datetime.timedelta(days=today.weekday())


def _assign_once(patient: Patient, program: Program, start: datetime.date, staff) -> None:
    """Give the patient an active copy of the program, unless they already have one."""
    active = Assignment.objects.filter(
        patient=patient, program=program, status=AssignmentStatus.ACTIVE
    )
    if not active.exists():
        assignment_create(
            patient=patient,
            program=program,
            therapist=staff[Role.THERAPIST],
            start_date=start,
        )


def _login(email: str, full_name: str, *, is_staff: bool) -> User:
    user, _ = User.objects.get_or_create(email=email)
    user.full_name = full_name
    user.is_staff = is_staff
    user.is_superuser = False
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    # Staff set up two-factor sign-in at their first sign-in after each seeding, so a
    # demo phone that is gone never locks anyone out; nor do earlier failed attempts.
    mfa_reset(user=user)
    lockout_reset(username=email)
    return user
