"""The FHIR R4 interface: what it emits is valid R4, searches and pages find exactly the
right resources, errors are OperationOutcomes, every read is in the audit trail."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from api.fhir import codes
from api.fhir.registry import REGISTRY
from clinic.models import AuditAction, AuditEvent, Role
from clinic.tokens import api_token_issue
from patients.models import Session

from ..factories import PatientFactory
from .conftest import client_logged_in, client_with_token
from .fhir_world import full_record

FHIR_JSON = "application/fhir+json"


def validated(resource: dict) -> dict:
    """Parse the resource with fhir.resources' R4B models (R4's resources, unchanged for
    every type served here): any unknown element, wrong type, bad code or missing
    required element fails."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def entries(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def ids_of(bundle: dict) -> set[str]:
    return {f"{r['resourceType']}/{r['id']}" for r in entries(bundle)}


@pytest.fixture
def record(carol, alice):
    return full_record(carol, alice.staff)


@pytest.fixture
def fhir(clinic_a_api):
    """clinic A's integration, reading FHIR."""

    def get(path, params=None, **extra):
        response = clinic_a_api.get(f"/fhir/R4/{path}", params or {}, **extra)
        assert response["Content-Type"].startswith(FHIR_JSON), response.content
        return response

    return get


def test_everything_emits_valid_r4_of_every_source_of_every_type(fhir, record, carol):
    response = fhir(f"Patient/{carol.pk}/$everything")

    assert response.status_code == 200
    bundle = validated(response.json())
    resources = [validated(resource) for resource in entries(bundle)]
    emitted = {
        (r["resourceType"], r["id"].rsplit("-", 1)[0] if "-" in r["id"] else "") for r in resources
    }
    expected = {
        (name, source.id_prefix.rstrip("-"))
        for name, resource_type in REGISTRY.items()
        for source in resource_type.sources
    }
    assert emitted == expected
    assert bundle["total"] == len(resources) == len(ids_of(bundle))


def test_each_read_and_search_answers_valid_r4(fhir, record):
    for name in REGISTRY:
        bundle = validated(fhir(name).json())
        assert bundle["type"] == "searchset"
        assert entries(bundle), f"nothing found for {name}"
        for resource in entries(bundle):
            read = fhir(f"{name}/{resource['id']}")
            assert read.status_code == 200
            assert validated(read.json()) == resource


def test_metadata_the_code_system_and_errors_are_valid_r4(client, fhir):
    statement = client.get("/fhir/R4/metadata")
    assert statement.status_code == 200
    assert validated(statement.json())["fhirVersion"] == "4.0.1"
    served = {resource["type"] for resource in statement.json()["rest"][0]["resource"]}
    assert served == {*REGISTRY, "CodeSystem"}
    code_system = validated(client.get("/fhir/R4/CodeSystem/flexion").json())
    assert code_system["url"] == codes.FLEXION_SYSTEM
    assert {c["code"] for c in code_system["concept"]} == {c[0] for c in codes.FLEXION_CONCEPTS}
    for path, status in (("Observation?date=2026-13-01", 400), ("Nothing/1", 404)):
        response = fhir(path)
        assert response.status_code == status
        assert validated(response.json())["resourceType"] == "OperationOutcome"


def test_a_care_plan_is_the_assignment_under_the_physical_activity_category(fhir, record):
    assignment, item = record["assignment"], record["item"]

    plan = fhir(f"CarePlan/{assignment.pk}").json()
    request = fhir(f"ServiceRequest/{item.pk}").json()

    assert plan["category"][0]["coding"][0]["code"] == "PhysicalActivity"
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert {"reference": {"reference": f"ServiceRequest/{item.pk}"}} in plan["activity"]
    assert plan["goal"] == [{"reference": f"Goal/{assignment.pk}"}]
    # The patient's education text is escaped in the narrative.
    assert "&lt;b&gt;" not in plan["text"]["div"] and assignment.name in plan["text"]["div"]
    assert request["code"]["coding"][0] == codes.EXERCISE_THERAPY
    assert request["code"]["text"] == "Knee drops"
    repeat = request["occurrenceTiming"]["repeat"]
    assert repeat["dayOfWeek"] == ["mon", "wed", "fri"]
    assert repeat["periodUnit"] == "wk" and repeat["frequency"] >= 1
    assert "hold 5 s" in request["patientInstruction"] and "Slowly" in request["patientInstruction"]
    paused = fhir(f"CarePlan/{record['paused'].pk}").json()
    assert paused["status"] == "on-hold"


