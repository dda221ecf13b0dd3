from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.scoped_admin import ClinicScopedAdmin

from .invitations import invitation_send
from .models import Patient


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
class PatientAdmin(ClinicScopedAdmin):
    list_display = ["__str__", "email", "therapist", "reminder_consent", "created_at"]
    list_filter = ["reminder_consent", "therapist"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["therapist__user"]
    readonly_fields = ["user", "reminders_opted_out_at", "created_at"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "therapist"]}),
        (_("Reminders"), {"fields": ["timezone", "reminder_consent", "reminders_opted_out_at"]}),
        (_("Login"), {"fields": ["user", "created_at"]}),
    ]
    actions = [invite_to_patient_site]
