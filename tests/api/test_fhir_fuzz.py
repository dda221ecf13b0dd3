"""Hypothesis over the FHIR interface's query strings and ids: whatever a client sends, the
answer is a Bundle (200) or an OperationOutcome (400, 404, 406), never a server error."""

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.fhir.registry import REGISTRY

from .fhir_world import full_record

PARAMS = [
    "_id",
    "_lastUpdated",
    "patient",
    "subject",
    "date",
    "category",
    "questionnaire",
    "_count",
    "_offset",
]
PREFIXES = ["", "eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap", "xx"]
OUTCOMES = {
    200: "Bundle",
    400: "OperationOutcome",
    404: "OperationOutcome",
    406: "OperationOutcome",
}

years = st.sampled_from(["0000", "0001", "1970", "2026", "9999", "10000", "99999"])
two_digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
fhir_dates = st.builds(
    lambda prefix, year, rest: prefix + year + rest,
    st.sampled_from(PREFIXES),
    years,
    st.one_of(
        st.just(""),
        st.builds(lambda m: f"-{m}", two_digits),
        st.builds(lambda m, d: f"-{m}-{d}", two_digits, two_digits),
        st.builds(
            lambda m, d, h, mi, tz: f"-{m}-{d}T{h}:{mi}:00{tz}",
            two_digits,
            two_digits,
            two_digits,
            two_digits,
            st.sampled_from(["", "Z", "+01:00", "-14:00", "+99:99", "+05:30"]),
        ),
    ),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "1", "-0", "1e3", "٣", "²", " 1", "0x10"]),
)
references = st.one_of(
    numbers,
    numbers.map(lambda n: f"Patient/{n}"),
    numbers.map(lambda n: f"http://other.example/fhir/Patient/{n}"),
    st.sampled_from(["Patient/", "/", "Practitioner/1", "Patient//1", "Patient/1/_history/2"]),
    numbers.map(lambda n: f"Questionnaire/{n}"),
    st.builds(
        lambda path, version: f"https://flexion.health/fhir/Questionnaire/{path}{version}",
        st.sampled_from(["psfs", "clinic-1/sleep", "clinic-x/a", "a/b/c", "", "clinic-/"]),
        st.one_of(st.just(""), numbers.map(lambda n: f"|{n}"), st.just("|")),
    ),
)
tokens = st.one_of(
    st.sampled_from(["activity", "survey", "PhysicalActivity", "|activity", "a|b|c", "|", ""]),
    st.text(max_size=30),
)
ids = st.one_of(
    st.sampled_from(["session-1", "pain-", "exercise-00", "checkin--1", "1", "0"]),
    numbers,
    st.text(max_size=40),
)
values = st.one_of(fhir_dates, numbers, references, tokens, ids, st.text(max_size=60))
names = st.one_of(
    st.sampled_from(PARAMS),
    st.sampled_from(PARAMS).map(lambda name: name + ":exact"),
    st.sampled_from(["_format", "_sort", "_include", "format", "page"]),
    st.text(max_size=20),
)
query = st.lists(
    st.tuples(names, st.lists(values, min_size=1, max_size=3).map(",".join)), max_size=5
)
types = st.one_of(st.sampled_from(sorted(REGISTRY)), st.text(min_size=1, max_size=20))


def check(response):
    assert response.status_code in OUTCOMES, (response.status_code, response.content[:500])
    assert response.json()["resourceType"] == OUTCOMES[response.status_code]


@pytest.fixture
def world(settings, carol, alice, dave, bob):
    # Hundreds of requests: the throttle (tested with the REST API) would answer 429.
    rates = {"anon": None, "user": None, "token": None}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    full_record(carol, alice.staff)
    full_record(dave, bob.staff)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(resource_type=types, params=query)
def test_no_search_is_a_server_error(clinic_a_api, world, resource_type, params):
    path = f"/fhir/R4/{quote(resource_type, safe='')}?{urlencode(params)}"

    check(clinic_a_api.get(path))


@FUZZ
@given(resource_type=types, resource_id=ids, params=query)
def test_no_read_or_everything_is_a_server_error(
    clinic_a_api, world, resource_type, resource_id, params
):
    encoded = quote(resource_id, safe="")
    check(clinic_a_api.get(f"/fhir/R4/{quote(resource_type, safe='')}/{encoded}"))
    check(clinic_a_api.get(f"/fhir/R4/Patient/{encoded}/$everything?{urlencode(params)}"))
