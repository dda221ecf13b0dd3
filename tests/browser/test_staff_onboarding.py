"""A clinic admin invites a colleague, who gets in with a password and a second factor."""

import base64
import re
from binascii import unhexlify
from email.message import Message

import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from clinic import mfa
from tests.factories import PASSWORD
from tests.patients.reminders.realparts import SMTPServer, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1366, "height": 900}
NEW_PASSWORD = "a-colleague-chose-this-one"


@pytest.fixture
def smtp(settings):
    """The real SMTP server on loopback the app sends to; yields what it received."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server.inbox
    server.stop()


def text_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def code_for(secret: str) -> str:
    """The code an authenticator app shows now for the secret typed from the page."""
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key):06d}"


def test_a_clinic_admin_invites_a_colleague_who_sets_a_password_and_a_second_factor(
    live_server, new_page, shoot, alma, smtp, staff_mfa_required, celery_eager
):
    key = mfa.totp_key_new()
    mfa.mfa_enrol(user=alma, key=key, token=f"{totp(unhexlify(key)):06d}")

    admin = new_page(viewport=DESK)
    admin.goto(live_server.url + reverse("admin:login"))
    admin.get_by_label("Email").fill(alma.email)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url("**/admin/mfa/verify/**")
    # The code of the next 30 s step: the one used at enrolment cannot be used twice.
    admin.get_by_label("Code").fill(f"{totp(unhexlify(key), t0=-30):06d}")
    admin.get_by_role("button", name="Continue").click()
    admin.wait_for_url(live_server.url + reverse("admin:index"))

    admin.goto(live_server.url + reverse("admin:clinic_staffmember_add"))
    admin.get_by_label("Email").fill("gina@a.example")
    admin.get_by_label("Full name").fill("Gina Green")
    admin.get_by_label("Role").select_option("therapist")
    shoot(admin, "staff-01-admin-adds-a-colleague")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("An invitation is on its way to gina@a.example.")).to_be_visible()
    expect(admin.get_by_role("cell", name="Invited")).to_be_visible()
    shoot(admin, "staff-02-invitation-sent")

    message = wait_for(lambda: smtp.messages and smtp.messages[0], 30, "the invitation email")
    assert message["To"] == "gina@a.example"
    assert message["Subject"] == "Clinic A invites you to Flexion"
    link = re.search(r"https?://\S+/admin/invitation/\S+/", text_of(message)).group(0)

    gina = new_page(viewport=DESK)
    gina.goto(live_server.url + "/" + link.split("/", 3)[3])
    expect(gina.get_by_text("Clinic A added gina@a.example")).to_be_visible()
    expect(gina.get_by_text("at least 12 characters")).to_be_visible()
    shoot(gina, "staff-03-colleague-chooses-a-password")
    gina.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    gina.get_by_label("Password again").fill(NEW_PASSWORD)
    gina.get_by_role("button", name="Save and continue").click()

    gina.wait_for_url("**/admin/mfa/setup/**")
    expect(gina.locator("img.mfa-qr")).to_be_visible()
    shoot(gina, "staff-04-colleague-sets-up-the-second-factor")
    gina.get_by_label("Code").fill(code_for(gina.locator("code.mfa-secret").inner_text()))
    gina.get_by_role("button", name="Set up").click()
    expect(gina.locator("ul.mfa-codes li")).to_have_count(mfa.RECOVERY_CODE_COUNT)
    shoot(gina, "staff-05-recovery-codes")
    gina.get_by_role("link", name="I have saved them: continue").click()

    gina.wait_for_url(live_server.url + reverse("admin:index"))
    expect(gina.locator("#user-tools")).to_contain_text("Gina")
    shoot(gina, "staff-06-colleague-on-the-admin-home")

    # The link worked once: opened again, it says so.
    gina.goto(live_server.url + "/" + link.split("/", 3)[3])
    expect(gina.get_by_text("It was used already")).to_be_visible()
    shoot(gina, "staff-07-the-link-again")
