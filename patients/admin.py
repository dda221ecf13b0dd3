from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.audit import audit_record
from clinic.models import AuditAction
from clinic.scoped_admin import ClinicScopedAdmin, StaffFilter
from programs.admin import ADMIN_CSS, DosageItemInline, QuestionnaireScheduleInline
from programs.admin import ProgramAdmin as LibraryProgramAdmin
from programs.adminforms import (
    KnownLabelsFormSetMixin,
    WideChangeFormMixin,
    translation_fieldsets,
)
from programs.display import dosage_text
from programs.models import Program

from .admin_progress import AssignmentProgressMixin, PatientAlertMixin
from .adminforms import AssignmentForm, PatientAssignForm, ProgramAssignForm
from .handout import handout_response
from .invitations import invitation_send
from .models import (
    Assignment,
    AssignmentQuestionnaire,
    AssignmentStatus,
    Patient,
    PrescriptionItem,
)
from .privacy_admin import PatientRightsAdmin
from .reevaluation import assignment_reevaluate
from .services import assignment_create, patient_email_change


def assignment_audit(request, assignment) -> None:
    """Record a program assigned from the admin (the API records its own)."""
    audit_record(
        action=AuditAction.ADD,
        request=request,
        obj=assignment,
        extra={"assigned": assignment.program_id},
    )


def can_assign(request) -> bool:
    return request.user.has_perm("patients.add_assignment")


@admin.action(
    description=_("Invite to the patient site (email a link to set a password)"),
    permissions=["change"],
)
def invite_to_patient_site(modeladmin, request, queryset):
    """Create each patient's login if missing and email a single-use link to set a password."""
    invited = 0
    for patient in queryset.select_related("user", "clinic"):
        try:
            invitation_send(patient=patient)
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.WARNING)
        else:
            invited += 1
    if invited:
        modeladmin.message_user(
            request,
            ngettext("Invited %(count)d patient.", "Invited %(count)d patients.", invited)
            % {"count": invited},
            messages.SUCCESS,
        )


