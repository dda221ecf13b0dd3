"""Exports are recorded once, in the audit trail: each ReportExport row becomes an export
event (with what was exported in its details) and the table goes; ReportExport stays as
the trail's export events, seen through a proxy.
"""

from django.db import migrations

EXPORT_OBJECT_TYPE = "reports.adherencereport"


def exports_into_the_trail(apps, schema_editor):
    ReportExport = apps.get_model("reports", "ReportExport")
    AuditEvent = apps.get_model("clinic", "AuditEvent")
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=export.exported_at,
            actor_id=export.exported_by_id,
            actor_repr=export.exported_by.email if export.exported_by_id else "",
            clinic_id=export.clinic_id,
            action="export",
            object_type=EXPORT_OBJECT_TYPE,
            extra={
                "via": export.via,
                "start": export.start.isoformat(),
                "end": export.end.isoformat(),
                "format": export.format,
                "rows": export.rows,
                "filters": export.filters,
            },
        )
        for export in ReportExport.objects.select_related("exported_by").order_by("pk")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0010_clinic_default_reminder_time"),
        ("reports", "0002_export_rows_outcome"),
    ]

    operations = [
        migrations.RunPython(exports_into_the_trail, migrations.RunPython.noop),
        migrations.DeleteModel(name="ReportExport"),
        migrations.CreateModel(
            name="ReportExport",
            fields=[],
            options={
                "verbose_name": "report export",
                "verbose_name_plural": "report exports",
                "ordering": ["-at", "-pk"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("clinic.auditevent",),
        ),
    ]
