import json

import pytest
from django.urls import reverse

from .test_settings import PRODUCTION_ENV, run_manage

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, set[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = set(values)
    return parsed


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_every_page_has_a_strict_content_security_policy(client, url):
    policy = directives(client.get(url))
    assert policy["default-src"] == {"'self'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["base-uri"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["form-action"] == {"'self'"}
    assert policy["frame-src"] == {"https://www.youtube-nocookie.com", "https://player.vimeo.com"}
    assert policy["img-src"] == {"'self'", "data:", "https://i.ytimg.com"}


def test_pages_with_patient_data_are_never_stored(client, alice, carol):
    client.force_login(alice)
    response = client.get(reverse("admin:patients_patient_change", args=[carol.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    client.force_login(carol.user)
    assert "no-store" in client.get(reverse("patients:home"))["Cache-Control"]


def test_even_anonymous_pages_are_not_stored(client):
    assert "no-store" in client.get(reverse("patients:login"))["Cache-Control"]


def test_pages_may_not_be_framed_and_types_are_not_sniffed(client):
    response = client.get(reverse("patients:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_cookies_and_transport_are_locked_down():
    names = [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "FLEXION_REQUIRE_STAFF_MFA",
        "AXES_ENABLED",
    ]
    result = run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))",
        env=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 60 * 60 * 24 * 365,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "FLEXION_REQUIRE_STAFF_MFA": True,
        "AXES_ENABLED": True,
    }
