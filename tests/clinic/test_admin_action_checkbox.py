"""The changelist's row checkboxes: Django's markup, written without the widget templates."""

import pytest
from django.contrib import admin
from django.urls import reverse

from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_row_checkbox_is_the_one_django_renders(carol):
    carol.first_name, carol.last_name = 'Ann "Nan" O\'Brien', "& <Co>"
    patient_admin = admin.site._registry[Patient]
    assert type(patient_admin).action_checkbox is not admin.ModelAdmin.action_checkbox
    ours = patient_admin.action_checkbox(carol)
    assert ours == admin.ModelAdmin.action_checkbox(patient_admin, carol)
    assert "&lt;Co&gt;" in ours


def test_the_patient_list_has_a_checkbox_per_row(client, alice, carol, erin):
    client.force_login(alice)
    page = client.get(reverse("admin:patients_patient_changelist")).text
    assert page.count('class="action-select"') == 2
    assert f'name="_selected_action" value="{carol.pk}"' in page