def test_observations_are_sessions_exercises_pain_and_check_ins(fhir, record, carol):
    session, log, checkin = record["session"], record["log"], record["checkin"]

    panel = fhir(f"Observation/session-{session.pk}").json()
    pain = fhir(f"Observation/pain-{log.pk}").json()
    answer = fhir(f"Observation/checkin-{checkin.pk}").json()
    skipped = fhir(f"Observation/exercise-{record['skipped'].pk}").json()
    in_progress = fhir(f"Observation/session-{record['in_progress'].pk}").json()

    assert panel["code"]["coding"][0]["code"] == "PAPanel"
    assert panel["effectiveDateTime"] == "2026-03-02" and panel["status"] == "final"
    assert {"reference": f"Observation/exercise-{log.pk}"} in panel["hasMember"]
    assert pain["code"]["coding"] == [codes.PAIN_SEVERITY] and pain["valueInteger"] == 4
    assert answer["valueCodeableConcept"]["coding"][0]["code"] == "sore"
    assert answer["effectiveDateTime"] == "2026-03-03"
    components = {c["code"]["coding"][0]["code"]: c for c in skipped["component"]}
    assert components["exercise-skipped"]["valueBoolean"] is True
    assert components["skip-reason"]["valueString"] == "Knee hurt"
    assert in_progress["status"] == "preliminary"
    # The skipped exercise has no pain score: no pain Observation.
    assert fhir(f"Observation/pain-{record['skipped'].pk}").status_code == 404


def test_search_by_patient_category_and_date(fhir, record, carol, clinic_a):
    other = PatientFactory(clinic=clinic_a)
    full_record(other, None)

    mine = fhir("Observation", {"patient": f"Patient/{carol.pk}", "_count": 200}).json()
    surveys = fhir("Observation", {"subject": carol.pk, "category": "survey"}).json()
    coded = fhir(
        "Observation",
        {"patient": carol.pk, "category": f"{codes.OBSERVATION_CATEGORY}|activity"},
    ).json()
    march_3 = fhir("Observation", {"patient": carol.pk, "date": "2026-03-03"}).json()
    from_march_3 = fhir("Observation", {"patient": carol.pk, "date": "ge2026-03-03"}).json()
    window = fhir(
        "Observation", [("patient", carol.pk), ("date", "gt2026-03-02"), ("date", "lt2026-03-04")]
    ).json()

    assert mine["total"] == 8 and all(
        r["subject"]["reference"] == f"Patient/{carol.pk}" for r in entries(mine)
    )
    assert {r["id"].split("-")[0] for r in entries(surveys)} == {"pain", "checkin"}
    assert {r["id"].split("-")[0] for r in entries(coded)} == {"session", "exercise"}
    assert ids_of(march_3) == {f"Observation/checkin-{record['checkin'].pk}"}
    assert {r["effectiveDateTime"] for r in entries(from_march_3)} == {"2026-03-03", "2026-03-04"}
    assert ids_of(window) == ids_of(march_3)
    assert (
        fhir("CarePlan", {"category": "PhysicalActivity", "patient": carol.pk}).json()["total"] == 2
    )
    assert fhir("CarePlan", {"category": "survey"}).json()["total"] == 0
    assert fhir("Goal", {"patient": carol.pk}).json()["total"] == 1  # the paused one has none


def test_last_updated_finds_what_changed_since(fhir, record, carol):
    Session.objects.filter(pk=record["session"].pk).update(
        completed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )

    old = fhir("Observation", {"_lastUpdated": "lt2021-01-01T00:00:00Z"}).json()
    recent = fhir("Observation", {"_lastUpdated": "ge2021", "category": "activity"}).json()

    assert ids_of(old) == {f"Observation/session-{record['session'].pk}"}
    assert f"Observation/session-{record['session'].pk}" not in ids_of(recent)


