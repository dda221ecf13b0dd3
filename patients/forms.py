import datetime

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .messages import message_text
from .models import MAX_MESSAGE_LENGTH, Answer, Patient


class PatientLoginForm(AuthenticationForm):
    """The patients' sign-in: it never signs in clinic staff."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "staff": _("This is the patients' sign-in. Clinic staff sign in at /admin/."),
        "no_patient": _("This login is not linked to a patient. Please contact your clinic."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff or user.is_superuser:
            raise forms.ValidationError(self.error_messages["staff"], code="staff")
        if getattr(user, "patient", None) is None:
            raise forms.ValidationError(self.error_messages["no_patient"], code="no_patient")


class CheckInForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("How did your body feel the day after this session?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one of the answers.")},
    )


class SignInLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class TemplatelessInput:
    """An ``<input>`` written with ``format_html``: Django's markup, without the widget templates.

    The player renders four inputs on every exercise, and rendering them through the
    ``input.html``/``attrs.html`` templates took about half of its template time (measured
    on the 1,000-patient bench set: see BENCHMARKS.md). Mixed into Django's input widgets,
    whose ``get_context`` still decides the attributes and value.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            format_html(' value="{}"', value) if value is not None else "",
            format_html_join(
                "",
                "{}{}",
                (
                    (f" {name}", "" if value is True else format_html('="{}"', value))
                    for name, value in widget["attrs"].items()
                    if value is not False
                ),
            ),
        )


class PlayerNumberInput(TemplatelessInput, forms.NumberInput):
    pass


class PlayerTextInput(TemplatelessInput, forms.TextInput):
    pass


PAIN_MESSAGE = _("Pain is a number from 0 (none) to 10 (worst imaginable).")
COUNT_MESSAGE = _("Please enter a number of 0 or more.")


class ExerciseLogForm(forms.Form):
    sets_done = forms.IntegerField(
        label=_("Sets done"),
        min_value=0,
        required=False,
        error_messages={"min_value": COUNT_MESSAGE, "invalid": COUNT_MESSAGE},
        widget=PlayerNumberInput(attrs={"inputmode": "numeric", "min": 0}),
    )
    reps_done = forms.IntegerField(
        label=_("Reps done (per set)"),
        min_value=0,
        required=False,
        error_messages={"min_value": COUNT_MESSAGE, "invalid": COUNT_MESSAGE},
        widget=PlayerNumberInput(attrs={"inputmode": "numeric", "min": 0}),
    )
    pain = forms.IntegerField(
        label=_("Pain during this exercise, 0 (none) to 10 (worst)"),
        min_value=0,
        max_value=10,
        required=False,
        error_messages={
            "min_value": PAIN_MESSAGE,
            "max_value": PAIN_MESSAGE,
            "invalid": PAIN_MESSAGE,
        },
        widget=PlayerNumberInput(attrs={"inputmode": "numeric"}),
    )
    skip_reason = forms.CharField(
        label=_("Reason for skipping (optional)"),
        max_length=300,
        required=False,
        widget=PlayerTextInput,
    )

    def __init__(self, *args, skipping=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.skipping = skipping

    def clean(self):
        cleaned = super().clean()
        if not self.skipping:
            for name in ("sets_done", "reps_done"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Please enter how many you did, or skip."))
        return cleaned


class MessageField(forms.CharField):
    """A message's text, its line breaks counted once (``message_text``) before its length
    is checked: what the box lets you type is what the server accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_MESSAGE_LENGTH)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return message_text(super().to_python(value))


class FinishForm(forms.Form):
    effort = forms.IntegerField(
        label=_("How hard was this session? 0 (very easy) to 10 (maximal)"),
        min_value=0,
        max_value=10,
        required=False,
        error_messages={
            "min_value": _("Effort is a number from 0 to 10."),
            "max_value": _("Effort is a number from 0 to 10."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = MessageField(label=_("A message for your therapist (optional)"), required=False)


class MessageForm(forms.Form):
    body = MessageField(
        label=_("Your message"),
        error_messages={
            "required": _("Write a message first: it is empty."),
            "max_length": _(
                "A message holds at most %(limit_value)d characters (this one has %(show_value)d)."
            ),
        },
    )


class PastSessionForm(FinishForm):
    performed_on = forms.DateField(
        label=_("Day of the session"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Please enter a date such as 2026-03-02.")},
    )
    assignment = forms.ModelChoiceField(label=_("Program"), queryset=None, empty_label=None)

    field_order = ["assignment", "performed_on", "effort", "note"]

    def __init__(self, *args, assignments, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments
        widget = self.fields["performed_on"].widget
        widget.attrs["max"] = today.isoformat()
        widget.attrs["min"] = (today - datetime.timedelta(days=7)).isoformat()


class LanguageForm(forms.ModelForm):
    """The patient's own choice of the language of their site, emails and reminders."""

    class Meta:
        model = Patient
        fields = ["language"]
        labels = {"language": _("Language")}
        help_texts = {"language": _("Your exercises, emails and reminders are in this language.")}
        error_messages = {"language": {"invalid_choice": _("Please choose one of the languages.")}}
