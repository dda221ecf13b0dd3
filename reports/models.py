"""What the reports store: therapists' reviews of alerts; exports are in the audit trail.

The adherence figures themselves are never stored: ``adherence.py`` computes
them from sessions and ``patients.ProgramWeek`` on every request.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.models import AuditAction, AuditEvent
from clinic.tenancy import ScopedQuerySet, Tenancy
from patients.models import Assignment


class AdherenceReport(Assignment):
    """The admin's entry for the adherence report: assignments seen through their adherence."""

    class Meta:
        proxy = True
        verbose_name = _("adherence report")
        verbose_name_plural = _("adherence reports")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PRINT = "print", _("Printable page")


class ExportRows(models.TextChoices):
    PATIENT = "patient", _("One row per patient")
    WEEK = "week", _("One row per patient-week")
    OUTCOME = "outcome", _("Outcomes: one row per patient, program, therapist and clinic")


EXPORT_OBJECT_TYPE = "reports.adherencereport"


class ReportExportQuerySet(ScopedQuerySet):
    pass


class ReportExportManager(models.Manager.from_queryset(ReportExportQuerySet)):
    def get_queryset(self):
        return (
            super().get_queryset().filter(action=AuditAction.EXPORT, object_type=EXPORT_OBJECT_TYPE)
        )


class ReportExport(AuditEvent):
    """An export of adherence data, as the audit trail records it: who, when, what.

    Not a table of its own: the export events of the one trail (``AuditEvent``), with
    what was exported in their details. ``services.export_record`` writes them.
    """

    objects = ReportExportManager()

    class Meta:
        proxy = True
        ordering = ["-at", "-pk"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")

    def __str__(self):
        who = self.actor_repr or self.via
        return f"{self.get_format_display()} {self.start}–{self.end} by {who}"

    @property
    def via(self) -> str:
        return self.extra.get("via", "")

    @property
    def start(self) -> str:
        return self.extra.get("start", "")

    @property
    def end(self) -> str:
        return self.extra.get("end", "")

    @property
    def format(self) -> str:
        return self.extra.get("format", "")

    @property
    def rows(self) -> str:
        return self.extra.get("rows", "")

    @property
    def filters(self) -> dict:
        return self.extra.get("filters", {})

    def get_format_display(self) -> str:
        return str(dict(ExportFormat.choices).get(self.format, self.format))

    def get_rows_display(self) -> str:
        return str(dict(ExportRows.choices).get(self.rows, self.rows))


class AttentionReview(models.Model):
    """A therapist worked through an assignment's alerts: older reasons leave the list."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="attention_reviews"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="assignment__patient")

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = _("attention review")
        verbose_name_plural = _("attention reviews")
        indexes = [models.Index(fields=["assignment", "reviewed_at"])]

    def __str__(self):
        return f"{self.assignment} reviewed {self.reviewed_at:%Y-%m-%d %H:%M}"
