import pytest
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice

from clinic.mfa import recovery_codes_new
from clinic.models import Clinic, StaffMember, User
from patients.demo import DEMO_PASSWORD
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert Clinic.objects.filter(slug="demo").count() == 1
    assert StaffMember.objects.filter(clinic__slug="demo").count() == 2
    assert Patient.objects.filter(clinic__slug="demo", user__isnull=False).count() == 2
    for email in ("therapist@", "admin@", "patient1@", "patient2@"):
        assert email in output
    assert DEMO_PASSWORD in output


def test_the_demo_logins_work(client):
    call_command("seed_demo")
    assert client.login(username="therapist@demo.flexion.test", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    user = User.objects.get(email="patient1@demo.flexion.test")
    assert not user.is_staff
    client.logout()
    response = client.post(
        "/login/", {"username": "patient1@demo.flexion.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_seeding_again_lets_demo_staff_set_up_two_factor_afresh(client, staff_mfa_required):
    call_command("seed_demo")
    therapist = User.objects.get(email="therapist@demo.flexion.test")
    recovery_codes_new(user=therapist)
    call_command("seed_demo")
    assert not StaticDevice.objects.filter(user=therapist).exists()
    response = client.post(
        "/admin/login/",
        {"username": therapist.email, "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert (
        client.get(response.url, follow=True).redirect_chain[-1][0].startswith("/admin/mfa/setup/")
    )
