"""The audit trail: ``audit_record`` writes one event; sign-in signals feed it.

Call ``audit_record`` wherever something security-relevant happens that the admin
and the middleware do not already record (exports, API reads of a patient, …).
Events are only ever added: the database refuses to change or delete them.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db import connection

from .models import AuditAction, AuditEvent
from .security import client_ip, login_username
from .throttles import rate_limit_hit


def _follow(obj, path: str):
    """Return the id at the end of a tenancy path such as ``session__assignment__clinic``."""
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def holds_patient_data(model) -> bool:
    tenancy = getattr(model, "tenancy", None)
    return tenancy is not None and tenancy.patient is not None


def clinic_id_of(obj) -> int | None:
    tenancy = getattr(type(obj), "tenancy", None)
    return _follow(obj, tenancy.clinic) if tenancy is not None else None


def patient_id_of(obj) -> int | None:
    tenancy = getattr(type(obj), "tenancy", None)
    if tenancy is None or tenancy.patient is None:
        return None
    return _follow(obj, tenancy.patient)


def object_label(obj) -> str:
    """Name an object for the trail; a patient's records by id only, never by name."""
    if holds_patient_data(type(obj)):
        return f"{obj._meta.verbose_name} #{obj.pk}"
    return str(obj)[:200]


def actor_label(user) -> str:
    patient = getattr(user, "patient", None)
    if patient is not None and not user.is_staff:
        return f"patient #{patient.pk}"
    return user.email


def user_clinic_id(user) -> int | None:
    staff = getattr(user, "staff", None)
    if staff is not None:
        return staff.clinic_id
    patient = getattr(user, "patient", None)
    return patient.clinic_id if patient is not None else None


def audit_record(
    *,
    action: str,
    request=None,
    actor=None,
    obj=None,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    extra: dict | None = None,
    object_type: str = "",
) -> AuditEvent | None:
    """Record one event; the actor defaults to the request's user, the clinic to the object's.

    Events of a request without a signed-in actor (a refused or failed sign-in) are
    bounded per client address and window (``FLEXION_RATES["anonymous_audit"]``): anyone
    can cause them, and the trail cannot be trimmed. Return None when one is not written.
    """
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor is None and request is not None and not _anonymous_event_allowed(request):
        return None
    fields = {"object_type": object_type}
    if obj is not None:
        fields = {
            "object_type": obj._meta.label_lower,
            "object_id": str(obj.pk),
            "object_repr": object_label(obj),
        }
        clinic_id = clinic_id if clinic_id is not None else clinic_id_of(obj)
        patient_id = patient_id if patient_id is not None else patient_id_of(obj)
    if clinic_id is None and actor is not None:
        clinic_id = user_clinic_id(actor)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_repr=actor_label(actor) if actor is not None else "",
        clinic_id=clinic_id,
        patient_id=patient_id,
        ip=client_ip(request) if request is not None else None,
        extra=extra or {},
        **fields,
    )


@contextmanager
def audit_erasure_scrub():
    """Allow, inside the current transaction, rewriting the free-text columns of events.

    Only an erasure uses it, to remove a patient's name or email from events written
    before they were named by id only; the database still refuses any other change.
    """
    if connection.vendor != "postgresql":
        yield  # SQLite (make run): its trigger lets the free-text columns change
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Scrub the audit trail inside the erasure's transaction.")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL flexion.audit_erasure = 'on'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL flexion.audit_erasure = 'off'")


def _anonymous_event_allowed(request) -> bool:
    return rate_limit_hit("anonymous_audit", client_ip(request) or "unknown") is None


def audit_hidden_object(request, model, object_id) -> None:
    """Record an attempt to open a row that exists but is outside the user's view.

    The event goes to the user's clinic, so it names the row by type and id only: its
    name belongs to the other clinic.
    """
    try:
        exists = model._base_manager.filter(pk=object_id).exists()
    except (ValueError, ValidationError):
        return
    if exists:
        AuditEvent.objects.create(
            action=AuditAction.DENIED,
            actor=request.user,
            actor_repr=actor_label(request.user),
            clinic_id=user_clinic_id(request.user),
            object_type=model._meta.label_lower,
            object_id=str(object_id)[:64],
            ip=client_ip(request),
            extra={"path": request.path[:500], "method": request.method},
        )


def _logged_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, request=request, actor=user)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, request=request, actor=user)


def _attempted_accounts(username: str) -> tuple[int | None, dict]:
    """Name the logins a sign-in attempt was for by id, never by the email typed.

    An email in the trail could never be erased with its patient (events cannot change).
    """
    accounts = (
        list(
            get_user_model()
            .objects.filter(email=username)
            .select_related("staff", "patient")
            .order_by("pk")[:10]
        )
        if username
        else []
    )
    clinics = {user_clinic_id(account) for account in accounts}
    clinic_id = clinics.pop() if len(clinics) == 1 else None
    return clinic_id, {
        "known_account": bool(accounts),
        "account_ids": [account.pk for account in accounts],
    }


def _login_failed(sender, credentials, request=None, **kwargs):
    clinic_id, extra = _attempted_accounts(login_username(request, credentials))
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        actor=None,
        clinic_id=clinic_id,
        extra=extra,
    )


def _locked_out(sender, request, username, ip_address, **kwargs):
    clinic_id, extra = _attempted_accounts((username or "").lower())
    audit_record(
        action=AuditAction.LOCKED_OUT,
        request=request,
        actor=None,
        clinic_id=clinic_id,
        extra=extra,
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")


class AuditedAdminMixin:
    """Record, for a ModelAdmin, every add, change and delete, and each read of patient data.

    Changes made through inlines are in the parent's change message, recorded with it.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        reading = change and obj is not None and request.method == "GET"
        if reading and holds_patient_data(self.model):
            audit_record(action=AuditAction.VIEW, request=request, obj=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and from_field is None:
            audit_hidden_object(request, self.model, object_id)
        return obj

    def log_addition(self, request, obj, message):
        audit_record(action=AuditAction.ADD, request=request, obj=obj, extra={"change": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_record(action=AuditAction.CHANGE, request=request, obj=obj, extra={"change": message})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(action=AuditAction.DELETE, request=request, obj=obj)
        return super().log_deletions(request, queryset)
