"""The report's filters: every choice limited to what the user may see."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.models import StaffMember
from patients.models import Assignment, AssignmentStatus
from programs.models import Program

from .adherence import ReportError, ReportScope, range_check
from .models import ExportRows

DEFAULT_WEEKS = 12


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    therapist = forms.ModelChoiceField(
        label=_("Therapist"),
        queryset=StaffMember.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Unknown therapist.")},
    )
    program = forms.ModelChoiceField(
        label=_("Program"),
        queryset=Program.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Unknown program.")},
    )
    status = forms.ChoiceField(
        label=_("Assignment status"),
        choices=[("", _("Any")), *AssignmentStatus.choices],
        required=False,
    )
    rows = forms.ChoiceField(
        label=_("Export rows"), choices=ExportRows.choices, required=False, initial="patient"
    )

    def __init__(self, data=None, *, user, today: datetime.date):
        self.user, self.today = user, today
        if data is not None and not data.get("start") and not data.get("end"):
            data = {**data.dict(), **self.default_range()}
        super().__init__(data)
        self.fields["therapist"].queryset = StaffMember.objects.visible_to(user).select_related(
            "user"
        )
        self.fields["program"].queryset = Program.objects.visible_to(user)

    def default_range(self) -> dict[str, str]:
        start = self.today - datetime.timedelta(weeks=DEFAULT_WEEKS)
        return {"start": start.isoformat(), "end": self.today.isoformat()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:
                range_check(start, end)
            except ReportError as error:
                raise forms.ValidationError(str(error)) from error
        return cleaned

    def scope(self) -> ReportScope:
        """Return the report's scope; call after is_valid()."""
        data = self.cleaned_data
        assignments = Assignment.objects.visible_to(self.user)
        if data.get("therapist"):
            assignments = assignments.filter(therapist=data["therapist"])
        if data.get("program"):
            assignments = assignments.filter(program=data["program"])
        if data.get("status"):
            assignments = assignments.filter(status=data["status"])
        return ReportScope(assignments, data["start"], data["end"], self.today)

    def filters(self) -> dict:
        """The filters in plain values, for the export record."""
        data = self.cleaned_data
        return {
            key: value
            for key, value in {
                "therapist": data["therapist"].pk if data.get("therapist") else None,
                "program": data["program"].pk if data.get("program") else None,
                "status": data.get("status") or None,
            }.items()
            if value is not None
        }
