"""Admin views of the adherence report: validate the filters, call adherence.py, render."""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.models import Clinic
from clinic.tenancy import staff_clinic_id
from patients.models import Assignment, StageChange
from patients.progress import stages_prefetch, therapist_reasons

from . import adherence, charts, exports, outcomes, services
from .forms import ReportFilterForm
from .models import ExportFormat, ExportRows

PAGE_SIZE = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _clinic(request) -> Clinic | None:
    clinic_id = staff_clinic_id(request.user)
    return Clinic.objects.filter(pk=clinic_id).first() if clinic_id else None


def _context(request, model_admin, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "report_url": reverse("admin:reports_adherencereport_changelist"),
        **extra,
    }


def _form(request, data, clinic) -> ReportFilterForm:
    return ReportFilterForm(
        data, user=request.user, today=adherence.clinic_today(clinic.timezone if clinic else None)
    )


def _back_to_report_with_errors(request, form) -> HttpResponseRedirect:
    """Nothing is exported: show each problem on the report page."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return HttpResponseRedirect(reverse("admin:reports_adherencereport_changelist"))


def report_page(request, model_admin):
    """The clinic report: filters, totals, weekly chart, per-patient table."""
    clinic = _clinic(request)
    form = _form(request, request.GET, clinic)
    context = _context(request, model_admin, title=_("Adherence report"), form=form)
    if form.is_valid():
        scope = form.scope()
        ids = adherence.report_assignment_ids(scope)
        points = adherence.weekly_adherence(scope)
        planned = sum(point.planned for point in points)
        counted = sum(point.counted for point in points)
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        # The totals and the chart cover every row; the table computes only this page's.
        rows = adherence.patient_rows(scope.only(page.object_list)) if page.object_list else []
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            scope=scope,
            page=page,
            rows=rows,
            rows_count=len(ids),
            query=query.urlencode(),
            filters=form.cleaned_data,
            planned=planned,
            counted=counted,
            adherence=round(100 * counted / planned, 1) if planned else None,
            chart=_clinic_chart(points),
            outcomes=[
                row for row in outcomes.outcome_rows(scope) if row.level != outcomes.Level.PATIENT
            ],
            action_choices=model_admin.get_action_choices(request),
        )
    return TemplateResponse(request, "admin/reports/report.html", context)


def _clinic_chart(points) -> charts.Chart:
    return charts.adherence_chart(
        [
            (
                point.week,
                point.adherence,
                f"{point.week:%Y-%m-%d}: {point.counted}/{point.planned}",
            )
            for point in points
        ]
    )


def export_response(request, model_admin, format: str, *, assignments=None):
    """Validate the filters in POST, record the export, and return the file (or an error)."""
    clinic = _clinic(request)
    form = _form(request, request.POST, clinic)
    if not form.is_valid():
        return _back_to_report_with_errors(request, form)
    scope = form.scope()
    if assignments is not None:
        scope = scope.only(assignments.values("pk"))
    rows = form.cleaned_data.get("rows") or ExportRows.PATIENT
    filters = form.filters()
    if assignments is not None:
        filters["selected"] = sorted(assignments.values_list("pk", flat=True))
    services.export_record(
        scope=scope,
        clinic=clinic,
        by=request.user,
        format=format,
        rows=rows,
        filters=filters,
        request=request,
    )
    filename = f"adherence-{scope.start.isoformat()}-{scope.end.isoformat()}"
    if format == ExportFormat.XLSX:
        # Closed by FileResponse when the response is sent.
        output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        exports.xlsx_write(scope, rows, output)
        output.seek(0)
        return FileResponse(
            output, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE
        )
    response = StreamingHttpResponse(
        exports.csv_chunks(scope, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@require_POST
def report_export(request, model_admin):
    format = request.POST.get("format")
    if format not in (ExportFormat.CSV, ExportFormat.XLSX):
        messages.error(request, _("Choose CSV or XLSX."))
        return HttpResponseRedirect(reverse("admin:reports_adherencereport_changelist"))
    return export_response(request, model_admin, format)


@require_POST
def report_print(request, model_admin):
    """The printable report (all rows, no pagination), recorded like any export."""
    clinic = _clinic(request)
    form = _form(request, request.POST, clinic)
    if not form.is_valid():
        return _back_to_report_with_errors(request, form)
    scope = form.scope()
    services.export_record(
        scope=scope,
        clinic=clinic,
        by=request.user,
        format=ExportFormat.PRINT,
        filters=form.filters(),
        request=request,
    )
    points = adherence.weekly_adherence(scope)
    planned = sum(point.planned for point in points)
    counted = sum(point.counted for point in points)
    context = _context(
        request,
        model_admin,
        title=_("Adherence report"),
        clinic=clinic,
        scope=scope,
        rows=adherence.patient_rows(scope),
        chart=_clinic_chart(points),
        planned=planned,
        counted=counted,
        adherence=round(100 * counted / planned, 1) if planned else None,
        filters=form.cleaned_data,
    )
    return TemplateResponse(request, "admin/reports/print.html", context)


def patient_report(request, model_admin, assignment_id: int):
    """One patient's program: weekly adherence and pain trend, week by week."""
    visible = Assignment.objects.visible_to(request.user).filter(pk=assignment_id)
    assignment = get_object_or_404(visible.select_related("patient", "therapist__user"))
    clinic = _clinic(request)
    today = adherence.clinic_today(clinic.timezone if clinic else assignment.timezone)
    weeks = adherence.assignment_weeks(visible, today)
    changes = list(StageChange.objects.visible_to(request.user).filter(assignment=assignment)[:50])
    assignment_with_stages = Assignment.objects.prefetch_related(stages_prefetch()).get(
        pk=assignment.pk
    )
    reasons = therapist_reasons(changes, [assignment_with_stages])
    for change in changes:
        change.therapist_reason = reasons[change.pk]
    context = _context(
        request,
        model_admin,
        title=_("Adherence of %(patient)s") % {"patient": assignment.patient},
        assignment=assignment,
        weeks=weeks,
        changes=changes,
        adherence_chart=charts.adherence_chart(
            [
                (
                    week.starts_on,
                    None if week.in_progress else week.adherence,
                    f"{week.starts_on:%Y-%m-%d}–{week.ends_on:%Y-%m-%d}: "
                    f"{week.completed}/{week.planned}",
                )
                for week in weeks
            ]
        ),
        pain_chart=charts.pain_chart([(week.starts_on, week.mean_pain) for week in weeks]),
        outcome_trends=outcomes.assignment_outcomes(assignment),
    )
    return TemplateResponse(request, "admin/reports/patient.html", context)


