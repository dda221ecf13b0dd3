"""LoginLink now belongs to clinic (clinic 0007 took over its table and rows)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0010_patient_logins_follow_patient_email"),
        ("clinic", "0007_login_links_moved_from_patients"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LoginLink")],
        ),
    ]
