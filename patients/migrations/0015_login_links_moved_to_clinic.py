"""LoginLink now belongs to clinic (clinic 0007 took over its table and rows)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0014_outcome_responses"),
        ("clinic", "0008_login_links_moved_from_patients"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LoginLink")],
        ),
    ]
