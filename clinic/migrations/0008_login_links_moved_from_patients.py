"""LoginLink moves down from patients to clinic, so staff invitations can use it too.

The table is kept (renamed) with its rows: links already emailed keep working.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_clinic_paper_size"),
        ("patients", "0014_outcome_responses"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LoginLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "purpose",
                            models.CharField(
                                choices=[
                                    ("invitation", "Invitation: set a password"),
                                    ("sign_in", "Sign-in link"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField()),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="login_links",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "login link",
                        "verbose_name_plural": "login links",
                        "ordering": ["-created_at"],
                        "db_table": "patients_loginlink",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="loginlink", table=None),
        migrations.AlterField(
            model_name="loginlink",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("invitation", "Invitation: set a password"),
                    ("sign_in", "Sign-in link"),
                    ("staff_invitation", "Staff invitation: set a password"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="loginlink",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
