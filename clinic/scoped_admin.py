"""The base of every clinic-data admin: rows limited by ``visible_to``, shared rows read-only."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DataError, models
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .audit import AuditedAdminMixin, audit_hidden_object
from .forms import TimeZoneField
from .tenancy import staff_clinic_id


class ScopedChoicesMixin:
    """Offer only related rows the user may see in foreign-key and many-to-many fields.

    Used by ``ClinicScopedAdmin`` and by every inline.
    """

    def _scope_choices(self, db_field, request, kwargs):
        related = db_field.related_model
        if hasattr(related, "tenancy") and "queryset" not in kwargs:
            kwargs["queryset"] = related.objects.visible_to(request.user)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SuperuserOnlyMixin:
    """An admin page for superusers alone (logins, the shared vocabulary): staff of a clinic
    neither see it in the index nor open it."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a foreign key offering only the rows the user may see, in one query.

    Django's own filter lists every row of the related table (every clinic's staff) and
    renders each with its own query for ``__str__``.
    """

    select_related: tuple[str, ...] = ()

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        if hasattr(related, "tenancy"):
            rows = related.objects.visible_to(request.user)
        else:
            rows = related._default_manager.all()
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rows = rows.order_by(*ordering)
        return [(row.pk, str(row)) for row in rows.select_related(*self.select_related)]


class StaffFilter(ScopedRelatedFilter):
    """Therapists of the user's clinic; a staff member's name is on its user."""

    select_related = ("user",)


class InvalidFilterMixin:
    """Answer a filter value the database refuses as an invalid filter, not a server error.

    Every admin of the site has it: ``ClinicScopedAdmin`` by inheritance, the others
    (Django's and django-axes') through ``invalid_filters_refused_everywhere``.
    """

    def get_changelist_instance(self, request):
        """Build the list; a filter value the database cannot take is an invalid filter.

        Django turns filters it cannot parse into its "invalid lookup" redirect (without a
        word to the user), but passes other values on: a NUL byte, which PostgreSQL refuses
        in any text, and a year of twenty digits, which overflows when the query is built.
        NUL is refused before any query (no savepoint needed, which would cost every list
        a round trip); the rest fail before the database is asked, or, in autocommit,
        without harm to the connection.
        """
        try:
            if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
                raise IncorrectLookupParameters("A NUL character in the query string.")
            return super().get_changelist_instance(request)
        except (IncorrectLookupParameters, DataError, OverflowError) as error:
            # Django then redirects to the whole list ("?e=1"): say why.
            self.message_user(
                request, _("That filter is not valid: the whole list is shown."), messages.WARNING
            )
            raise IncorrectLookupParameters(error) from error


def invalid_filters_refused_everywhere(site: admin.AdminSite) -> None:
    """Give every admin registered so far that lacks ``InvalidFilterMixin`` a subclass with it."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, InvalidFilterMixin):
            continue
        base = type(model_admin)
        site.unregister(model)
        site.register(model, type(base.__name__, (InvalidFilterMixin, base), {}))


class ClinicScopedAdmin(
    InvalidFilterMixin, AuditedAdminMixin, ScopedChoicesMixin, admin.ModelAdmin
):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone" and isinstance(db_field, models.CharField):
            staff = getattr(request.user, "staff", None)
            return TimeZoneField(
                first=staff.clinic.timezone if staff is not None else None,
                label=capfirst(db_field.verbose_name),
                required=not db_field.blank,
                initial=db_field.default,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def action_checkbox(self, obj):
        """Each row's checkbox for the actions: Django's own markup, without a widget template.

        A list renders one per row, and rendering them through the checkbox widget's
        templates took about a fifth of the patient list's time (100 rows on the bench set:
        45 ms with this, 58 ms with Django's).
        """
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def response_action(self, request, queryset):
        """Run an action only on a selection the user sees in full; otherwise refuse it whole.

        Django would act on the part of the selection in the list and silently drop the
        rest: another clinic's id slipped into the POST would go unnoticed while the
        action ran on the others (an export would even be recorded, of what was left).
        """
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        unseen = selection_not_in(queryset, selected)
        if unseen:
            for object_id in unseen:
                audit_hidden_object(request, self.model, object_id)
            self.message_user(
                request,
                ngettext(
                    "Nothing was done: %(count)d selected item is not in your list "
                    "(deleted, or not yours to see).",
                    "Nothing was done: %(count)d selected items are not in your list "
                    "(deleted, or not yours to see).",
                    len(unseen),
                )
                % {"count": len(unseen)},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def is_owned_by_user_clinic(self, request, obj) -> bool:
        """Whether the user's clinic owns obj (shared library rows are read-only).

        The admin asks this several times per page, so the answer is kept for the request.
        """
        if request.user.is_superuser:
            return True
        if self.model.tenancy.clinic == "clinic":
            # The clinic is a column of the row itself: no query needed.
            return obj.clinic_id is not None and obj.clinic_id == staff_clinic_id(request.user)
        answers = request.__dict__.setdefault("_flexion_owned", {})
        key = (self.model._meta.label_lower, obj.pk)
        if key not in answers:
            answers[key] = (
                self.model.objects.owned_by_clinic_of(request.user).filter(pk=obj.pk).exists()
            )
        return answers[key]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.is_owned_by_user_clinic(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.is_owned_by_user_clinic(request, obj))

    def get_list_filter(self, request):
        # Django's filter on a foreign key lists every row of the related table (all
        # clinics' therapists, say); offer only the values the user's own rows use.
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and is_related_to_tenant_rows(self.model, entry)
            else entry
            for entry in super().get_list_filter(request)
        ]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and has_field(self.model, "clinic"):
            exclude.append("clinic")
        return exclude

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        clinic_id = staff_clinic_id(request.user)
        if request.user.is_superuser or clinic_id is None or not has_field(self.model, "clinic"):
            return form
        return clinic_validated_form(form, clinic_id)

    def save_model(self, request, obj, form, change):
        if not change and has_field(self.model, "clinic") and not request.user.is_superuser:
            obj.clinic_id = staff_clinic_id(request.user)
        super().save_model(request, obj, form, change)


class ReadOnlyScopedAdmin(ClinicScopedAdmin):
    """Rows the app writes and people only read: logs, audit events, report pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def selection_not_in(queryset, selected: list[str]) -> list[str]:
    """Return the selected ids (as sent) that are not rows of queryset: bad, gone or hidden."""
    pk_field = queryset.model._meta.pk
    ids: dict = {}
    malformed = []
    for value in selected:
        try:
            ids[pk_field.to_python(value)] = value
        except ValidationError:
            malformed.append(value)
    found = set(queryset.filter(pk__in=list(ids)).values_list("pk", flat=True)) if ids else set()
    return malformed + [value for key, value in ids.items() if key not in found]


def is_related_to_tenant_rows(model, name: str) -> bool:
    if "__" in name:
        return False
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return field.is_relation and hasattr(field.related_model, "tenancy")


def has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def clinic_validated_form(form_class, clinic_id: int):
    """Return form_class with the clinic set before validation.

    The clinic is not a form field, and Django skips every unique constraint that
    involves a field missing from the form: a duplicate (clinic, email) would reach the
    database and fail there with an error page instead of a message on the form.
    """

    class ClinicValidatedForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.pk is None:
                self.instance.clinic_id = clinic_id

        def _get_validation_exclusions(self):
            exclusions = super()._get_validation_exclusions()
            exclusions.discard("clinic")
            return exclusions

    return ClinicValidatedForm
