"""The header's links lead to each part of the patient site."""

import datetime

import pytest
from django.urls import reverse

from .back_pain import back_pain_assignment

pytestmark = pytest.mark.django_db


def test_the_today_page_links_to_each_part_of_the_site(client, carol):
    back_pain_assignment(carol, datetime.date.today())
    client.force_login(carol.user)
    page = client.get(reverse("patients:home")).text
    for name in ("home", "history", "logout", "session_log_past"):
        assert f'="{reverse(f"patients:{name}")}"' in page
