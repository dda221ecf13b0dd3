"""Body regions and equipment: shared words, translated by the site's operator in the admin,
read by every clinic in its language."""

import pytest
from django.urls import reverse

from programs.models import BodyRegion, Equipment
from programs.services import starter_library_load
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


def test_the_operator_sees_which_words_lack_a_language_and_translates_them(client, root):
    starter_library_load()  # every starter word in every language
    Equipment.objects.create(code="band", name_en="Resistance band")
    client.force_login(root)
    listing = client.get(reverse("admin:programs_equipment_changelist") + "?missing_translation=de")
    assert [item.code for item in listing.context["cl"].result_list] == ["band"]
    band = Equipment.objects.get(code="band")
    answer = client.post(
        reverse("admin:programs_equipment_change", args=[band.pk]),
        {"code": "band", "name": "Resistance band", "name_de": "Gymnastikband", "name_es": ""},
    )
    assert answer.status_code == 302
    band.refresh_from_db()
    assert (band.name_en, band.name_de, band.name_es) == ("Resistance band", "Gymnastikband", None)
    assert band.missing_translations == ["es"]


def test_a_therapist_cannot_open_or_change_the_shared_words(client, alice):
    region = BodyRegion.objects.get(code="hip")
    client.force_login(alice)
    page = client.get(reverse("admin:programs_bodyregion_change", args=[region.pk]))
    assert page.status_code in (302, 403)
    client.post(
        reverse("admin:programs_bodyregion_change", args=[region.pk]),
        {"code": "hip", "name": "Hip", "name_de": "Kaputt"},
    )
    region.refresh_from_db()
    assert region.name_de != "Kaputt"
