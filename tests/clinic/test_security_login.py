import datetime

import pytest
import time_machine
from django.contrib.auth import password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.urls import reverse

import flexion.settings as production_settings
from clinic.models import AuditAction, AuditEvent
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("login_lockout")]

WRONG = "not-the-password"


def sign_in(client, email, password, *, ip="203.0.113.7", url=None):
    return client.post(
        url or reverse("patients:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(client, email, **kwargs):
    for _ in range(production_settings.AXES_FAILURE_LIMIT):
        sign_in(client, email, WRONG, **kwargs)


def test_a_login_after_the_lockout_threshold_is_refused_even_with_the_right_password(client, carol):
    fail_until_locked(client, "carol@a.example")
    response = sign_in(client, "carol@a.example", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert not signed_in(client)


def test_another_user_from_the_same_address_is_unaffected(client, carol, erin):
    fail_until_locked(client, "carol@a.example")
    assert sign_in(client, "erin@a.example", PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_same_user_from_another_address_is_unaffected(client, carol):
    fail_until_locked(client, "carol@a.example", ip="203.0.113.7")
    assert sign_in(client, "carol@a.example", PASSWORD, ip="198.51.100.9").status_code == 302


def test_the_lockout_counts_an_email_whatever_its_case(client, carol):
    for _ in range(production_settings.AXES_FAILURE_LIMIT):
        sign_in(client, "Carol@A.example", WRONG)
    assert sign_in(client, "carol@a.example", PASSWORD).status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, carol):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)) as clock:
        fail_until_locked(client, "carol@a.example")
        assert sign_in(client, "carol@a.example", PASSWORD).status_code == 429
        clock.shift(production_settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1))
        assert sign_in(client, "carol@a.example", PASSWORD).status_code == 302


def test_the_admin_login_is_protected_too(client, alice):
    fail_until_locked(client, "alice@a.example", url=reverse("admin:login"))
    response = sign_in(client, "alice@a.example", PASSWORD, url=reverse("admin:login"))
    assert response.status_code == 429
    assert not signed_in(client)


def test_failed_logins_and_the_lockout_are_in_the_audit_trail_of_the_users_clinic(
    client, carol, clinic_a
):
    fail_until_locked(client, "carol@a.example")
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == production_settings.AXES_FAILURE_LIMIT
    assert {event.clinic_id for event in failed} == {clinic_a.pk}
    assert failed.first().extra["account_ids"] == [carol.user.pk]
    assert "carol@a.example" not in str(failed.first().extra)
    assert failed.first().ip == "203.0.113.7"
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, clinic=clinic_a).exists()


def test_a_successful_login_is_in_the_audit_trail(client, carol):
    sign_in(client, "carol@a.example", PASSWORD)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == carol.user
    assert event.actor_repr == f"patient #{carol.pk}"
    assert event.clinic == carol.clinic


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(client, carol, settings):
    settings.FLEXION_TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("patients:login"),
        {"username": "carol@a.example", "password": WRONG},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50",
    )
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip == "203.0.113.50"


def test_without_a_trusted_proxy_a_forged_forwarded_address_is_ignored(client, carol):
    client.post(
        reverse("patients:login"),
        {"username": "carol@a.example", "password": WRONG},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip == "203.0.113.7"


@pytest.mark.parametrize(
    "password,reason",
    [
        ("short-pass1", "too short"),
        ("1qaz2wsx3edc", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(carol, password, reason):
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password, carol.user)
    assert reason in " ".join(refused.value.messages)


def test_a_passphrase_of_a_hundred_characters_is_accepted_and_works(client, carol, settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    passphrase = "correct horse battery staple " * 3 + "and a very long tail ending here"
    assert len(passphrase) >= 100
    form = SetPasswordForm(carol.user, {"new_password1": passphrase, "new_password2": passphrase})
    assert form.is_valid(), form.errors
    form.save()
    assert sign_in(client, "carol@a.example", passphrase).status_code == 302


def test_passwords_are_hashed_with_argon2_and_old_hashes_are_upgraded_at_login(
    client, carol, settings
):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        *production_settings.PASSWORD_HASHERS,
    ]
    carol.user.set_password(PASSWORD)
    carol.user.save()
    assert identify_hasher(carol.user.password).algorithm == "pbkdf2_sha256"
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    assert sign_in(client, "carol@a.example", PASSWORD).status_code == 302
    carol.user.refresh_from_db()
    assert identify_hasher(carol.user.password).algorithm == "argon2"
