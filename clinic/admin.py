from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import mfa
from .audit import audit_record
from .images import logo_prepare, stored_image_data_url
from .invitations import staff_invitation_revoke, staff_invitation_send
from .models import (
    ApiToken,
    AuditAction,
    AuditEvent,
    Clinic,
    LoginLink,
    LoginLinkPurpose,
    Role,
    StaffMember,
    User,
)
from .scoped_admin import (
    ClinicScopedAdmin,
    InvalidFilterMixin,
    ReadOnlyScopedAdmin,
    SuperuserOnlyMixin,
    invalid_filters_refused_everywhere,
)
from .security import user_sessions_end
from .tenancy import staff_clinic_id
from .tokens import api_token_issue

admin.site.site_header = _("Flexion clinic admin")
admin.site.site_title = _("Flexion")
admin.site.index_title = _("Your clinic")
# The site's pages are the patients'; staff would get a refusal there. Their home is here.
admin.site.site_url = None

# Second factors are managed by their owners (enrolment) and by the "reset two-factor"
# action on staff members; their own admins would show secrets and recovery codes.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)
# The admins of Django and django-axes (registered before this module) get the same answer
# to a filter value the database refuses as Flexion's own.
invalid_filters_refused_everywhere(admin.site)


class ClinicForm(forms.ModelForm):
    """The clinic's own page; its logo is checked (``logo_prepare``) before it is stored."""

    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "Printed on the handouts. JPEG, PNG or WebP, up to 10 MB; a new one replaces the old."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    logo_remove = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Clinic
        fields = ["name", "slug", "timezone", "reminder_time"]

    prepared = None

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        if upload is not None:
            self.prepared = logo_prepare(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("logo_remove") and self.files.get("logo_upload"):
            raise ValidationError(_("Either upload a new logo or remove the logo, not both."))
        return cleaned

    def save(self, commit=True):
        clinic = super().save(commit=False)
        replaced = clinic.logo.name
        if self.prepared is not None:
            # Written through the storage when the clinic is saved, under a new name.
            clinic.logo = ContentFile(self.prepared.data, name="logo.webp")
        elif self.cleaned_data.get("logo_remove"):
            clinic.logo = ""
        if replaced and clinic.logo.name != replaced:
            # Only once the change is committed: a failed save keeps the old logo.
            transaction.on_commit(lambda: default_storage.delete(replaced))
        if commit:
            clinic.save()
        return clinic


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    form = ClinicForm
    list_display = ["name", "slug", "timezone", "reminder_time"]
    fields = [
        "name",
        "slug",
        "timezone",
        "reminder_time",
        "logo_preview",
        "logo_upload",
        "logo_remove",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        preview = ["logo_preview"]
        return preview if request.user.is_superuser else [*preview, "slug"]

    @admin.display(description=_("Current logo"))
    def logo_preview(self, clinic):
        if not clinic.logo:
            return _("No logo yet.")
        try:
            src = stored_image_data_url(clinic.logo.name)
        except OSError:
            return _("The logo's file is missing: upload it again.")
        return format_html(
            '<img src="{}" alt="{}" class="flexion-clinic-logo">',
            src,
            _("Logo of %(clinic)s") % {"clinic": clinic.name},
        )

    def get_prepopulated_fields(self, request, obj=None):
        # A read-only slug is not a form field: prepopulating it broke the clinic admin's page.
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}


class StaffMemberInline(admin.StackedInline):
    model = StaffMember
    fk_name = "user"
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class UserAdmin(SuperuserOnlyMixin, InvalidFilterMixin, BaseUserAdmin):
    """Platform operators only: clinic admins manage their staff through Staff members."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    inlines = [StaffMemberInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.is_active:
            user_sessions_end(user=obj)


class StaffMemberForm(forms.ModelForm):
    """A clinic admin adds a colleague by email; the login is created with it."""

    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)

    class Meta:
        model = StaffMember
        fields = ["email", "full_name", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["full_name"].initial = self.instance.user.full_name

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        # Among staff only: a patient's login at any clinic may share the address
        # (docs/identities.md), and saying so would tell this clinic about another's patient.
        taken = User.objects.filter(email=email, is_staff=True)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.user_id)
        if taken.exists():
            raise forms.ValidationError(_("A staff login with this email already exists."))
        return email

    def save(self, commit=True):
        staff = super().save(commit=False)
        if staff.pk:
            user = staff.user
        else:
            # A new colleague starts in the language of the admin who adds them (their
            # invitation is written in it); they change it from the admin's "Language".
            user = User(is_staff=True, language=translation.get_language() or "")
            user.set_unusable_password()
        user.email = self.cleaned_data["email"]
        user.full_name = self.cleaned_data["full_name"]
        user.is_active = staff.is_active
        user.save()
        staff.user = user
        if commit:
            staff.save()
        return staff


@admin.register(StaffMember)
class StaffMemberAdmin(ClinicScopedAdmin):
    form = StaffMemberForm
    list_display = ["__str__", "email", "role", "is_active", "sign_in", "clinic"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user", "clinic"]

    actions = ["invite_again", "revoke_invitation", "reset_two_factor"]

    def get_queryset(self, request):
        # API tokens' own logins are managed as tokens, not as colleagues.
        pending = LoginLink.objects.usable().filter(
            user=OuterRef("user"), purpose=LoginLinkPurpose.STAFF_INVITATION
        )
        return (
            super()
            .get_queryset(request)
            .filter(user__api_token__isnull=True)
            .annotate(invitation_pending=Exists(pending))
        )

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("sign-in"))
    def sign_in(self, obj):
        if obj.user.has_usable_password():
            return _("Password chosen")
        if obj.invitation_pending:
            return _("Invited")
        return _("Not invited: send an invitation")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.is_active:
            user_sessions_end(user=obj.user)
            staff_invitation_revoke(staff=obj)
        elif not change or ("email" in form.changed_data and not obj.user.has_usable_password()):
            # A new colleague, or one whose invitation went to a wrong address.
            self._invite(request, obj)

    def _invite(self, request, staff) -> bool:
        try:
            staff_invitation_send(staff=staff)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        audit_record(action=AuditAction.INVITE, request=request, obj=staff)
        self.message_user(
            request,
            _("An invitation is on its way to %(email)s.") % {"email": staff.user.email},
            messages.SUCCESS,
        )
        return True

    @admin.action(permissions=["change"], description=_("Send the invitation again"))
    def invite_again(self, request, queryset):
        for staff in queryset.owned_by_clinic_of(request.user).select_related("user"):
            self._invite(request, staff)

    @admin.action(permissions=["change"], description=_("Withdraw the invitation"))
    def revoke_invitation(self, request, queryset):
        for staff in queryset.owned_by_clinic_of(request.user).select_related("user"):
            if staff_invitation_revoke(staff=staff):
                audit_record(action=AuditAction.INVITE_REVOKE, request=request, obj=staff)
                self.message_user(
                    request,
                    _("The invitation of %(email)s no longer works.") % {"email": staff.user.email},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(email)s had no pending invitation.") % {"email": staff.user.email},
                    messages.WARNING,
                )

    def has_reset_two_factor_permission(self, request):
        return request.user.has_perm("clinic.change_staffmember")

    @admin.action(
        permissions=["reset_two_factor"],
        description=_("Reset two-factor sign-in (lost phone): they set it up again"),
    )
    def reset_two_factor(self, request, queryset):
        colleagues = queryset.owned_by_clinic_of(request.user).select_related("user")
        for staff in colleagues:
            mfa.mfa_reset(user=staff.user)
            user_sessions_end(user=staff.user)
            audit_record(action=AuditAction.MFA_RESET, request=request, obj=staff)
        count = len(colleagues)
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d colleague.",
                "Two-factor sign-in reset for %(count)d colleagues.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    """The clinic's audit trail, read-only: nobody adds, changes or deletes events here."""

    list_display = ["at", "actor_repr", "action", "object_repr", "patient_id", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_repr", "object_id", "object_repr"]
    date_hierarchy = "at"
    fields = [
        "at",
        "actor_repr",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "patient_id",
        "ip",
        "extra",
    ]
    readonly_fields = fields


class ApiTokenForm(forms.ModelForm):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.THERAPIST,
        help_text=_("What the integration may do: a therapist's or a clinic admin's rights."),
    )

    class Meta:
        model = ApiToken
        fields = ["name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ClinicScopedAdmin):
    """Clinic admins issue tokens for integrations (the key is shown once) and revoke them."""

    form = ApiTokenForm
    list_display = [
        "name",
        "prefix",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user__staff", "created_by"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "prefix",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_fields(self, request, obj=None):
        return ["name", "role"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay as a record of who had access

    @admin.display(description=_("role"))
    def role(self, obj):
        return obj.user.staff.get_role_display()

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = api_token_issue(
            clinic=Clinic.objects.get(pk=staff_clinic_id(request.user)),
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            created_by=request.user,
        )
        obj.pk, obj.prefix = token.pk, token.prefix  # for the admin's log and redirect
        messages.warning(
            request,
            _(
                "The key of %(name)s is %(key)s — copy it now: "
                "it is not stored and will not be shown again."
            )
            % {"name": token.name, "key": key},
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