def test_a_changed_prescription_moves_the_service_requests_last_update(fhir, record):
    item = record["item"]
    before = fhir(f"ServiceRequest/{item.pk}").json()["meta"]["lastUpdated"]

    item.sets = 4
    item.save()

    after = fhir(f"ServiceRequest/{item.pk}").json()
    assert after["meta"]["lastUpdated"] > before
    assert after["patientInstruction"].startswith("4 sets")


def test_paging_follows_next_links_through_every_match_once(fhir, record):
    seen = []
    url = "Observation?_count=2"
    while url:
        bundle = fhir(url).json()
        assert len(entries(bundle)) <= 2
        seen += [f"Observation/{r['id']}" for r in entries(bundle)]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert links["self"]
        url = links.get("next", "").split("/fhir/R4/", 1)[-1] if "next" in links else None

    assert len(seen) == len(set(seen)) == bundle["total"] == 8


def test_a_huge_count_is_capped_and_a_zero_count_gives_the_total_only(fhir, record):
    huge = fhir("Observation", {"_count": "9" * 40}).json()
    zero = fhir("Observation", {"_count": "0"}).json()

    self_link = next(link["url"] for link in huge["link"] if link["relation"] == "self")
    assert parse_qs(urlsplit(self_link).query)["_count"] == ["200"]
    assert zero["total"] == 8 and "entry" not in zero


@pytest.mark.parametrize(
    "query",
    [
        "date=yesterday",
        "date=2026-02-30",
        "date=xx2026",
        "_lastUpdated=2026-03-02T10:00:00+25:00",
        "_count=-1",
        "_count=ten",
        "_offset=99999999999",
        "_count=" + "9" * 101,
        "patient=Practitioner/1",
        "patient=abc",
        "unknown=1",
        "patient:missing=true",
        "date=" + ",".join(["2026"] * 21),
        "_count=1&_count=2",
    ],
)
def test_a_search_the_server_cannot_read_is_refused_with_400(fhir, query):
    response = fhir(f"Observation?{query}")

    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "invalid"


def test_ids_that_name_nothing_find_nothing(fhir, record):
    for query in ("patient=99999999999999999999", "_id=session-0", "_id=nonsense", "date=9999"):
        response = fhir(f"Observation?{query}")
        assert response.status_code == 200 and response.json()["total"] == 0, query
    assert fhir("Observation?date=ge9999-12-31T23:59:59Z").json()["total"] == 0
    assert fhir("Observation?date=lt0001").json()["total"] == 0


def test_xml_is_not_acceptable(fhir):
    assert fhir("metadata?_format=xml").status_code == 406
    assert fhir("metadata", HTTP_ACCEPT="application/fhir+xml").status_code == 406
    assert fhir("metadata?_format=json").status_code == 200


def test_writes_are_not_supported(clinic_a_api, record):
    response = clinic_a_api.post("/fhir/R4/Patient", {"resourceType": "Patient"}, format="json")

    assert response.status_code == 405
    assert response.json()["issue"][0]["code"] == "not-supported"


def test_without_a_valid_token_the_answer_is_401(client, record, token_of_clinic_a):
    token, key = token_of_clinic_a
    anonymous = client.get("/fhir/R4/Patient")
    wrong = client_with_token("flx_not-a-key").get("/fhir/R4/Patient")
    token.revoke()
    revoked = client_with_token(key).get("/fhir/R4/Patient")

    for response in (anonymous, wrong, revoked):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["issue"][0]["code"] == "login"


def test_a_therapist_token_reads_and_a_patient_reads_only_their_own(
    clinic_a, alice, record, carol, erin
):
    _token, key = api_token_issue(
        clinic=clinic_a, name="EHR", role=Role.THERAPIST, created_by=alice
    )
    therapist = client_with_token(key)
    full_record(erin, None)

    assert therapist.get("/fhir/R4/Observation").json()["total"] == 16
    own = client_logged_in(carol.user).get("/fhir/R4/Observation").json()
    assert own["total"] == 8
    assert {r["subject"]["reference"] for r in entries(own)} == {f"Patient/{carol.pk}"}
    # A patient is no member of the clinic's staff: no Organization, no Practitioner.
    assert client_logged_in(carol.user).get("/fhir/R4/Practitioner").json()["total"] == 0


