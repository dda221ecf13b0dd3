from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clinic.scoped_admin import ClinicScopedAdmin

from .models import Patient
from .privacy_admin import PatientRightsAdmin


@admin.register(Patient)
class PatientAdmin(PatientRightsAdmin, ClinicScopedAdmin):
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
