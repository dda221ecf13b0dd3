from rest_framework import throttling
from rest_framework.settings import api_settings

from clinic.models import ApiToken


class _RatesFromSettings:
    # DRF binds the rates when the class is defined; reading them per request lets
    # settings (and tests) change them.
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    pass


class UserOrTokenThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """One budget per token (scope ``token``) or per logged-in user (scope ``user``)."""

    def allow_request(self, request, view):
        self.scope = "token" if isinstance(request.auth, ApiToken) else "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
