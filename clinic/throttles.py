"""How often one client or one email address may do something, whichever web worker answers.

Counters live in the default cache: Redis when ``REDIS_URL`` is set, so every gunicorn
worker counts against one budget. The rates are ``settings.FLEXION_RATES``. A counter
is named by a keyed hash of what it counts (an address, an email), never the value
itself, so the cache holds no personal data.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .security import client_ip


def rate_limit_hit(scope: str, key: str) -> int | None:
    """Count one event of ``key`` in ``scope``; return the seconds to wait if over the limit.

    A sliding window: this window's count plus the previous window's, weighted by how much
    of it still overlaps the last period, so a burst across a window's edge is not let
    through twice. Refused events count too: a flood stays refused.
    """
    count, period = settings.FLEXION_RATES[scope]
    now = time.time()
    window, elapsed = divmod(now, period)
    digest = salted_hmac("flexion.throttles", f"{scope}:{key}").hexdigest()[:32]
    current, previous = (f"rate:{scope}:{digest}:{int(window) - back}" for back in (0, 1))
    cache.add(current, 0, timeout=2 * period + 1)
    try:
        used = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout=2 * period + 1)
        used = 1
    before = cache.get(previous) or 0
    if used + before * (1 - elapsed / period) > count:
        return max(1, math.ceil(period - elapsed))
    return None


def account_email_allowed(email: str) -> bool:
    """Count one account email (sign-in link, password reset, invitation) to this address.

    Counted whether or not the address belongs to anyone, so what a caller sees never
    tells the two apart.
    """
    return rate_limit_hit("account_email", email.strip().lower()) is None


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


class AnonymousWriteThrottleMiddleware:
    """Refuse, per client address and endpoint, more POSTs than the rate allows from visitors
    who are not signed in: sign-in, sign-in links, password reset, the links in emails, and
    every such page added later. The API has DRF's throttles, on the same shared cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "POST"
            and not request.user.is_authenticated
            and not request.path_info.startswith("/api/")
        ):
            try:
                endpoint = resolve(request.path_info).view_name
            except Resolver404:
                endpoint = "unknown"
            wait = rate_limit_hit("anonymous_write", f"{endpoint}:{client_ip(request)}")
            if wait is not None:
                return too_many_requests(request, wait)
        return self.get_response(request)


def too_many_requests(request, wait: int):
    """The page of a refused request: what happened and how long to wait (429)."""
    minutes = _minutes(wait)
    message = _(
        "Too many attempts from your connection. Nothing was sent or changed. "
        "Please try again in %(minutes)d minutes."
    ) % {"minutes": minutes}
    response = render(request, "throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response
