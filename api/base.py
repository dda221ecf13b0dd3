"""What every API view and serializer shares: tenancy, ownership of writes, model validation."""

from copy import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from clinic.audit import audit_hidden_object, audit_record, holds_patient_data
from clinic.models import AuditAction
from clinic.tenancy import staff_clinic_id

from .errors import validation_error
from .idempotency import idempotent
from .permissions import is_patient


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Other records still use this one; it cannot be deleted."
    default_code = "conflict"


class ScopedViewSetMixin:
    """Rows come from ``visible_to(request.user)``: anything else answers 404.

    ``queryset`` on the class only names the model (for permissions and the
    schema); ``select_related``/``prefetch_related`` keep list queries constant.
    Writes additionally need the row to be owned by the user's clinic: a shared
    library row is visible but read-only (403).

    As in the admin, the audit trail records reads of patient data (one event per
    list page, so lists keep a constant number of queries), every write, and each
    attempt to open a row of another clinic or patient.
    """

    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        # Every create honours an Idempotency-Key header: a retry replays the first answer.
        if self.action_map.get("post") == "create":
            self.post = idempotent(self.post)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        model = self.queryset.model
        queryset = model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def get_object(self):
        try:
            obj = super().get_object()
        except Http404:
            audit_hidden_object(self.request, self.queryset.model, self.kwargs.get("pk"))
            raise
        if self.request.method not in SAFE_METHODS and not self.is_owned(obj):
            raise exceptions.PermissionDenied(
                "The shared library is read-only: copy the row to change it."
            )
        return obj

    def is_owned(self, obj) -> bool:
        if is_patient(self.request.user):
            return True  # a patient's visible rows are their own
        model = self.queryset.model
        return model.objects.owned_by_clinic_of(self.request.user).filter(pk=obj.pk).exists()

    def audit(self, action: str, obj) -> None:
        audit_record(action=action, request=self.request, obj=obj, extra={"via": "api"})

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if holds_patient_data(self.queryset.model):
            # The filters' names, not their values: a value can be a name or an email.
            filters = sorted(name[:50] for name in request.GET if name.isidentifier())[:20]
            audit_record(
                action=AuditAction.VIEW,
                request=request,
                extra={"via": "api", "list": request.path[:500], "filters": filters},
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if holds_patient_data(self.queryset.model):
            self.audit(AuditAction.VIEW, instance)
        return Response(self.get_serializer(instance).data)

    def perform_create(self, serializer):
        self.audit(AuditAction.ADD, serializer.save())

    def perform_update(self, serializer):
        self.audit(AuditAction.CHANGE, serializer.save())

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                self.audit(AuditAction.DELETE, instance)
                instance.delete()
        except (ProtectedError, RestrictedError) as error:
            raise Conflict() from error


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    # PATCH only: one way to change a row, and no full replacement of server-set fields.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Filter by a related row's id. Plain ids, not choices of rows: another clinic's id
    simply matches nothing, as the rows are already limited by ``visible_to``."""

    field_class = forms.IntegerField

    def __init__(self, related: str, **kwargs):
        super().__init__(field_name=f"{related}_id", **kwargs)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller may only point at rows visible to them (or owned, for writes).

    Another clinic's id is answered like a missing one: 400, "does not exist".
    """

    def __init__(self, *, owned: bool = False, **kwargs):
        self.owned = owned
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.context["request"].user
        if self.owned:
            return queryset.owned_by_clinic_of(user)
        return queryset.visible_to(user)


class ModelCleanSerializer(serializers.ModelSerializer):
    """Run the model's own validation (field validators, ``clean()``, unique constraints)
    on the would-be row, so the API accepts exactly what the admin accepts.
    """

    def owner_attrs(self) -> dict:
        """Attributes set by the server on create (the clinic, the patient...)."""
        return {}

    def clinic_id_of_user(self) -> int | None:
        return staff_clinic_id(self.context["request"].user)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy(self.instance) if self.instance is not None else model()
        values = attrs if self.instance is not None else {**self.owner_attrs(), **attrs}
        m2m = {field.name for field in model._meta.many_to_many}
        for name, value in values.items():
            if name not in m2m:
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=self.clean_exclude())
        except DjangoValidationError as error:
            raise validation_error(error) from error
        return attrs

    def clean_exclude(self) -> list[str]:
        return []

    @transaction.atomic
    def create(self, validated_data):
        return super().create({**validated_data, **self.owner_attrs()})
