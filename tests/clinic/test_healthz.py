import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_health_check_answers_ok_without_a_sign_in_after_asking_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert any("SELECT 1" in query["sql"] for query in queries)


def test_health_check_refuses_a_post(client):
    assert client.post("/healthz").status_code == 405
