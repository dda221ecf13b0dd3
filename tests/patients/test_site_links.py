"""The header's links are reversed once per process and script prefix, and stay right."""

import datetime

import pytest
from django.urls import reverse, set_script_prefix

from patients.context_processors import site_links

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db


def test_the_today_page_links_to_each_part_of_the_site(client, carol):
    back_pain_assignment(carol, datetime.date.today())
    client.force_login(carol.user)
    page = client.get(reverse("patients:home")).text
    for name in ("home", "history", "logout", "session_log_past"):
        assert f'="{reverse(f"patients:{name}")}"' in page


def test_a_server_reached_under_a_prefix_links_under_it(rf):
    try:
        set_script_prefix("/clinic/")
        links = site_links(rf.get("/"))["site_links"]
        assert links["history"] == "/clinic/history/"
    finally:
        set_script_prefix("/")
    assert site_links(rf.get("/"))["site_links"]["history"] == "/history/"
