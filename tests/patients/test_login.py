import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_patient_signs_in_on_the_patient_site(client, carol):
    response = client.post(
        reverse("patients:login"), {"username": "carol@a.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("patients:home")).status_code == 200


def test_the_patient_site_refuses_staff_logins(client, alice):
    response = client.post(
        reverse("patients:login"), {"username": "alice@a.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Clinic staff sign in at /admin/" in response.text
    assert "_auth_user_id" not in client.session


def test_a_patient_cannot_sign_in_to_the_admin(client, carol):
    response = client.post(
        reverse("admin:login"), {"username": "carol@a.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_therapist_signs_in_to_the_admin(client, alice):
    response = client.post(
        reverse("admin:login"),
        {"username": "alice@a.example", "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_patient_home_page_requires_a_patient(client, alice):
    assert client.get(reverse("patients:home")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("patients:home")).status_code == 403


def test_sign_out_is_a_post(client, carol):
    client.force_login(carol.user)
    assert client.get(reverse("patients:logout")).status_code == 405
    client.post(reverse("patients:logout"))
    assert "_auth_user_id" not in client.session


def test_a_patient_resets_a_forgotten_password_by_email(client, carol, after_commit):
    with after_commit():
        client.post(reverse("password_reset"), {"email": "carol@a.example"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@a.example"]
    link = re.search(r"https?://[^/]+(/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    carol.user.refresh_from_db()
    assert carol.user.check_password("a brand new passphrase")
    reused = client.get(link, follow=True)
    assert "This link no longer works" in reused.text


def test_the_admin_login_offers_a_password_reset(client):
    assert reverse("admin_password_reset") in client.get(reverse("admin:login")).text
