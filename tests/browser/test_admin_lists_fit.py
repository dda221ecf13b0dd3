"""Every admin list fits its scroll box at 1366 px: no column is pushed off-screen."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.clinic.test_form_crawl import own_world  # noqa: F401 (a fixture)
from tests.factories import PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1366, "height": 900}
WIDTHS = """() => {
  const box = document.querySelector('#changelist .results');
  const table = document.querySelector('#result_list');
  return {
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    list: box && table ? [table.offsetWidth, box.clientWidth] : null,
  };
}"""


def lists_of(user) -> list[str]:
    asked = RequestFactory().get("/admin/")
    asked.user = user
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(asked)
    ]


@pytest.mark.parametrize("who", ["alma", "alice"])
def test_no_admin_list_is_wider_than_its_box_at_1366_px(
    request,
    who,
    own_world,  # noqa: F811
    live_server,
    new_page,
    shoot,
    clinic_a,
):
    user = request.getfixturevalue(who)
    # A long but real address and name: the patient list is the widest.
    PatientFactory(
        clinic=clinic_a,
        first_name="Maximiliana",
        last_name="Featherstonehaugh-Cholmondeley",
        email="maximiliana.featherstonehaugh@physio-clinic.example",
    )
    page = new_page(viewport=DESK)
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + reverse("admin:index"))
    too_wide = []
    for url in lists_of(user):
        page.goto(live_server.url + url)
        page.wait_for_load_state()
        widths = page.evaluate(WIDTHS)
        page_width, viewport = widths["page"]
        if page_width > viewport:
            too_wide.append(f"{url}: the page is {page_width}px wide")
        if widths["list"] is not None and widths["list"][0] > widths["list"][1]:
            too_wide.append(f"{url}: the table is {widths['list'][0]}px in {widths['list'][1]}px")
        shoot(page, f"admin-lists-{who}-{url.strip('/').replace('/', '-')}")
        if url == reverse("admin:patients_patient_changelist"):
            assert page.get_by_role("columnheader", name="Pain alert").is_visible()
    assert not too_wide, "\n".join(too_wide)
