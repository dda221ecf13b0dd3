"""Report workflows that write: recording an export, reviewing a patient's alerts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditAction, AuditEvent
from patients.models import Assignment, StageChange

from .adherence import ReportScope
from .models import EXPORT_OBJECT_TYPE, AttentionReview, ExportFormat, ExportRows


def export_record(
    *,
    scope: ReportScope,
    clinic,
    by,
    format: ExportFormat | str,
    rows: ExportRows | str = ExportRows.PATIENT,
    filters: dict | None = None,
    via: str = "admin",
    request=None,
) -> AuditEvent:
    """Record an export in the audit trail before any row leaves the server."""
    return audit_record(
        action=AuditAction.EXPORT,
        request=request,
        actor=by,
        clinic_id=clinic.pk if clinic is not None else None,
        object_type=EXPORT_OBJECT_TYPE,
        extra={
            "via": via,
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "format": str(format),
            "rows": str(rows),
            "filters": filters or {},
        },
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
