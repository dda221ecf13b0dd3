from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clinic.scoped_admin import ClinicScopedAdmin

from .admin_progress import AssignmentProgressMixin, PatientAlertMixin
from .models import Assignment, Patient


@admin.register(Patient)
class PatientAdmin(PatientAlertMixin, ClinicScopedAdmin):
    list_display = ["__str__", "email", "therapist", "reminder_consent", "pain_alert", "created_at"]
    list_filter = ["reminder_consent", "therapist"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["therapist__user"]
    readonly_fields = ["user", "reminders_opted_out_at", "created_at"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "therapist"]}),
        (_("Reminders"), {"fields": ["timezone", "reminder_consent", "reminders_opted_out_at"]}),
        (_("Login"), {"fields": ["user", "created_at"]}),
    ]


@admin.register(Assignment)
class AssignmentAdmin(AssignmentProgressMixin, ClinicScopedAdmin):
    list_display = ["name", "patient", "status", "start_date", "pain_alert"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    search_fields = ["name", "patient__first_name", "patient__last_name"]
