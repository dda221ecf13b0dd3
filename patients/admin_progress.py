"""The therapist's view of progression and reminders in the admin.

Read-only logs of reminders and stage changes, the pain-alert flag with its "acknowledge"
action, and the stage override form. ``AssignmentProgressMixin`` and ``PatientAlertMixin``
go in front of the assignment and patient admins' bases.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clinic.audit import audit_record
from clinic.models import AuditAction
from clinic.scoped_admin import ReadOnlyScopedAdmin

from .models import Reminder, StageChange, program_date_validate
from .progress import (
    assignment_progress,
    local_today,
    scheme_of,
    stages_prefetch,
    therapist_reasons,
)
from .services import stage_override


def unacknowledged_alerts(outer: str = "pk") -> Exists:
    """Whether the assignment (or patient, with outer="patient") has an open pain alert."""
    lookup = "assignment_id" if outer == "pk" else "assignment__patient_id"
    return Exists(
        StageChange.objects.filter(
            alert_therapist=True, acknowledged_at__isnull=True, **{lookup: OuterRef("pk")}
        )
    )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "local_date",
        "patient",
        "status",
        "includes",
        "due_at",
        "sent_at",
        "attempts",
        "short_error",
    ]
    list_filter = ["status", "local_date", "includes_session", "includes_checkin"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__email"]
    date_hierarchy = "local_date"
    list_select_related = ["patient"]
    ordering = ["-local_date", "patient"]

    @admin.display(description=_("about"))
    def includes(self, obj):
        parts = [_("session")] * obj.includes_session + [_("check-in")] * obj.includes_checkin
        return ", ".join(str(part) for part in parts) or "–"

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]


class OpenAlertFilter(admin.SimpleListFilter):
    title = _("pain alert")
    parameter_name = "alert"

    def lookups(self, request, model_admin):
        return [("open", _("Not acknowledged")), ("acknowledged", _("Acknowledged"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(alert_therapist=True, acknowledged_at__isnull=True)
        if self.value() == "acknowledged":
            return queryset.filter(alert_therapist=True, acknowledged_at__isnull=False)
        return queryset


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "effective_on",
        "patient",
        "assignment",
        "kind",
        "stages",
        "reason_for_therapist",
        "alert_therapist",
    ]
    list_filter = [OpenAlertFilter, "kind", "effective_on"]
    search_fields = ["assignment__patient__first_name", "assignment__patient__last_name"]
    list_select_related = ["assignment__patient", "assignment__scheme"]
    date_hierarchy = "effective_on"
    actions = ["acknowledge"]

    def get_changelist_instance(self, request):
        """The page's changes with their reasons as a therapist reads them, in one query
        for the schemes' stages (``change.reason`` is the patient's sentence)."""
        changelist = super().get_changelist_instance(request)
        changes = list(changelist.result_list)
        assignments = {change.assignment for change in changes}
        prefetch_related_objects(list(assignments), stages_prefetch())
        reasons = therapist_reasons(changes, assignments)
        for change in changes:
            change.therapist_reason = reasons[change.pk]
        return changelist

    @admin.display(description=_("reason"))
    def reason_for_therapist(self, obj):
        return getattr(obj, "therapist_reason", obj.reason)

    @admin.display(description=_("patient"), ordering="assignment__patient__last_name")
    def patient(self, obj):
        return obj.assignment.patient

    @admin.display(description=_("stage"), ordering="to_stage")
    def stages(self, obj):
        return f"{obj.from_stage} → {obj.to_stage}" if obj.from_stage else obj.to_stage

    @admin.action(description=_("Acknowledge the selected pain alerts"), permissions=["view"])
    def acknowledge(self, request, queryset):
        done = queryset.filter(alert_therapist=True, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now()
        )
        self.message_user(request, _("%(count)d alerts acknowledged.") % {"count": done})


class StageOverrideForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"))
    effective_on = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, scheme, first_day: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_day = first_day
        self.fields["stage"].choices = [
            (stage.code, f"{stage.name} ({stage.planned_sessions}/week)") for stage in scheme.stages
        ]

    def clean_effective_on(self):
        day = self.cleaned_data["effective_on"]
        if day < self.first_day:
            raise forms.ValidationError(
                _("The program starts on %(day)s.") % {"day": self.first_day}
            )
        program_date_validate(day)
        return day


class PatientAlertMixin:
    """A "pain alert" column on the patient list: a check-in nobody has acknowledged yet."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_alert=unacknowledged_alerts("patient"))

    @admin.display(description=_("pain alert"), boolean=True, ordering="-open_alert")
    def pain_alert(self, obj):
        return obj.open_alert


