"""What every API view and serializer shares: tenancy, ownership of writes, model validation."""

from copy import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS

from clinic.tenancy import staff_clinic_id

from .errors import validation_error
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
    """

    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()

    def get_queryset(self):
        model = self.queryset.model
        queryset = model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def get_object(self):
        obj = super().get_object()
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

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as error:
            raise Conflict() from error


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    # PATCH only: one way to change a row, and no full replacement of server-set fields.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


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
