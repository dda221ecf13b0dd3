"""Schemathesis fuzzes every operation of the schema in process, authenticated with
clinic A's token: no server error, no response outside the schema, and no
operation that works without (or with wrong) credentials.

Each example runs in a savepoint that is rolled back, so every example sees the
same small world (one row of each kind in clinic A and in clinic B). Path ids
and foreign keys are drawn partly from that world, so the fuzzing reaches real
rows (own and foreign), not only 404s.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance

from clinic.models import ApiToken
from clinic.tokens import key_hash
from clinic.wsgi import application

from .test_tenancy import RESOURCES

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Rows of the current test, read by the auth provider and the hooks below.
WORLD: dict = {}

FOREIGN_KEYS = {
    "patient": "patient",
    "program": "program",
    "exercise": "exercise",
    "session": "session",
    "scheme": "scheme",
    "therapist": "therapist",
}

NO_THROTTLING = {"anon": None, "user": None, "token": None}


# Every test's token gets this key, so the auth provider needs no state.
KEY = "flx_schemathesis-test-key-of-clinic-a"


@schema.auth()
class ClinicToken:
    def get(self, case, ctx):
        return KEY

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _model_of_path(path: str) -> str | None:
    resource = path.removeprefix("/api/v1/").split("/")[0].replace("-", "_")
    return RESOURCES.get(resource)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    model = _model_of_path(context.operation.path)
    if not path_parameters or "id" not in path_parameters or model is None or not WORLD:
        return st.just(path_parameters)
    known = [WORLD["own"].get(model), WORLD["foreign"].get(model)]
    ids = [row.pk for row in known if row is not None]
    return st.sampled_from([path_parameters, *({"id": pk} for pk in ids)])


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict) or not WORLD:
        return st.just(body)
    keys = [key for key in body if key in FOREIGN_KEYS]
    if not keys:
        return st.just(body)
    rows = [WORLD["own"], WORLD["foreign"]]
    choices = [
        {key: side[FOREIGN_KEYS[key]].pk for key in keys if FOREIGN_KEYS[key] in side}
        for side in rows
    ]
    return st.sampled_from([body, *({**body, **choice} for choice in choices)])


@pytest.fixture
def world(token_of_clinic_a, rows_of_clinic_a, rows_of_clinic_b, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": NO_THROTTLING}
    token, _key = token_of_clinic_a
    ApiToken.objects.filter(pk=token.pk).update(key_hash=key_hash(KEY))
    # As Django's test client does: the WSGI handler would otherwise close the
    # test's connection (and its transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    WORLD.update(
        own={**rows_of_clinic_a, "therapist": alice.staff},
        foreign=rows_of_clinic_b,
    )
    yield
    WORLD.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
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
def test_the_api_keeps_to_its_schema(case, world):
    with transaction.atomic():
        case.call_and_validate(
            checks=[not_a_server_error, response_schema_conformance, ignored_auth]
        )
        transaction.set_rollback(True)