class AssignmentProgressMixin:
    """Pain alerts, the current stage and its reason, and the therapist's stage override."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_alert=unacknowledged_alerts())

    @admin.display(description=_("pain alert"), boolean=True, ordering="-open_alert")
    def pain_alert(self, obj):
        return obj.open_alert

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            action = AssignmentProgressMixin.acknowledge_alerts
            actions["acknowledge_alerts"] = (action, "acknowledge_alerts", action.short_description)
        return actions

    @admin.action(description=_("Acknowledge the pain alerts of the selected assignments"))
    def acknowledge_alerts(self, request, queryset):
        done = StageChange.objects.filter(
            assignment__in=queryset, alert_therapist=True, acknowledged_at__isnull=True
        ).update(acknowledged_at=timezone.now())
        self.message_user(request, _("%(count)d alerts acknowledged.") % {"count": done})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "progression"] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and not any("progression" in f[1]["fields"] for f in fieldsets):
            fieldsets.append((_("Progression"), {"fields": ["progression"]}))
        return fieldsets

    @admin.display(description=_("progression"))
    def progression(self, obj):
        progress = assignment_progress(obj)
        week = progress.current_week
        return format_html(
            "<p><strong>{}</strong>: {} of {} planned sessions this week ({} – {}).</p>"
            "<p>{} “{}”</p><p><a class='button' href='{}'>{}</a></p>",
            progress.current_stage.name,
            week.completed,
            week.planned,
            week.start,
            week.end,
            _("The patient reads:"),
            week.reason,
            reverse(f"admin:{self._url_prefix()}_stage", args=[obj.pk]),
            _("Set the stage by hand"),
        )

    def _url_prefix(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}"

    def get_urls(self):
        own = [
            path(
                "<int:assignment_id>/stage/",
                self.admin_site.admin_view(self.stage_override_view),
                name=f"{self._url_prefix()}_stage",
            )
        ]
        return own + super().get_urls()

    def stage_override_view(self, request, assignment_id):
        assignment = get_object_or_404(self.get_queryset(request), pk=assignment_id)
        if not self.has_change_permission(request, assignment):
            raise PermissionDenied
        scheme = scheme_of(assignment)
        progress = assignment_progress(assignment)
        form = StageOverrideForm(
            request.POST or None,
            scheme=scheme,
            first_day=assignment.start_date,
            initial={
                "stage": progress.current_stage.code,
                "effective_on": max(local_today(assignment), assignment.start_date),
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                change = stage_override(
                    assignment=assignment,
                    stage_code=form.cleaned_data["stage"],
                    by=request.user,
                    on=form.cleaned_data["effective_on"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                audit_record(
                    action=AuditAction.CHANGE,
                    request=request,
                    obj=assignment,
                    extra={"stage": change.to_stage, "effective_on": str(change.effective_on)},
                )
                reason = therapist_reasons([change], [assignment])[change.pk]
                self.message_user(request, reason, messages.SUCCESS)
                return redirect(f"admin:{self._url_prefix()}_change", assignment.pk)
        changes = list(assignment.stage_changes.order_by("-effective_on", "-created_at")[:20])
        reasons = therapist_reasons(changes, [assignment])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": assignment,
            "title": _("Set the stage of %(assignment)s") % {"assignment": assignment},
            "form": form,
            "progress": progress,
            "changes": [{"change": change, "reason": reasons[change.pk]} for change in changes],
        }
        return TemplateResponse(request, "admin/patients/assignment/stage_override.html", context)
