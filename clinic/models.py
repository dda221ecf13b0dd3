import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .images import STORED_EXTENSION
from .tenancy import ScopedQuerySet, Tenancy


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A login: clinic staff (is_staff, with a StaffMember) or a patient (with a Patient).

    A staff address is unique. A patient's login is their clinic's: every patient record
    has one of its own, so one address may have a login at several clinics, and no clinic
    learns that another knows it (docs/identities.md). Signing in tries each login of the
    address (``clinic.auth.RoleBackend``).
    """

    email = models.EmailField(_("email address"), db_index=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can log in to the clinic admin. Never set for patients."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Staff only: a patient's language is on their patient record (``reading_language``).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language Flexion speaks to you in; empty: your browser's."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(is_staff=True),
                name="unique_staff_email",
                violation_error_message=_("A staff login with this email address already exists."),
            )
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.email

    @property
    def reading_language(self) -> str | None:
        """The language this login reads Flexion in; None: the browser's (Accept-Language).

        A patient's is on their patient record, set by the therapist and changeable by the
        patient; a staff member chooses their own.
        """
        if not self.is_staff:
            patient = getattr(self, "patient", None)
            if patient is not None:
                return patient.language
        return self.language or None

    @property
    def email_language(self) -> str:
        """The language of the emails this login receives: its own, else the site's."""
        return self.reading_language or settings.LANGUAGE_CODE

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]


class PaperSize(models.TextChoices):
    A4 = "A4", _("A4")
    LETTER = "letter", _("US Letter")


def clinic_logo_path(clinic: "Clinic", filename: str) -> str:
    """A new, unguessable name for each logo stored (a replaced logo never reuses one)."""
    return f"clinic-logos/{clinic.pk or 'new'}/{uuid.uuid4().hex}.{STORED_EXTENSION}"


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    paper_size = models.CharField(
        _("paper size of handouts"),
        max_length=10,
        choices=PaperSize.choices,
        default=PaperSize.A4,
    )
    reminder_time = models.TimeField(
        _("default reminder time"),
        default=datetime.time(8, 0),
        help_text=_("Offered when a program is assigned; each assignment can have its own."),
    )
    # Checked and re-encoded before it is stored (``clinic.images.logo_prepare``); shown on
    # the handout, embedded from storage, and never served from MEDIA_URL.
    logo = models.ImageField(
        _("logo"), upload_to=clinic_logo_path, max_length=200, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="pk")

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")


class StaffMember(models.Model):
    """Ties a staff login to the one clinic it works for, with its role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.THERAPIST)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic")

    class Meta:
        ordering = ["user__full_name", "user__email"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self):
        return str(self.user)

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == Role.CLINIC_ADMIN


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out")
    MFA_ENROLLED = "mfa_enrolled", _("Two-factor login set up")
    MFA_FAILED = "mfa_failed", _("Two-factor code refused")
    MFA_RESET = "mfa_reset", _("Two-factor login reset")
    VIEW = "view", _("Viewed")
    ADD = "add", _("Added")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    ERASE = "erase", _("Erased")
    DENIED = "denied", _("Access refused")
    INVITE = "invite", _("Invitation sent")
    INVITE_REVOKE = "invite_revoke", _("Invitation revoked")
    INVITE_ACCEPT = "invite_accept", _("Invitation accepted")


class AuditEvent(models.Model):
    """One security-relevant event; rows are only ever added (the database refuses changes).

    Patients appear by id only, never by name, so erasing a patient leaves no personal
    data here while the trail of who did what stays whole. Actor and clinic are kept as
    plain ids (no database constraint) so that deleting a login never touches the trail.
    """

    at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_repr = models.CharField(_("actor"), max_length=254, blank=True)
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clinic"),
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    patient_id = models.BigIntegerField(_("patient id"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic")

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["clinic", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_repr} {self.get_action_display()}"


class LoginLinkPurpose(models.TextChoices):
    INVITATION = "invitation", _("Invitation: set a password")
    SIGN_IN = "sign_in", _("Sign-in link")
    STAFF_INVITATION = "staff_invitation", _("Staff invitation: set a password")
    REMINDER = "reminder", _("Reminder: open today's session")

    @property
    def for_staff(self) -> bool:
        return self == LoginLinkPurpose.STAFF_INVITATION


class LoginLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class LoginLink(models.Model):
    """A single-use, expiring link that lets someone in without typing a password.

    Patients get invitations and sign-in links; staff get invitations. Only a hash of
    the token is stored, so a database leak reveals no working link. The link is spent
    by a conditional UPDATE (``used_at IS NULL``), so two clicks racing each other cannot
    both use it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_links")
    purpose = models.CharField(max_length=20, choices=LoginLinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = LoginLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("login link")
        verbose_name_plural = _("login links")

    def __str__(self):
        return f"{self.get_purpose_display()} for {self.user}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def use(self) -> bool:
        """Spend the link; return False when it was used, revoked or expired meanwhile."""
        now = timezone.now()
        spent = LoginLink.objects.usable(now).filter(pk=self.pk).update(used_at=now)
        if spent:
            self.used_at = now
        return bool(spent)


class ApiToken(models.Model):
    """A key for one integration of one clinic; only a hash of the key is stored.

    Each token acts through its own staff login (``user``) with the role chosen
    when it was issued, so ``visible_to`` and the role permissions apply to it
    unchanged and throttling counts each token on its own. Revoking the token
    deactivates that login.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        """Stop the key working at once; the row stays as a record of who had access."""
        if self.revoked_at is not None:
            return
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        User.objects.filter(pk=self.user_id).update(is_active=False)
        StaffMember.objects.filter(user_id=self.user_id).update(is_active=False)


class IdempotencyKey(models.Model):
    """The first answer to an API create sent with an ``Idempotency-Key`` header, per login.

    A retry with the same key gets this answer again instead of creating a second row
    (api.idempotency). Kept for a day.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self):
        return f"{self.key} ({self.user_id})"
