"""Schemathesis fuzzes the API in process: no server error, no response outside the
schema, and no operation that works without (or with wrong) credentials.

Two identities: clinic A's integration token runs every operation of the schema;
patient carol, with her browser session (and its CSRF token), runs the operations
only a patient may use (starting, logging and finishing sessions, check-ins).

Each example runs in a savepoint that is rolled back, so every example sees the
same small world (one row of each kind in clinic A and in
clinic B, or of carol and erin). Path ids and foreign keys are drawn partly from
that world, so the fuzzing reaches real rows (own and foreign), not only 404s.
"""

import datetime

import pytest
import schemathesis
from django.apps import apps
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance

from clinic.models import ApiToken
from clinic.tokens import key_hash
from flexion.wsgi import application
from patients.models import AssignmentQuestionnaire, Session, SessionStatus
from patients.progress import local_today

from .test_tenancy import RESOURCES

# Every test's token gets this key, so the auth provider needs no state.
KEY = "flx_schemathesis-test-key-of-clinic-a"
CSRF_SECRET = "schemathesisCsrfSecretOf32Chars0"
# What only a patient can do; their reads are the clinic token's operations too, and
# test_tenancy walks them as carol.
PATIENT_OPERATIONS = [
    "sessions_create",
    "sessions_log_create",
    "sessions_finish_create",
    "checkins_create",
    "outcome_responses_create",
    "outcome_responses_answer_create",
    "outcome_responses_submit_create",
    "outcome_responses_correct_create",
]

# Rows of the current test, read by the auth providers and the hooks below.
WORLD: dict = {}

FOREIGN_KEYS = {
    "patient": "patient",
    "program": "program",
    "exercise": "exercise",
    "session": "session",
    "scheme": "scheme",
    "therapist": "therapist",
    "assignment": "assignment",
    "item": "prescriptionitem",
    "questionnaire": "questionnaire",
}

NO_THROTTLING = {"anon": None, "user": None, "token": None}

SETTINGS = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # Generated examples only: Schemathesis's boundary-value ("coverage") cases ran
    # several times longer than the 100 generated ones. No shrinking either: the
    # report shows the failing request as sent.
    phases=[Phase.generate],
)
CHECKS = [not_a_server_error, response_schema_conformance, ignored_auth]


def _model_of_path(path: str) -> str | None:
    resource = path.removeprefix("/api/v1/").split("/")[0].replace("-", "_")
    return RESOURCES.get(resource)


def flatmap_path_parameters(context, path_parameters):
    model = _model_of_path(context.operation.path)
    if not path_parameters or "id" not in path_parameters or model is None or not WORLD:
        return st.just(path_parameters)
    known = [WORLD["own"].get(model), WORLD["foreign"].get(model)]
    ids = [row.pk for row in known if row is not None]
    # Only the id is swapped: an operation's other path parameters keep their drawn values.
    return st.sampled_from([path_parameters, *({**path_parameters, "id": pk} for pk in ids)])


def flatmap_body(context, body):
    if not isinstance(body, dict) or not WORLD:
        return st.just(body)
    keys = [key for key in body if key in FOREIGN_KEYS]
    if not keys:
        return st.just(body)
    choices = [
        {key: side[FOREIGN_KEYS[key]].pk for key in keys if FOREIGN_KEYS[key] in side}
        for side in (WORLD["own"], WORLD["foreign"])
    ]
    return st.sampled_from([body, *({**body, **choice} for choice in choices)])


def with_world_hooks(schema):
    schema.hook(flatmap_path_parameters)
    schema.hook(flatmap_body)
    return schema


def served_schema():
    """Load the schema as /api/schema/ serves it (to staff only; the loader signs in as nobody)."""
    with override_settings(FLEXION_API_DOCS_PUBLIC=True):
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


clinic_schema = with_world_hooks(served_schema())
patient_schema = with_world_hooks(served_schema().include(operation_id=PATIENT_OPERATIONS))
# Negative testing: requests that break the schema (wrong types, missing fields, values
# out of bounds, unknown enum values) must be refused with a 4xx that saves nothing.
negative_schema = with_world_hooks(served_schema().include(method=["POST", "PUT", "PATCH"]))
negative_schema.config.generation.update(modes=[schemathesis.GenerationMode.NEGATIVE])


@clinic_schema.auth()
class ClinicToken:
    def get(self, case, ctx):
        return KEY

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


negative_schema.auth()(ClinicToken)


@patient_schema.auth(refresh_interval=None)
class PatientSession:
    def get(self, case, ctx):
        return WORLD.get("session_key", "no-session-yet")

    def set(self, case, data, ctx):
        case.cookies = {
            **(case.cookies or {}),
            django_settings.SESSION_COOKIE_NAME: data,
            django_settings.CSRF_COOKIE_NAME: CSRF_SECRET,
        }
        case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_SECRET}


@pytest.fixture
def in_process(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": NO_THROTTLING}
    # As Django's test client does: the WSGI handler would otherwise close the
    # test's connection (and its transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    WORLD.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def clinic_world(in_process, token_of_clinic_a, rows_of_clinic_a, rows_of_clinic_b, alice):
    token, _key = token_of_clinic_a
    ApiToken.objects.filter(pk=token.pk).update(key_hash=key_hash(KEY))
    WORLD.update(own={**rows_of_clinic_a, "therapist": alice.staff}, foreign=rows_of_clinic_b)


@pytest.fixture
def patient_world(in_process, carol, rows_of_clinic_a, rows_of_erin):
    """carol a week into her program, with yesterday's session waiting for its check-in."""
    assignment = rows_of_clinic_a["assignment"]
    today = local_today(assignment)
    assignment.start_date = today - datetime.timedelta(days=7)
    assignment.save(update_fields=["start_date"])
    Session.objects.filter(pk=rows_of_clinic_a["session"].pk).update(
        performed_on=today - datetime.timedelta(days=1), status=SessionStatus.COMPLETED
    )
    rows_of_clinic_a["checkin"].delete()
    # A weekly questionnaire: one is due today (the start's is answered).
    AssignmentQuestionnaire.objects.filter(assignment=assignment).update(every_weeks=1)
    client = Client()
    client.force_login(carol.user)
    WORLD.update(
        own={**rows_of_clinic_a, "session": Session.objects.get(pk=rows_of_clinic_a["session"].pk)},
        foreign=rows_of_erin,
        session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    )


def call_and_roll_back(case):
    with transaction.atomic():
        case.call_and_validate(checks=CHECKS)
        transaction.set_rollback(True)


def api_rows() -> dict:
    """Every row of the tables the API writes (the token's last-used time aside)."""
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in ("programs", "patients")
    }


def call_refused_and_roll_back(case):
    with transaction.atomic():
        before = api_rows()
        response = case.call()
        case.validate_response(response, checks=[not_a_server_error])
        if 400 <= response.status_code < 500:
            assert api_rows() == before, f"{case.method} {case.path} saved rows on a 4xx"
        transaction.set_rollback(True)


@clinic_schema.parametrize()
@SETTINGS
def test_the_api_keeps_to_its_schema_for_a_clinic_token(case, clinic_world):
    call_and_roll_back(case)


@patient_schema.parametrize()
@SETTINGS
def test_the_api_keeps_to_its_schema_for_a_patient(case, patient_world):
    call_and_roll_back(case)


@negative_schema.parametrize()
@settings(SETTINGS, max_examples=25)
def test_every_write_refuses_what_breaks_the_schema_and_saves_nothing(case, clinic_world):
    call_refused_and_roll_back(case)
