"""Hypothesis throws arbitrary input at the main forms: no error page, bad input refused
with a message and nothing written, good input saved exactly as given."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.mfa import recovery_codes_new
from clinic.models import StaffMember, User
from patients.models import Patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("login_lockout")]

fuzz = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_text = st.text(max_size=400)
emailish = st.one_of(
    st.emails(),
    any_text,
    st.builds(lambda name: f"{name}@a.example", st.text(min_size=1, max_size=300)),
)
timezones = st.one_of(st.sampled_from(["UTC", "Europe/London", "America/New_York"]), any_text)


def rows():
    return (User.objects.count(), Patient.objects.count(), StaffMember.objects.count())


@fuzz
@given(username=st.one_of(emailish, any_text), password=any_text)
def test_the_patient_login_form_refuses_garbage_calmly(client, carol, username, password):
    before = rows()
    response = client.post(reverse("patients:login"), {"username": username, "password": password})
    assert response.status_code in (200, 429)
    if response.status_code == 200:
        assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert rows() == before


@fuzz
@given(
    data=st.fixed_dictionaries(
        {
            "first_name": any_text,
            "last_name": any_text,
            "email": emailish,
            "timezone": timezones,
            "therapist": st.one_of(st.just(""), any_text, st.integers().map(str)),
        },
        optional={"reminder_consent": st.sampled_from(["on", "", "yes", "\x00"])},
    )
)
def test_the_patient_admin_form_saves_good_input_and_refuses_bad(client, alice, data):
    client.force_login(alice)
    before = Patient.objects.count()
    response = client.post(reverse("admin:patients_patient_add"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "errornote" in response.text
        assert Patient.objects.count() == before
    else:
        created = Patient.objects.latest("pk")
        assert created.first_name == data["first_name"].strip()
        assert created.clinic == alice.staff.clinic
        assert Patient.objects.count() == before + 1


@fuzz
@given(
    data=st.fixed_dictionaries(
        {
            "email": emailish,
            "full_name": any_text,
            "role": st.one_of(st.sampled_from(["therapist", "clinic_admin"]), any_text),
        },
        optional={"is_active": st.sampled_from(["on", ""])},
    )
)
def test_the_staff_form_saves_good_input_and_refuses_bad(client, alma, data):
    client.force_login(alma)
    before = rows()
    response = client.post(reverse("admin:clinic_staffmember_add"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "errornote" in response.text
        assert rows() == before
    else:
        created = StaffMember.objects.latest("pk")
        assert created.clinic == alma.staff.clinic
        assert created.user.email == data["email"].strip().lower()
        assert not created.user.has_usable_password()


def test_a_duplicate_patient_email_is_a_message_on_the_form_not_an_error_page(client, alice, carol):
    client.force_login(alice)
    response = client.post(
        reverse("admin:patients_patient_add"),
        {"first_name": "Other", "email": carol.email, "timezone": "UTC"},
    )
    assert response.status_code == 200
    assert "errornote" in response.text
    assert Patient.objects.filter(email=carol.email).count() == 1


@fuzz
@given(token=st.one_of(any_text, st.integers().map(str), st.text("0123456789 ", max_size=12)))
def test_the_two_factor_form_refuses_any_guess_calmly(client, alice, staff_mfa_required, token):
    recovery_codes_new(user=alice)
    client.force_login(alice)
    response = client.post(reverse("mfa_verify"), {"token": token, "next": "/admin/"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/admin/").status_code == 302
