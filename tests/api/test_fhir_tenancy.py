"""Walk every FHIR interaction as clinic A (its token) against clinic B's ids, and as
patient carol against erin's and clinic B's: a read or $everything answers 404 exactly as
for an id that does not exist, a search finds nothing, and the attempt is audited.

The resource ids come from the registry and the interactions from the URL patterns, so a
new resource type, source or route cannot slip through untested.
"""

import pytest

from api.fhir import urls
from api.fhir.registry import REGISTRY
from clinic.models import AuditAction, AuditEvent

from .conftest import client_logged_in
from .fhir_world import full_record

ROUTES = {"base", "metadata", "codesystem", "patient-everything", "search", "read", None}
PUBLIC = {"base", "metadata", "codesystem", None}  # no data: the same for everyone


def test_every_route_is_walked_here():
    assert {pattern.name for pattern in urls.urlpatterns} == ROUTES


def foreign_ids(record: dict, clinic, therapist) -> dict[str, list[str]]:
    """Every resource id of the foreign side, per type (one per source)."""
    ids: dict[str, list[str]] = {name: [] for name in REGISTRY}
    rows = {
        "Patient": [record["patient"]],
        "Practitioner": [therapist] if therapist else [],
        "Organization": [clinic],
        "CarePlan": [record["assignment"]],
        "ServiceRequest": [record["item"]],
        "Goal": [record["assignment"]],
        "Observation": [record["session"], record["log"], record["log"], record["checkin"]],
        # The clinic's own questionnaire (the shared ones are every clinic's to read).
        "Questionnaire": [record["own_questionnaire"]],
        "QuestionnaireResponse": [record["own_response"]],
    }
    assert set(rows) == set(REGISTRY), "a new resource type needs its foreign rows here"
    for name, resource_type in REGISTRY.items():
        found = rows[name]
        if not found:
            continue
        assert len(found) == len(resource_type.sources)
        ids[name] = [
            source.resource_id(row.pk)
            for source, row in zip(resource_type.sources, found, strict=True)
        ]
    return ids


def missing_id(resource_id: str) -> str:
    prefix = resource_id.rsplit("-", 1)[0] + "-" if "-" in resource_id else ""
    return f"{prefix}2000000000"


def leaks_of(client, foreign: dict[str, list[str]], patient_pk: int) -> list[str]:
    leaks = []
    for name, resource_ids in foreign.items():
        for resource_id in resource_ids:
            answer = client.get(f"/fhir/R4/{name}/{resource_id}")
            missing = client.get(f"/fhir/R4/{name}/{missing_id(resource_id)}")
            if answer.status_code != 404 or missing.status_code != 404:
                leaks.append(f"read {name}/{resource_id}: {answer.status_code}")
            elif answer.json()["issue"][0]["code"] != missing.json()["issue"][0]["code"]:
                leaks.append(f"read {name}/{resource_id}: unlike a missing id")
            by_id = client.get(f"/fhir/R4/{name}", {"_id": resource_id})
            if by_id.status_code != 200 or by_id.json()["total"] != 0:
                leaks.append(f"search {name}?_id={resource_id}: {by_id.status_code}")
        if "patient" in REGISTRY[name].search:
            for param in ("patient", "subject"):
                found = client.get(f"/fhir/R4/{name}", {param: f"Patient/{patient_pk}"})
                if found.status_code != 200 or found.json()["total"] != 0:
                    leaks.append(f"search {name}?{param}: {found.status_code}")
        listed = client.get(f"/fhir/R4/{name}", {"_count": 200}).json()
        listed_ids = {entry["resource"]["id"] for entry in listed.get("entry", [])}
        if listed_ids & set(resource_ids):
            leaks.append(f"search {name}: lists a foreign resource")
    everything = client.get(f"/fhir/R4/Patient/{patient_pk}/$everything")
    if everything.status_code != 404:
        leaks.append(f"$everything: {everything.status_code}")
    for resource_id in ("2000000000", "abc", "-1", "1.5", "9" * 30):
        response = client.get(f"/fhir/R4/Patient/{resource_id}/$everything")
        if response.status_code != 404:
            leaks.append(f"$everything of {resource_id!r}: {response.status_code}")
    return leaks


@pytest.fixture
def clinic_b_record(dave, bob):
    return full_record(dave, bob.staff)


def test_clinic_a_reaches_nothing_of_clinic_b(clinic_a_api, clinic_b_record, clinic_b, bob, carol):
    full_record(carol, None)  # clinic A's own rows exist too
    foreign = foreign_ids(clinic_b_record, clinic_b, bob.staff)

    assert leaks_of(clinic_a_api, foreign, clinic_b_record["patient"].pk) == []
    # Organization and Practitioner of clinic B are not listed either.
    organizations = clinic_a_api.get("/fhir/R4/Organization").json()
    assert [e["resource"]["name"] for e in organizations["entry"]] == ["Clinic A"]
    practitioners = clinic_a_api.get("/fhir/R4/Practitioner").json()
    assert "Bob" not in str(practitioners)


def test_carol_reaches_nothing_of_erin_nor_of_clinic_b(
    carol, erin, dave, alice, clinic_a, clinic_b_record, clinic_b, bob
):
    full_record(carol, alice.staff)
    erins = full_record(erin, alice.staff)
    carol_api = client_logged_in(carol.user)

    assert leaks_of(carol_api, foreign_ids(erins, clinic_a, None), erin.pk) == []
    assert leaks_of(carol_api, foreign_ids(clinic_b_record, clinic_b, bob.staff), dave.pk) == []
    # Her own record she may read.
    assert carol_api.get(f"/fhir/R4/Patient/{carol.pk}/$everything").status_code == 200


def test_opening_another_clinics_resource_is_audited_as_denied(clinic_a_api, clinic_b_record, alma):
    session = clinic_b_record["session"]

    clinic_a_api.get(f"/fhir/R4/Observation/session-{session.pk}")
    clinic_a_api.get(f"/fhir/R4/Patient/{clinic_b_record['patient'].pk}/$everything")

    denied = AuditEvent.objects.filter(action=AuditAction.DENIED).order_by("pk")
    assert [(event.object_type, event.object_id) for event in denied] == [
        ("patients.session", str(session.pk)),
        ("patients.patient", str(clinic_b_record["patient"].pk)),
    ]
    assert {event.clinic_id for event in denied} == {alma.staff.clinic_id}
