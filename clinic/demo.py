"""The demo clinic of `make run`: logins that always work, whatever ran before."""

from dataclasses import dataclass

from axes.utils import reset as lockout_reset
from django.db import transaction

from patients.models import Patient

from .mfa import mfa_reset
from .models import Clinic, Role, StaffMember, User

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
    for email, first, last in (
        ("patient1@demo.flexion.test", "Pat", "One"),
        ("patient2@demo.flexion.test", "Robin", "Two"),
    ):
        user = _login(email, f"{first} {last}", is_staff=False)
        Patient.objects.update_or_create(
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
    return [
        DemoLogin("Therapist", "therapist@demo.flexion.test", DEMO_PASSWORD, "/admin/"),
        DemoLogin("Clinic admin", "admin@demo.flexion.test", DEMO_PASSWORD, "/admin/"),
        DemoLogin("Patient", "patient1@demo.flexion.test", DEMO_PASSWORD, "/"),
        DemoLogin("Patient", "patient2@demo.flexion.test", DEMO_PASSWORD, "/"),
    ]


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
