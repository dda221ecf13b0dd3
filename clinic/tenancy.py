"""The one way Flexion limits data to a clinic or to a patient.

Every model that holds clinic data declares where its clinic (and, where it has
one, its patient) is with a ``Tenancy`` and uses ``ScopedQuerySet``. Views,
admin classes, the API and exports all call ``.visible_to(user)``; nothing else
filters by clinic by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Tenancy:
    clinic: str
    patient: str | None = None
    # Rows with no clinic are the shared library: every clinic's staff may read them.
    shared_when_clinic_is_null: bool = False


def staff_clinic_id(user) -> int | None:
    """Return the id of the clinic the user works for, or None."""
    staff = getattr(user, "staff", None) if user.is_authenticated else None
    return staff.clinic_id if staff is not None and staff.is_active else None


def patient_id(user) -> int | None:
    """Return the id of the patient record the user logs in as, or None."""
    patient = getattr(user, "patient", None) if user.is_authenticated else None
    return patient.pk if patient is not None else None


def _clinic_lookup(tenancy: Tenancy) -> str:
    return "pk" if tenancy.clinic == "pk" else f"{tenancy.clinic}_id"


class ScopedQuerySet(models.QuerySet):
    def for_clinic(self, clinic_id: int) -> ScopedQuerySet:
        tenancy: Tenancy = self.model.tenancy
        clinic_filter = models.Q(**{_clinic_lookup(tenancy): clinic_id})
        if tenancy.shared_when_clinic_is_null:
            clinic_filter |= models.Q(**{f"{tenancy.clinic}__isnull": True})
        return self.filter(clinic_filter)

    def for_patient(self, patient_pk: int) -> ScopedQuerySet:
        tenancy: Tenancy = self.model.tenancy
        if tenancy.patient is None:
            return self.none()
        return self.filter(**{tenancy.patient: patient_pk})

    def visible_to(self, user) -> ScopedQuerySet:
        """Limit to what the user may see: their clinic's rows, or their own as a patient."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        clinic_id = staff_clinic_id(user)
        if clinic_id is not None:
            return self.for_clinic(clinic_id)
        own_patient = patient_id(user)
        if own_patient is not None:
            return self.for_patient(own_patient)
        return self.none()

    def owned_by_clinic_of(self, user) -> ScopedQuerySet:
        """Limit to rows the user's clinic owns (not the shared library): what they may change."""
        if user.is_superuser:
            return self
        clinic_id = staff_clinic_id(user)
        if clinic_id is None:
            return self.none()
        return self.filter(**{_clinic_lookup(self.model.tenancy): clinic_id})