def test_practitioners_are_the_clinics_people_not_its_token_logins(fhir, record, alice, alma):
    names = {r["name"][0]["text"] for r in entries(fhir("Practitioner").json())}

    assert names == {"Alice", "Alma"}


def test_every_read_search_and_export_is_in_the_audit_trail(fhir, record, carol):
    log = record["log"]

    fhir(f"Observation/pain-{log.pk}")
    fhir("Observation", {"patient": carol.pk, "date": "2026-03-02"})
    fhir(f"Patient/{carol.pk}/$everything")

    events = list(AuditEvent.objects.order_by("pk"))
    read, search, export = events[-3:]
    assert (read.action, read.object_type, read.object_id) == (
        AuditAction.VIEW,
        "patients.exerciselog",
        str(log.pk),
    )
    assert read.extra == {"via": "fhir", "resource": f"Observation/pain-{log.pk}"}
    assert search.action == AuditAction.VIEW and search.patient_id == carol.pk
    assert search.extra["params"] == ["date", "patient"]
    assert "2026" not in str(search.extra)  # names of parameters, never their values
    assert (export.action, export.patient_id) == (AuditAction.EXPORT, carol.pk)
    assert export.extra["operation"] == "$everything"


def test_everything_can_be_limited_by_type_and_since(fhir, record, carol):
    plans = fhir(f"Patient/{carol.pk}/$everything", {"_type": "CarePlan,Goal"}).json()
    future = fhir(f"Patient/{carol.pk}/$everything", {"_since": "2999-01-01"}).json()

    assert {r["resourceType"] for r in entries(plans)} == {"CarePlan", "Goal"}
    assert future["total"] == 0
    assert fhir(f"Patient/{carol.pk}/$everything", {"_type": "Secret"}).status_code == 400
    assert fhir(f"Patient/{carol.pk}/$everything", {"start": "2026"}).status_code == 400


def add_patients(clinic, count: int) -> None:
    for _ in range(count):
        full_record(PatientFactory(clinic=clinic), None)


def queries(fhir, path: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as context:
        response = fhir(path, params)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_page_runs_as_many_queries_for_many_resources_as_for_few(fhir, clinic_a, name):
    add_patients(clinic_a, 1)
    fhir("metadata")
    fhir("Patient")  # the token's first use of the day is recorded once
    one = queries(fhir, name, {"_count": 200})
    add_patients(clinic_a, 6)
    many = queries(fhir, name, {"_count": 200})

    assert many == one


def test_everything_runs_the_same_number_of_queries_for_a_long_history(fhir, clinic_a, alice):
    short = PatientFactory(clinic=clinic_a)
    full_record(short, alice.staff)
    long = PatientFactory(clinic=clinic_a)
    for _ in range(5):
        full_record(long, alice.staff)
    fhir("Patient")

    assert queries(fhir, f"Patient/{long.pk}/$everything", {}) == queries(
        fhir, f"Patient/{short.pk}/$everything", {}
    )


def test_a_clinic_admin_exports_a_patients_record_in_fhir_from_the_admin(
    client, alma, record, carol
):
    client.force_login(alma)
    changelist = reverse("admin:patients_patient_changelist")

    offered = client.get(changelist)
    response = client.post(
        changelist, {"action": "export_patient_fhir", "_selected_action": [carol.pk]}
    )
    download = client.get(response["Location"])

    assert "export_patient_fhir" in offered.text
    assert response["Location"] == f"/fhir/R4/Patient/{carol.pk}/$everything"
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="patient-{carol.pk}-fhir.json"'
    assert f"Patient/{carol.pk}" in ids_of(validated(download.json()))
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (export.actor, export.patient_id) == (alma, carol.pk)


def test_a_therapist_is_not_offered_the_fhir_export(client, alice, carol):
    client.force_login(alice)
    changelist = reverse("admin:patients_patient_changelist")

    response = client.post(
        changelist, {"action": "export_patient_fhir", "_selected_action": [carol.pk]}
    )

    assert "export_patient_fhir" not in client.get(changelist).text
    assert "$everything" not in response.get("Location", "")


@pytest.mark.parametrize("path", ["Patient%0A", "Patient/1%0A/x", "%0A", "Observation/a/b/c"])
def test_a_path_no_interaction_matches_answers_an_operation_outcome(fhir, path):
    response = fhir(path)

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"
