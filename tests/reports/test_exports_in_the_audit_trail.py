"""Exports are recorded once, in the audit trail; the records of before are kept there."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clinic.models import AuditAction, AuditEvent
from reports.models import ReportExport

BEFORE = ("reports", "0001_reports_exports_and_reviews")
AFTER = ("reports", "0003_report_exports_are_audit_events")


@pytest.mark.django_db(transaction=True)
def test_the_export_records_of_before_become_export_events_of_the_trail(alice, clinic_a):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps.get_model("reports", "ReportExport")
    exported_at = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
    row = old.objects.create(
        clinic_id=clinic_a.pk,
        exported_by_id=alice.pk,
        via="admin",
        start=datetime.date(2026, 2, 1),
        end=datetime.date(2026, 2, 28),
        format="xlsx",
        rows="week",
        filters={"status": "active"},
    )
    old.objects.filter(pk=row.pk).update(exported_at=exported_at)
    old.objects.create(
        clinic_id=clinic_a.pk,
        exported_by=None,
        via="command",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 1, 31),
        format="csv",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])

    first, second = ReportExport.objects.order_by("at")
    assert first.at == exported_at
    assert (first.actor, first.actor_repr, first.clinic) == (alice, alice.email, clinic_a)
    assert (first.start, first.end, first.format, first.rows) == (
        "2026-02-01",
        "2026-02-28",
        "xlsx",
        "week",
    )
    assert first.filters == {"status": "active"}
    assert (second.via, second.actor, second.format) == ("command", None, "csv")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 2
    assert "reports_reportexport" not in connection.introspection.table_names()
