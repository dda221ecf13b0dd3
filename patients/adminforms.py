"""Forms of the therapist's admin for assigning programs and editing assignments."""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.forms import AutocompleteSelectMultiple, TimeZoneField
from clinic.models import StaffMember
from programs.adminforms import ContentLanguagesFormMixin, translation_fields
from programs.models import Program, SchemeStage

from .models import Assignment, Patient, program_date_validate

WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


class WeekdaysField(forms.TypedMultipleChoiceField):
    """Preferred weekdays as checkboxes, stored as a list of numbers (0 = Monday)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Preferred weekdays"))
        kwargs.setdefault(
            "help_text", _("Optional. Sessions fall on these days; none: spread over the week.")
        )
        super().__init__(
            choices=WEEKDAYS,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "flexion-checkboxes"}),
            **kwargs,
        )


def local_today(tz_name: str) -> datetime.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz_name)).date()


class ProgramChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({_('shared library')})" if obj.clinic_id is None else obj.name


class AssignFieldsForm(forms.Form):
    """What every assignment needs besides the patient and the program."""

    start_date = forms.DateField(
        label=_("Start date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Program weeks run from this day, in the patient's time zone."),
    )
    therapist = forms.ModelChoiceField(queryset=StaffMember.objects.none(), required=False)
    reminder_time = forms.TimeField(
        label=_("Reminder time"),
        initial=datetime.time(8, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    advanced = forms.BooleanField(
        label=_("Advanced"),
        required=False,
        help_text=_("Allows daily sessions once the patient tolerates the build-up."),
    )
    preferred_weekdays = WeekdaysField()
    starting_stage = forms.ChoiceField(
        label=_("Starting stage"),
        required=False,
        help_text=_(
            "Where the patient starts (their starting level). Empty: the program's first stage."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["therapist"].queryset = (
            StaffMember.objects.visible_to(user).filter(is_active=True).select_related("user")
        )
        staff = getattr(user, "staff", None)
        if staff is not None:
            self.fields["therapist"].initial = staff.pk
            self.fields["reminder_time"].initial = staff.clinic.reminder_time
            self.fields["timezone"].widget.first = staff.clinic.timezone
        stages = {}
        for code, name, planned in SchemeStage.objects.filter(
            scheme__in=Program.objects.visible_to(user).values("scheme")
        ).values_list("code", "name", "planned_sessions"):
            stages.setdefault(code, f"{name} ({planned}/week)")
        self.fields["starting_stage"].choices = [("", "–"), *stages.items()]

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        program_date_validate(day)
        return day

    def starting_stage_check(self, program: Program | None) -> None:
        code = self.cleaned_data.get("starting_stage")
        if code and program is not None and not program.scheme.stages.filter(code=code).exists():
            self.add_error("starting_stage", _("This program's scheme has no such stage."))

    def assignment_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "therapist": data["therapist"],
            "start_date": data["start_date"],
            "reminder_time": data["reminder_time"],
            "advanced": data["advanced"],
            "preferred_weekdays": data["preferred_weekdays"],
            "starting_stage": data.get("starting_stage") or None,
            "by": self.user,
        }


class PatientAssignForm(AssignFieldsForm):
    """Assign one program to one patient (from the patient's page)."""

    program = ProgramChoiceField(queryset=Program.objects.none(), label=_("Program"))
    timezone = TimeZoneField()
    field_order = ["program", "start_date", "therapist", "reminder_time", "timezone"]

    def __init__(self, *args, user, patient: Patient, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["program"].queryset = Program.objects.visible_to(user).order_by(
            "clinic", "name"
        )
        self.fields["timezone"].initial = patient.timezone
        self.fields["start_date"].initial = local_today(patient.timezone)
        if patient.therapist_id:
            self.fields["therapist"].initial = patient.therapist_id

    def clean(self):
        cleaned = super().clean()
        self.starting_stage_check(cleaned.get("program"))
        return cleaned

    def assignment_kwargs(self) -> dict:
        return {**super().assignment_kwargs(), "timezone": self.cleaned_data["timezone"]}


class ProgramAssignForm(AssignFieldsForm):
    """Assign one program to one or more patients (from the program)."""

    patients = forms.ModelMultipleChoiceField(
        queryset=Patient.objects.none(),
        label=_("Patients"),
        help_text=_("Type a name or an email address to find a patient; add as many as needed."),
    )
    timezone = TimeZoneField(
        required=False,
        help_text=_("Empty: each patient's own time zone."),
    )
    field_order = ["patients", "start_date", "therapist", "reminder_time", "timezone"]

    def __init__(self, *args, user, program: Program, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.program = program
        # The search asks the patient admin, which shows only the patients the user may see.
        self.fields["patients"].widget = AutocompleteSelectMultiple(
            Assignment._meta.get_field("patient"), admin.site
        )
        self.fields["patients"].queryset = Patient.objects.visible_to(user)  # binds the choices
        staff = getattr(user, "staff", None)
        tz_name = staff.clinic.timezone if staff is not None else "UTC"
        self.fields["timezone"].widget.attrs["placeholder"] = _("Each patient's own")
        self.fields["start_date"].initial = local_today(tz_name)

    def clean(self):
        cleaned = super().clean()
        self.starting_stage_check(self.program)
        return cleaned

    def assignment_kwargs(self) -> dict:
        return {**super().assignment_kwargs(), "timezone": self.cleaned_data["timezone"] or None}


class AssignmentForm(ContentLanguagesFormMixin, forms.ModelForm):
    # The time zone field is the admin's (ClinicScopedAdmin.formfield_for_dbfield).
    preferred_weekdays = WeekdaysField()

    class Meta:
        model = Assignment
        fields = [
            "name",
            "status",
            "start_date",
            "therapist",
            "reminder_time",
            "timezone",
            "advanced",
            "preferred_weekdays",
            "goal",
            "scheme",
            "education",
            *translation_fields(Assignment),
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "education": forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
        }

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        if "start_date" in self.changed_data:
            program_date_validate(day)
        return day
