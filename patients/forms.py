from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Answer


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
