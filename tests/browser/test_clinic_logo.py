"""The clinic admin gives the clinic its logo on the clinic's page, and sees it there."""

import pytest
from playwright.sync_api import expect

from tests.pictures import photo_bytes

from .conftest import staff_signs_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DESK = {"width": 1366, "height": 900}


def test_alma_uploads_the_clinics_logo_and_sees_it_on_the_clinics_page(
    live_server, new_page, shoot, alma, clinic_a, tmp_path
):
    logo = tmp_path / "logo.jpg"
    logo.write_bytes(photo_bytes(size=(900, 300)))
    page = new_page(viewport=DESK)
    staff_signs_in(page, live_server.url, alma.email)
    page.goto(live_server.url + f"/admin/clinic/clinic/{clinic_a.pk}/change/")
    expect(page.get_by_text("No logo yet.")).to_be_visible()
    page.get_by_label("Logo:", exact=True).set_input_files(str(logo))
    page.get_by_role("button", name="Save and continue editing").click()
    shown = page.get_by_role("img", name="Logo of Clinic A")
    expect(shown).to_be_visible()
    assert page.evaluate("document.querySelector('img.flexion-clinic-logo').naturalWidth") == 600
    box = shown.bounding_box()
    assert box["width"] <= 200 and box["height"] <= 60
    shoot(page, "clinic-logo-admin", full_page=False)
    clinic_a.refresh_from_db()
    assert clinic_a.logo.name.startswith(f"clinic-logos/{clinic_a.pk}/")
