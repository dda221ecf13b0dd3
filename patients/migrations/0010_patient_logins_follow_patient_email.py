# Before #18 a patient's email could be corrected without their login's: the login kept
# receiving invitations and sign-in links at the old address. Put every patient login
# back in step with its patient's address and spend the links still pending there.

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone


def logins_follow_patients(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    User = apps.get_model("clinic", "User")
    LoginLink = apps.get_model("patients", "LoginLink")
    drifted = (
        Patient.objects.filter(user__isnull=False, user__is_staff=False)
        .exclude(email="")
        .exclude(user__email=Lower(F("email")))
        .values_list("user_id", "email")
    )
    now = timezone.now()
    for user_id, email in drifted:
        User.objects.filter(pk=user_id).update(email=email.lower())
        LoginLink.objects.filter(user_id=user_id, used_at__isnull=True).update(used_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_audit_erasure_scrub"),
        ("patients", "0009_assignment_evaluated_on"),
    ]

    operations = [migrations.RunPython(logins_follow_patients, migrations.RunPython.noop)]
