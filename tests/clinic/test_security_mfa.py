import datetime
from binascii import unhexlify

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import flexion.settings as production_settings
from clinic import mfa
from clinic.models import AuditAction, AuditEvent
from clinic.views import SETUP_KEY_SESSION
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_mfa_required")]

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def code_for(key: str) -> str:
    return f"{totp(unhexlify(key)):06d}"


def password_sign_in(client, email):
    response = client.post(
        reverse("admin:login"), {"username": email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    return client.get("/admin/")


def enrol(client, user):
    """Sign in with the password and set up an app; return the app's secret and codes."""
    password_sign_in(client, user.email)
    client.get(reverse("mfa_setup"))
    key = client.session[SETUP_KEY_SESSION]
    page = client.post(reverse("mfa_setup"), {"token": code_for(key)})
    return key, page.context["codes"]


def test_staff_mfa_is_required_by_default_in_the_settings():
    assert production_settings.FLEXION_REQUIRE_STAFF_MFA is True


def test_a_first_sign_in_leads_staff_to_set_up_an_authenticator_app(client, alice):
    response = password_sign_in(client, alice.email)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_verify"))
    setup = client.get(response.url, follow=True)
    assert setup.redirect_chain[-1][0].startswith(reverse("mfa_setup"))
    assert 'src="data:image/svg+xml;base64,' in setup.text
    key = client.session[SETUP_KEY_SESSION]
    assert mfa.secret_for_typing(key) in setup.text
    assert "otpauth://totp/Flexion%3Aalice%40a.example" in mfa.otpauth_uri(user=alice, key=key)


def test_a_wrong_code_sets_nothing_up(client, alice):
    password_sign_in(client, alice.email)
    client.get(reverse("mfa_setup"))
    response = client.post(reverse("mfa_setup"), {"token": "000000"})
    assert "did not match" in response.text
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert client.get("/admin/").status_code == 302


def test_the_right_code_sets_up_the_app_and_shows_recovery_codes_once(client, alice):
    with time_machine.travel(NOW, tick=False):
        _key, codes = enrol(client, alice)
        assert len(codes) == mfa.RECOVERY_CODE_COUNT
        assert TOTPDevice.objects.get(user=alice).confirmed
        assert client.get("/admin/").status_code == 200
        assert AuditEvent.objects.filter(action=AuditAction.MFA_ENROLLED, actor=alice).exists()
        assert client.get(reverse("mfa_setup")).status_code == 302


def test_unverified_staff_reach_no_page_at_all(client, alice):
    password_sign_in(client, alice.email)
    for url in (
        reverse("admin:patients_patient_changelist"),
        reverse("admin:index"),
        reverse("patients:home"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("mfa_verify")), url


def test_at_the_next_sign_in_a_code_from_the_app_is_asked_for(client, alice):
    with time_machine.travel(NOW, tick=False) as clock:
        key, _codes = enrol(client, alice)
        client.post(reverse("admin:logout"))
        password_sign_in(client, alice.email)
        assert client.get("/admin/").status_code == 302
        refused = client.post(reverse("mfa_verify"), {"token": "123456", "next": "/admin/"})
        assert "did not work" in refused.text
        assert AuditEvent.objects.filter(action=AuditAction.MFA_FAILED, actor=alice).exists()
        clock.shift(datetime.timedelta(seconds=60))
        accepted = client.post(reverse("mfa_verify"), {"token": code_for(key), "next": "/admin/"})
        assert accepted.status_code == 302
        assert accepted.url == "/admin/"
        assert client.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(client, alice):
    with time_machine.travel(NOW, tick=False):
        _key, codes = enrol(client, alice)
        for attempt in ("first", "second"):
            client.post(reverse("admin:logout"))
            password_sign_in(client, alice.email)
            client.post(reverse("mfa_verify"), {"token": codes[0]})
            verified = client.get("/admin/").status_code == 200
            assert verified is (attempt == "first")
    assert StaticToken.objects.filter(device__user=alice).count() == mfa.RECOVERY_CODE_COUNT - 1


def test_the_password_alone_cannot_replace_an_enrolled_app(client, alice):
    with time_machine.travel(NOW, tick=False):
        key, _codes = enrol(client, alice)
        client.post(reverse("admin:logout"))
        password_sign_in(client, alice.email)
        assert client.get(reverse("mfa_setup")).url == reverse("mfa_verify")
        client.post(reverse("mfa_setup"), {"token": "000000"})
        assert TOTPDevice.objects.get(user=alice).key == key


def test_the_verify_page_never_redirects_to_another_site(client, alice):
    with time_machine.travel(NOW, tick=False) as clock:
        key, _codes = enrol(client, alice)
        client.post(reverse("admin:logout"))
        password_sign_in(client, alice.email)
        clock.shift(datetime.timedelta(seconds=60))
        response = client.post(
            reverse("mfa_verify"), {"token": code_for(key), "next": "https://evil.example/"}
        )
        assert response.url == reverse("admin:index")


def test_patients_are_not_asked_for_a_second_factor(client, carol):
    client.force_login(carol.user)
    assert client.get(reverse("patients:home")).status_code == 200


def verified_login(client, user):
    """Sign a staff user in as if they had entered a code from their app."""
    client.force_login(user)
    mfa.recovery_codes_new(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaticDevice.objects.get(user=user).persistent_id
    session.save()


def test_a_clinic_admin_resets_a_colleagues_two_factor_and_ends_their_sessions(client, alice, alma):
    with time_machine.travel(NOW, tick=False):
        enrol(client, alice)
        assert client.get("/admin/").status_code == 200
        admin_client = Client()
        verified_login(admin_client, alma)
        response = admin_client.post(
            reverse("admin:clinic_staffmember_changelist"),
            {"action": "reset_two_factor", "_selected_action": [alice.staff.pk]},
        )
        assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RESET, actor=alma).exists()


def test_a_therapist_is_not_offered_the_reset(client, alice):
    verified_login(client, alice)
    response = client.get(reverse("admin:clinic_staffmember_changelist"))
    assert response.status_code == 200
    assert "reset_two_factor" not in response.text
