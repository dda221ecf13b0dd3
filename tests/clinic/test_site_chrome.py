"""What every page carries: the favicon, a way home for staff, password hints from the rules."""

import re

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from clinic.login_links import login_link_create
from clinic.models import LoginLinkPurpose

pytestmark = pytest.mark.django_db

FAVICON_LINK = '<link rel="icon" href="/favicon.ico"'


def test_the_favicon_is_served_at_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.parametrize(
    "url", [reverse("patients:login"), reverse("admin:login"), reverse("password_reset")]
)
def test_every_base_template_links_the_favicon(client, url):
    assert FAVICON_LINK in client.get(url).text


def test_the_admin_and_the_printable_report_link_the_favicon(client, alma):
    client.force_login(alma)
    assert FAVICON_LINK in client.get(reverse("admin:index")).text
    printable = client.post(
        reverse("admin:reports_adherencereport_print"), {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert FAVICON_LINK in printable.text


def test_the_admin_offers_no_view_site_link_that_would_refuse_staff(client, alice):
    client.force_login(alice)
    page = client.get(reverse("admin:index")).text
    assert "View site" not in page


def hints_in(page: str) -> None:
    for hint in password_validators_help_texts():
        assert escape(hint) in page, hint


def test_the_patient_invitation_states_the_password_rules_that_are_enforced(client, carol):
    carol.user.set_unusable_password()
    carol.user.save()
    token = login_link_create(user=carol.user, purpose=LoginLinkPurpose.INVITATION)
    page = client.get(reverse("patients:invitation", args=[token])).text
    hints_in(page)
    assert "12 characters" in page and "8 characters" not in page


def test_the_password_reset_page_states_the_password_rules(client, alice):
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    hints_in(response.text)


def test_the_staff_invitation_states_the_password_rules(client, alma, after_commit):
    client.force_login(alma)
    with after_commit():
        data = {"email": "gina@a.example", "full_name": "Gina", "role": "therapist"}
        client.post(reverse("admin:clinic_staffmember_add"), {**data, "is_active": "on"})
    client.logout()
    path = re.search(r"/admin/invitation/\S+/", mail.outbox[0].body).group(0)
    hints_in(client.get(path).text)
