import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LISTS = ["/admin/patients/patient/", "/admin/patients/assignment/"]


@pytest.mark.parametrize("url", LISTS)
def test_the_therapist_filter_offers_only_the_clinics_own_therapists(client, alice, bob, url):
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert f"therapist__id__exact={alice.staff.pk}" in page
    assert f"therapist__id__exact={bob.staff.pk}" not in page
    assert "Bob" not in page


@pytest.mark.parametrize("url", LISTS)
def test_more_therapists_do_not_add_queries_to_the_list(client, alice, clinic_a, url):
    client.force_login(alice)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    StaffFactory.create_batch(5, clinic=clinic_a)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert page.count("therapist__id__exact=") == 6
    assert len(after) == len(before)
