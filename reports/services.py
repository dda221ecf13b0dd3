"""Report workflows that write: recording an export, reviewing a patient's alerts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditAction
from patients.models import Assignment, StageChange

from .adherence import ReportScope
from .models import AttentionReview, ExportFormat, ExportRows, ReportExport


def export_record(
    *,
    scope: ReportScope,
    clinic,
    by,
    format: ExportFormat | str,
    rows: ExportRows | str = ExportRows.PATIENT,
    filters: dict | None = None,
    via: str = "admin",
) -> ReportExport:
    """Record an export for the clinic's audit before any row leaves the server."""
    return ReportExport.objects.create(
        clinic=clinic,
        exported_by=by,
        via=via,
        start=scope.start,
        end=scope.end,
        format=format,
        rows=rows,
        filters=filters or {},
    )


def attention_review(*, assignment: Assignment, by, request=None) -> AttentionReview:
    """Mark an assignment's current reasons for attention as seen, and acknowledge its alerts."""
    with transaction.atomic():
        acknowledged = StageChange.objects.filter(
            assignment=assignment, alert_therapist=True, acknowledged_at__isnull=True
        ).update(acknowledged_at=timezone.now())
        review = AttentionReview.objects.create(assignment=assignment, reviewed_by=by)
        audit_record(
            action=AuditAction.ADD,
            request=request,
            actor=by,
            obj=review,
            extra={"alerts_acknowledged": acknowledged},
        )
        return review
