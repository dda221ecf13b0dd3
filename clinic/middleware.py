"""Request-wide security rules: session limits, staff two-factor, no caching, refused access."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import AuditAction
from .security import session_limits

SESSION_STARTED_KEY = "flexion_session_started"
SESSION_SEEN_KEY = "flexion_session_seen"
# The last-seen time is written at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 30


def session_clocks_restart(sender, request, user, **kwargs) -> None:
    """Start the idle and absolute clocks again at each sign-in.

    Django keeps a session's data when the same user signs in again, which would
    otherwise carry an expired start time into the new sign-in.
    """
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_SEEN_KEY] = now


def _login_url_for(request) -> str:
    return reverse("admin:login") if request.path.startswith("/admin/") else settings.LOGIN_URL


class SessionTimeoutMiddleware:
    """End a session that has been idle too long or has lived too long, whatever its cookie says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            limits = session_limits(request.user)
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            seen = request.session.get(SESSION_SEEN_KEY, now)
            if (
                now - seen > limits.idle.total_seconds()
                or now - started > limits.absolute.total_seconds()
            ):
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect_to_login(request.get_full_path(), _login_url_for(request))
            if now - seen >= SEEN_RESOLUTION_SECONDS or SESSION_SEEN_KEY not in request.session:
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


def staff_mfa_pending(user) -> bool:
    """Whether this user is staff who has not yet passed two-factor login in this session."""
    return (
        settings.FLEXION_REQUIRE_STAFF_MFA
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
        and not user.is_verified()
    )


class StaffMFAMiddleware:
    """Send staff who signed in with a password only to enrol or enter their second factor.

    Applies to every page, not only the admin, so that no view is reachable half-signed-in.
    """

    exempt_url_names = ("mfa_setup", "mfa_verify", "admin:logout", "patients:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if staff_mfa_pending(request.user) and not self._is_exempt(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_verify')}?{query}")
        return self.get_response(request)

    def _is_exempt(self, request) -> bool:
        exempt = {reverse(name) for name in self.exempt_url_names}
        return request.path in exempt or request.path.startswith(settings.STATIC_URL)


class NoStoreMiddleware:
    """Forbid browsers and proxies to keep any page: pages show health data.

    Static files never get here (WhiteNoise answers them first) and stay cacheable, and so
    does a response marked ``private_cacheable`` (an exercise picture: library data, no
    health data, and never changed at its address), which keeps its own private header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "private_cacheable", False):
            add_never_cache_headers(response)
        return response


class AuditFailedAuthorisationMiddleware:
    """Record every refused request (403) in the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            audit_record(
                action=AuditAction.DENIED,
                request=request,
                extra={"path": request.path[:500], "method": request.method},
            )
        return response


class PersonLanguageMiddleware:
    """Speak a signed-in person's own language, over the browser's Accept-Language.

    Runs after Django's LocaleMiddleware (which chose from the browser) and after the login
    is known. A patient's language is on their record; a staff member's is their own choice,
    empty to follow the browser. The patient record is the one the patient site loads anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        language = user.reading_language if user.is_authenticated else None
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
