"""API tokens: issued by a clinic admin in the admin, shown once, stored hashed, revocable."""

import re

from django.core.management import call_command

from clinic.models import ApiToken, Role
from clinic.tokens import api_token_issue, key_hash

from .conftest import client_with_token


def test_a_token_is_stored_only_as_a_hash(alma):
    token, key = api_token_issue(
        clinic=alma.staff.clinic, name="EHR", role=Role.THERAPIST, created_by=alma
    )
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert key not in str(stored)
    assert stored["key_hash"] == key_hash(key)
    assert key.startswith(token.prefix)


def test_a_token_acts_for_its_clinic_with_its_role(alma, rows_of_clinic_a):
    _token, key = api_token_issue(
        clinic=alma.staff.clinic, name="Read-only sync", role=Role.THERAPIST, created_by=alma
    )
    client = client_with_token(key)
    assert client.get("/api/v1/patients/").json()["count"] == 1
    # A therapist may not delete patients; a clinic admin may.
    patient = rows_of_clinic_a["patient"]
    assert client.delete(f"/api/v1/patients/{patient.pk}/").status_code == 403


def test_a_revoked_token_is_refused(alma, rows_of_clinic_a):
    token, key = api_token_issue(
        clinic=alma.staff.clinic, name="Old sync", role=Role.CLINIC_ADMIN, created_by=alma
    )
    client = client_with_token(key)
    assert client.get("/api/v1/patients/").status_code == 200
    token.revoke()
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "authentication_failed"


def test_a_wrong_key_and_no_key_are_refused_with_401(db):
    assert client_with_token("flx_not-a-key").get("/api/v1/exercises/").status_code == 401
    assert client_with_token("").get("/api/v1/exercises/").status_code == 401


def test_a_clinic_admin_issues_a_token_in_the_admin_and_sees_the_key_once(alma, client):
    client.force_login(alma)
    response = client.post(
        "/admin/clinic/apitoken/add/", {"name": "Billing", "role": "therapist"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Billing")
    shown = [str(message) for message in response.context["messages"]]
    key = re.search(r"flx_\S+", " ".join(shown)).group(0)
    assert key_hash(key) == token.key_hash
    assert token.clinic == alma.staff.clinic and token.user.staff.role == Role.THERAPIST
    page = client.get(f"/admin/clinic/apitoken/{token.pk}/change/").content.decode()
    assert key not in page


def test_a_clinic_admin_revokes_tokens_in_the_admin(alma, client, token_of_clinic_a):
    token, key = token_of_clinic_a
    client.force_login(alma)
    client.post(
        "/admin/clinic/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client_with_token(key).get("/api/v1/exercises/").status_code == 401


def test_a_therapist_cannot_manage_tokens(alice, client):
    client.force_login(alice)
    assert client.get("/admin/clinic/apitoken/add/").status_code == 403


def test_token_logins_are_not_listed_as_colleagues(alma, client, token_of_clinic_a):
    client.force_login(alma)
    page = client.get("/admin/clinic/staffmember/").content.decode()
    assert "API token: EHR sync" not in page
    assert "Alma" in page


def test_the_schema_validates_without_warnings(db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