def attention_list(request, model_admin):
    """The needs-attention list, most recent first; "mine" limits it to the user's patients."""
    clinic = _clinic(request)
    assignments = Assignment.objects.visible_to(request.user)
    mine = request.GET.get("mine") == "1"
    if mine:
        assignments = assignments.filter(therapist__user=request.user)
    today = adherence.clinic_today(clinic.timezone if clinic else None)
    context = _context(
        request,
        model_admin,
        title=_("Patients needing attention"),
        items=adherence.needs_attention(assignments, today, clinic.timezone if clinic else None),
        mine=mine,
        today=today,
        can_review=request.user.has_perm("reports.add_attentionreview"),
        mine_query=urlencode({"mine": "1"}),
    )
    return TemplateResponse(request, "admin/reports/attention.html", context)


@require_POST
def attention_review_view(request, model_admin, assignment_id: int):
    if not request.user.has_perm("reports.add_attentionreview"):
        raise PermissionDenied
    assignment = get_object_or_404(
        Assignment.objects.visible_to(request.user).select_related("patient"), pk=assignment_id
    )
    services.attention_review(assignment=assignment, by=request.user, request=request)
    done = _("%(patient)s marked as reviewed.") % {"patient": assignment.patient}
    messages.success(request, done)
    if request.POST.get("next") == "home":
        return HttpResponseRedirect(reverse("admin:index"))
    target = reverse("admin:reports_adherencereport_attention")
    if request.POST.get("mine") == "1":
        target += "?mine=1"
    return HttpResponseRedirect(target)
