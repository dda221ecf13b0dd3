"""Patient and assignment admin pages run as many SQL queries for 3 rows as for 30."""

import datetime

import pytest
from django.urls import reverse

from patients.services import assignment_create
from tests.factories import PatientFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

SIZES = [3, 30]
MONDAY = datetime.date(2026, 3, 2)


def program_with_items(clinic, count):
    program = ProgramFactory(clinic=clinic)
    first = ProgramItemFactory(program=program, order=1)
    for order in range(2, count + 1):
        ProgramItemFactory(program=program, exercise=first.exercise, order=order)
    return program


@pytest.mark.parametrize("size", SIZES)
def test_the_patient_list(client, alice, clinic_a, size, django_assert_max_num_queries):
    program = program_with_items(clinic_a, 1)
    for _ in range(size):
        patient = PatientFactory(clinic=clinic_a, therapist=alice.staff)
        assignment_create(patient=patient, program=program, therapist=None, start_date=MONDAY)
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:patients_patient_changelist"))
    assert response.context["cl"].result_count == size


@pytest.mark.parametrize("size", SIZES)
def test_the_patient_change_page_with_its_assignments(
    client, alice, carol, size, django_assert_max_num_queries
):
    program = program_with_items(carol.clinic, 1)
    for _ in range(size):
        assignment_create(patient=carol, program=program, therapist=None, start_date=MONDAY)
    client.force_login(alice)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:patients_patient_change", args=[carol.pk]))
    assert response.text.count("/admin/patients/assignment/") >= size


@pytest.mark.parametrize("size", SIZES)
def test_the_assignment_list(client, alice, clinic_a, size, django_assert_max_num_queries):
    program = program_with_items(clinic_a, 2)
    for _ in range(size):
        patient = PatientFactory(clinic=clinic_a)
        assignment_create(
            patient=patient, program=program, therapist=alice.staff, start_date=MONDAY
        )
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:patients_assignment_changelist"))
    assert response.context["cl"].result_count == size


@pytest.mark.parametrize("size", SIZES)
def test_the_assignment_change_page_with_its_items(
    client, alice, carol, size, django_assert_max_num_queries
):
    program = program_with_items(carol.clinic, size)
    assignment = assignment_create(
        patient=carol, program=program, therapist=alice.staff, start_date=MONDAY
    )
    client.force_login(alice)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("admin:patients_assignment_change", args=[assignment.pk]))
    assert response.text.count('name="items-') >= size


@pytest.mark.parametrize("size", SIZES)
def test_the_assign_pages(client, alice, clinic_a, carol, size, django_assert_max_num_queries):
    program = program_with_items(clinic_a, 1)
    for _ in range(size):
        PatientFactory(clinic=clinic_a)
        ProgramFactory(clinic=clinic_a)
    client.force_login(alice)
    with django_assert_max_num_queries(10):
        client.get(reverse("admin:programs_program_assign", args=[program.pk]))
    with django_assert_max_num_queries(10):
        client.get(reverse("admin:patients_patient_assign", args=[carol.pk]))
