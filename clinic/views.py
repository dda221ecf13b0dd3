"""Staff two-factor sign-in: enrol an authenticator app, then enter a code at each sign-in."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login
from django_otp import match_token

from . import mfa
from .audit import audit_record
from .login_links import login_link_check
from .models import AuditAction, LoginLinkPurpose, User

SETUP_KEY_SESSION = "flexion_mfa_setup_key"

staff_login_required = login_required(login_url=reverse_lazy("admin:login"))


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _staff_only(request):
    if not (request.user.is_staff or request.user.is_superuser):
        raise PermissionDenied


def _context(request, **extra):
    return {**admin.site.each_context(request), "is_nav_sidebar_enabled": False, **extra}


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("admin:index")


@sensitive_post_parameters("token")
@staff_login_required
def mfa_setup(request):
    """Show the QR code of a new secret; a correct code from the app sets it up."""
    _staff_only(request)
    if mfa.has_second_factor(request.user):
        # Someone with the password alone must never replace an enrolled device.
        return redirect("mfa_verify")
    key = request.session.get(SETUP_KEY_SESSION) or mfa.totp_key_new()
    request.session[SETUP_KEY_SESSION] = key
    form = CodeForm(request.POST or None)
    if form.is_valid():
        enrolled = mfa.mfa_enrol(user=request.user, key=key, token=form.cleaned_data["token"])
        if enrolled is not None:
            device, codes = enrolled
            del request.session[SETUP_KEY_SESSION]
            request.session.cycle_key()
            otp_login(request, device)
            audit_record(action=AuditAction.MFA_ENROLLED, request=request)
            return render(
                request,
                "admin/mfa/recovery_codes.html",
                _context(request, title=_("Save your recovery codes"), codes=codes),
            )
        form.add_error("token", _("That code did not match. Check the time on your phone."))
    uri = mfa.otpauth_uri(user=request.user, key=key)
    return render(
        request,
        "admin/mfa/setup.html",
        _context(
            request,
            title=_("Set up two-factor sign-in"),
            form=form,
            qr_code=mfa.qr_code_data_uri(uri),
            secret=mfa.secret_for_typing(key),
        ),
    )


@sensitive_post_parameters("token")
@staff_login_required
def mfa_verify(request):
    """Ask for a code from the app, or a recovery code, once per sign-in."""
    _staff_only(request)
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if not mfa.has_second_factor(request.user):
        return redirect(f"{reverse('mfa_setup')}?{urlencode({'next': _safe_next(request)})}")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            request.session.cycle_key()
            otp_login(request, device)
            return redirect(_safe_next(request))
        audit_record(action=AuditAction.MFA_FAILED, request=request)
        form.add_error("token", _("That code did not work. Wait for a new one and try again."))
    return render(
        request,
        "admin/mfa/verify.html",
        _context(request, title=_("Two-factor sign-in"), form=form, next=_safe_next(request)),
    )


@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def staff_invitation(request, token):
    """Choose a password from a staff invitation, then set up the second factor.

    The link is spent when the password is saved; the colleague is signed in and sent to
    set up the authenticator app, then on to the admin's home.
    """
    check = login_link_check(token=token, purpose=LoginLinkPurpose.STAFF_INVITATION)
    if not check.ok:
        return _invitation_problem(request, check.problem)
    user = check.link.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not check.link.use():
            problem = login_link_check(token=token, purpose=check.link.purpose).problem
            return _invitation_problem(request, problem)
        form.save()
        login(request, user, backend="clinic.auth.RoleBackend")
        audit_record(action=AuditAction.INVITE_ACCEPT, request=request, obj=user.staff)
        return redirect(f"{reverse('mfa_setup')}?{urlencode({'next': reverse('admin:index')})}")
    return render(
        request,
        "admin/staff_invitation.html",
        _context(request, title=_("Welcome to Flexion"), form=form, invitee=user),
    )


def _invitation_problem(request, problem):
    return render(
        request,
        "admin/staff_invitation_invalid.html",
        _context(request, title=_("This invitation no longer works"), problem=problem),
        status=404 if problem == "unknown" else 410,
    )


@require_safe
def healthz(request):
    """Liveness for a load balancer or docker-compose: the app answers and reaches its database.

    It reads nothing about anyone, so it needs no sign-in; the benchmark also uses it as
    the framework floor (the whole middleware stack plus one trivial query).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


class StaffLanguageForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]


@staff_login_required
def staff_language(request):
    """A staff member chooses the language of their own admin and emails."""
    _staff_only(request)
    form = StaffLanguageForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(request.user.language or settings.LANGUAGE_CODE)
        messages.success(request, _("Your language is saved."))
        return redirect("admin:index")
    context = _context(request, form=form, title=_("Your language"))
    return render(request, "admin/language.html", context, status=400 if form.errors else 200)
