"""Admin actions for a patient's rights: export all their data (Flexion's JSON, or the
FHIR interface's record of them for another system), erase them.

Mixed into ``PatientAdmin``; only users who may delete patients (clinic admins) see them.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .privacy import patient_erase, patient_export


class PatientRightsAdmin:
    patient_rights_actions = ("export_patient_data", "export_patient_fhir", "erase_patient")

    def get_actions(self, request):
        # Added here rather than through ``actions`` so that PatientAdmin's own list of
        # actions cannot drop them by accident.
        actions = super().get_actions(request)
        popup = IS_POPUP_VAR in request.GET
        if not popup and self.has_patient_rights_permission(request):
            for name in self.patient_rights_actions:
                actions.setdefault(name, self.get_action(name))
        return actions

    def has_patient_rights_permission(self, request):
        return request.user.has_perm("patients.delete_patient")

    def _one_patient(self, request, queryset):
        patients = list(queryset.owned_by_clinic_of(request.user)[:2])
        if len(patients) != 1:
            self.message_user(request, _("Select exactly one patient."), messages.ERROR)
            return None
        return patients[0]

    @admin.action(
        permissions=["patient_rights"],
        description=gettext_lazy("Export all data of the patient (JSON)"),
    )
    def export_patient_data(self, request, queryset):
        patient = self._one_patient(request, queryset)
        if patient is None:
            return None
        export = patient_export(patient=patient, by=request.user, request=request)
        response = HttpResponse(
            json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.json"'
        return response

    @admin.action(
        permissions=["patient_rights"],
        description=gettext_lazy("Export the patient's record (FHIR R4)"),
    )
    def export_patient_fhir(self, request, queryset):
        """The FHIR interface's ``Patient/$everything``, which records the export itself."""
        patient = self._one_patient(request, queryset)
        if patient is None:
            return None
        return redirect(reverse("fhir:patient-everything", kwargs={"resource_id": patient.pk}))

    @admin.action(
        permissions=["patient_rights"],
        description=gettext_lazy("Erase the patient's personal data"),
    )
    def erase_patient(self, request, queryset):
        patient = self._one_patient(request, queryset)
        if patient is None:
            return None
        if request.POST.get("confirm") == "yes":
            patient_erase(patient=patient, by=request.user, request=request)
            self.message_user(
                request,
                _("The patient's personal data was erased; their adherence numbers remain."),
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase this patient?"),
            "patient": patient,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patients/patient/erase_confirmation.html", context)
