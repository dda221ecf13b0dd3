"""The admin and the sign-in pages work in a real browser under the Content-Security-Policy."""

import base64
from binascii import unhexlify
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def page(browser_context):
    page = browser_context().new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def admin_sign_in(page, live_server, email):
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_the_admin_runs_without_a_single_csp_violation(page, live_server, alma, carol):
    ARTIFACTS.mkdir(exist_ok=True)
    admin_sign_in(page, live_server, alma.email)
    for name, url in [
        ("index", reverse("admin:index")),
        ("patients", reverse("admin:patients_patient_changelist")),
        ("patient", reverse("admin:patients_patient_change", args=[carol.pk])),
        ("patient-add", reverse("admin:patients_patient_add")),
        ("staff", reverse("admin:clinic_staffmember_changelist")),
        ("audit", reverse("admin:clinic_auditevent_changelist")),
    ]:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=ARTIFACTS / f"security-admin-{name}.png", full_page=True)
    # The admin's own JavaScript ran: the "select all" box of the action bar works.
    page.goto(f"{live_server.url}{reverse('admin:patients_patient_changelist')}")
    page.check("#action-toggle")
    assert page.is_checked(f"input[name=_selected_action][value='{carol.pk}']")
    assert page.csp_violations == []
    # And the policy is really enforced: an injected inline script is refused.
    page.evaluate(
        """() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.injected") is None
    assert any("inline script" in violation for violation in page.csp_violations)


def test_staff_enrol_their_phone_in_the_browser(page, live_server, alice, settings):
    settings.FLEXION_REQUIRE_STAFF_MFA = True
    ARTIFACTS.mkdir(exist_ok=True)
    admin_sign_in(page, live_server, alice.email)
    page.wait_for_url("**/admin/mfa/setup/**")
    page.screenshot(path=ARTIFACTS / "security-mfa-setup.png", full_page=True)
    assert page.locator("img.mfa-qr").evaluate("img => img.naturalWidth") > 0
    secret = page.inner_text("code.mfa-secret").replace(" ", "")
    key = base64.b32decode(secret).hex()
    page.fill("#id_token", f"{totp(unhexlify(key)):06d}")
    page.click("input[type=submit]")
    page.wait_for_selector("ul.mfa-codes")
    page.screenshot(path=ARTIFACTS / "security-mfa-codes.png", full_page=True)
    assert page.locator("ul.mfa-codes li").count() == 10
    page.click("text=I have saved them")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert page.csp_violations == []


def test_the_patient_sign_in_runs_without_csp_violations(page, live_server, carol):
    page.goto(f"{live_server.url}{reverse('patients:login')}")
    page.fill("#id_username", carol.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.csp_violations == []
