"""What the reports store: the record of every export, and therapists' reviews of alerts.

The adherence figures themselves are never stored: ``adherence.py`` computes
them from sessions and ``patients.ProgramWeek`` on every request.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
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


class ReportExport(models.Model):
    """One export of adherence data, kept for the clinic's audit: who, when, what."""

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="report_exports"
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the export_adherence command."),
    )
    exported_at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20, default="admin")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    rows = models.CharField(max_length=10, choices=ExportRows.choices, default=ExportRows.PATIENT)
    filters = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic")

    class Meta:
        ordering = ["-exported_at"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")

    def __str__(self):
        who = self.exported_by or self.via
        return f"{self.get_format_display()} {self.start}–{self.end} by {who}"


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
