"""Every list endpoint runs the same number of SQL queries for 1 row as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..factories import PatientFactory
from .conftest import clinic_rows
from .test_tenancy import schema_operations

LIST_PATHS = sorted(
    path
    for operation_id, (_method, path) in schema_operations().items()
    if operation_id.endswith("_list") or operation_id.startswith("reports_")
)


def add_rows(clinic, count: int, start: int) -> None:
    for number in range(start, start + count):
        clinic_rows(clinic, PatientFactory(clinic=clinic), suffix=str(number))


def queries_for(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path, {"page_size": 100})
    assert response.status_code == 200, response.content
    return [query["sql"] for query in context.captured_queries], len(response.json()["results"])


def test_every_list_endpoint_is_measured():
    assert len(LIST_PATHS) >= 9


@pytest.mark.parametrize("path", LIST_PATHS)
def test_a_list_runs_as_many_queries_for_fifty_rows_as_for_one(path, clinic_a, clinic_a_api):
    add_rows(clinic_a, 1, start=0)
    clinic_a_api.get(path)  # the token's first use of the day records it once
    one, listed_one = queries_for(clinic_a_api, path)
    add_rows(clinic_a, 49, start=1)
    fifty, listed_fifty = queries_for(clinic_a_api, path)
    assert (listed_one, listed_fifty) == (1, 50)
    assert len(fifty) == len(one), "\n".join(fifty)