@admin.register(Patient)
class PatientAdmin(PatientAlertMixin, PatientRightsAdmin, ClinicScopedAdmin):
    change_form_template = "admin/patients/patient/change_form.html"
    # The pain alert next to the name: it is what a therapist scans the list for.
    list_display = [
        "__str__",
        "pain_alert",
        "email_address",
        "therapist",
        "active_programs",
        "reminders",
        "added_on",
    ]
    list_filter = ["reminder_consent", "language", ("therapist", StaffFilter)]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["therapist__user"]
    readonly_fields = ["user", "reminders_opted_out_at", "created_at", "assignments_list"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "therapist", "language"]}),
        (_("Programs"), {"fields": ["assignments_list"]}),
        (_("Reminders"), {"fields": ["timezone", "reminder_consent", "reminders_opted_out_at"]}),
        (_("Login"), {"fields": ["user", "created_at"]}),
    ]
    actions = [invite_to_patient_site]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_total=models.Count(
                    "assignments", filter=models.Q(assignments__status=AssignmentStatus.ACTIVE)
                )
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "language" in form.base_fields:
            # Left out of a post (a script, an older form): the record's default, not an error.
            form.base_fields["language"].required = False
        return form

    def get_changeform_initial_data(self, request):
        """A new patient starts in the language the therapist works in (it can be changed)."""
        return {
            "language": translation.get_language(),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        """A changed address goes through patient_email_change, which moves the login's too."""
        if change and "email" in form.changed_data:
            email, obj.email = obj.email, form.initial.get("email") or ""
            super().save_model(request, obj, form, change)
            patient_email_change(patient=obj, email=email)
        else:
            super().save_model(request, obj, form, change)

    @admin.display(description=_("email"), ordering="email")
    def email_address(self, obj):
        # May wrap before the @ in a narrow list, never inside either part.
        local, at, domain = obj.email.partition("@")
        return format_html("{}<wbr>{}{}", local, at, domain) if at else obj.email

    @admin.display(description=_("reminders"), boolean=True, ordering="reminder_consent")
    def reminders(self, obj):
        return obj.reminder_consent

    @admin.display(description=_("added"), ordering="created_at")
    def added_on(self, obj):
        return date_format(localtime(obj.created_at).date(), "SHORT_DATE_FORMAT")

    @admin.display(description=_("active programs"), ordering="active_total")
    def active_programs(self, obj):
        return obj.active_total

    @admin.display(description=_("assigned programs"))
    def assignments_list(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        assignments = Assignment.objects.filter(patient=obj).order_by("status", "-start_date")
        if not assignments:
            return _("None yet: use “Assign a program” above.")
        return format_html(
            "<ul class='flexion-assignments'>{}</ul>",
            format_html_join(
                "",
                "<li><a href='{}'>{}</a> — {}, {} {}"
                " · <a href='{}' class='flexion-handout'>{}</a></li>",
                (
                    (
                        reverse("admin:patients_assignment_change", args=[a.pk]),
                        a.name,
                        a.get_status_display(),
                        _("from"),
                        a.start_date,
                        reverse("admin:patients_assignment_handout", args=[a.pk]),
                        _("Print handout"),
                    )
                    for a in assignments
                ),
            ),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="patients_patient_assign",
            ),
            *super().get_urls(),
        ]

    def assign_view(self, request, object_id):
        patient = self.get_object(request, unquote(object_id))
        if patient is None:
            raise Http404  # also for an id that is not a number ("1/change")
        if not can_assign(request) or not self.is_owned_by_user_clinic(request, patient):
            raise PermissionDenied
        form = PatientAssignForm(request.POST or None, user=request.user, patient=patient)
        if request.method == "POST" and form.is_valid():
            try:
                assignment = assignment_create(
                    patient=patient,
                    program=form.cleaned_data["program"],
                    **form.assignment_kwargs(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                assignment_audit(request, assignment)
                self.message_user(
                    request,
                    _("%(program)s assigned to %(patient)s. You can adjust their copy below.")
                    % {"program": assignment.name, "patient": patient},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:patients_assignment_change", args=[assignment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": patient,
            "title": _("Assign a program to %(patient)s") % {"patient": patient},
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/patients/patient/assign.html", context)


def program_assign_view(model_admin, request, program):
    """The program's "Assign to patients" page: one program, one or more patients."""
    if not can_assign(request):
        raise PermissionDenied
    form = ProgramAssignForm(request.POST or None, user=request.user, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                assignments = [
                    assignment_create(patient=patient, program=program, **form.assignment_kwargs())
                    for patient in form.cleaned_data["patients"]
                ]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            for assignment in assignments:
                assignment_audit(request, assignment)
            model_admin.message_user(
                request,
                ngettext(
                    "%(program)s assigned to %(count)d patient.",
                    "%(program)s assigned to %(count)d patients.",
                    len(assignments),
                )
                % {"program": program.name, "count": len(assignments)},
                messages.SUCCESS,
            )
            if len(assignments) == 1:
                target = reverse("admin:patients_assignment_change", args=[assignments[0].pk])
            else:
                target = reverse("admin:patients_assignment_changelist")
            return HttpResponseRedirect(target)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": program,
        "program": program,
        "title": _("Assign “%(program)s” to patients") % {"program": program.name},
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/programs/program/assign.html", context)


admin.site.unregister(Program)


@admin.register(Program)
class ProgramAdmin(LibraryProgramAdmin):
    """The library's program admin with the patients' side of the workflow: assigning it.

    Registered here, not in programs/, so that programs never imports patients.
    """

    actions = ["assign_to_patients", *LibraryProgramAdmin.actions]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="programs_program_assign",
            ),
            *super().get_urls(),
        ]

    def assign_view(self, request, object_id):
        program = self.get_object(request, unquote(object_id))
        if program is None:
            raise Http404  # also for an id that is not a number ("1/change")
        return program_assign_view(self, request, program)

    def has_assign_permission(self, request):
        return can_assign(request)

    @admin.action(description=_("Assign to patients…"), permissions=["assign"])
    def assign_to_patients(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one program to assign."), messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse("admin:programs_program_assign", args=[queryset.get().pk])
        )


class PrescriptionItemFormSet(KnownLabelsFormSetMixin, CustomInlineFormSet):
    pass


class PrescriptionItemInline(DosageItemInline):
    model = PrescriptionItem
    formset = PrescriptionItemFormSet
    verbose_name_plural = _("the patient's exercises (their own copy: drag ☰ to reorder)")

    @admin.display(description=_("the patient sees"))
    def patient_sees(self, item):
        return dosage_text(item.dosage()) if item.pk else "–"


class AssignmentQuestionnaireInline(QuestionnaireScheduleInline):
    model = AssignmentQuestionnaire


@admin.register(Assignment)
class AssignmentAdmin(
    AssignmentProgressMixin, WideChangeFormMixin, SortableAdminBase, ClinicScopedAdmin
):
    form = AssignmentForm
    change_form_template = "admin/patients/assignment/change_form.html"
    list_display = [
        "patient",
        "name",
        "status",
        "start_date",
        "therapist",
        "advanced",
        "pain_alert",
    ]
    list_filter = ["status", "advanced", ("therapist", StaffFilter)]
    search_fields = ["patient__first_name", "patient__last_name", "patient__email", "name"]
    list_select_related = ["patient", "therapist__user"]
    readonly_fields = ["patient_link", "program_link"]
    inlines = [PrescriptionItemInline, AssignmentQuestionnaireInline]
    fieldsets = [
        (None, {"fields": [("patient_link", "program_link"), "name", "status"]}),
        (
            _("Schedule and reminders"),
            {
                "fields": [
                    ("start_date", "therapist"),
                    ("reminder_time", "timezone"),
                    "advanced",
                    "preferred_weekdays",
                ]
            },
        ),
        (_("Goal, progression and education"), {"fields": ["goal", "scheme", "education"]}),
        *translation_fieldsets(Assignment),
    ]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("patient", "program", "therapist__user")

    def has_add_permission(self, request):
        # Assignments are made by copying a program: from a patient's page or a program.
        return False

    def get_urls(self):
        return [
            path(
                "<int:assignment_id>/handout/",
                self.admin_site.admin_view(self.handout_view),
                name="patients_assignment_handout",
            ),
            *super().get_urls(),
        ]

    def handout_view(self, request, assignment_id):
        """ "Print handout": the assignment's PDF, for staff who may see the assignment."""
        assignment = get_object_or_404(
            self.get_queryset(request).select_related("clinic", "scheme"), pk=assignment_id
        )
        return handout_response(request, assignment)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # In the change view's transaction: the stage and weeks follow the edit at once.
        assignment_reevaluate(assignment=form.instance)

    @admin.display(description=_("patient"))
    def patient_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:patients_patient_change", args=[obj.patient_id]),
            obj.patient,
        )

    @admin.display(description=_("copied from program"))
    def program_link(self, obj):
        if obj.program is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_program_change", args=[obj.program_id]),
            obj.program,
        )
