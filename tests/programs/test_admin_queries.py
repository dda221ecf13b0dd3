"""Admin pages run the same number of SQL queries for 3 rows or items as for 30."""

import pytest
from django.urls import reverse

from programs.models import BodyRegion, Equipment, ExerciseVariation
from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

SIZES = [3, 30]


def clinic_exercises(clinic, count):
    regions, equipment = list(BodyRegion.objects.all()[:2]), list(Equipment.objects.all()[:2])
    exercises = []
    for number in range(count):
        exercise = ExerciseFactory(clinic=clinic, name=f"Exercise {number:02}")
        exercise.set_video_url("https://youtu.be/dQw4w9WgXcQ")
        exercise.save()
        exercise.body_regions.set(regions)
        exercise.equipment.set(equipment)
        exercises.append(exercise)
    return exercises


@pytest.mark.parametrize("size", SIZES)
def test_the_exercise_list(client, alice, clinic_a, size, django_assert_max_num_queries):
    clinic_exercises(clinic_a, size)
    client.force_login(alice)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:programs_exercise_changelist"))
    assert response.context["cl"].result_count == size


@pytest.mark.parametrize("size", SIZES)
def test_the_exercise_change_page_with_its_variations(
    client, alice, clinic_a, size, django_assert_max_num_queries
):
    exercise, *others = clinic_exercises(clinic_a, size + 1)
    ExerciseVariation.objects.bulk_create(
        ExerciseVariation(exercise=exercise, variation=other, direction="harder", order=order)
        for order, other in enumerate(others)
    )
    client.force_login(alice)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("admin:programs_exercise_change", args=[exercise.pk]))
    assert response.text.count('name="variations-') >= size


def programs_with_items(clinic, programs, items):
    exercises = clinic_exercises(clinic, 3)
    made = []
    for number in range(programs):
        program = ProgramFactory(clinic=clinic, name=f"Program {number:02}")
        for order in range(items):
            ProgramItemFactory(program=program, exercise=exercises[order % 3], order=order + 1)
        made.append(program)
    return made


@pytest.mark.parametrize("size", SIZES)
def test_the_program_list(client, alice, clinic_a, size, django_assert_max_num_queries):
    programs_with_items(clinic_a, size, 3)
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:programs_program_changelist"))
    assert response.context["cl"].result_count == size


@pytest.mark.parametrize("size", SIZES)
def test_the_program_change_page(client, alice, clinic_a, size, django_assert_max_num_queries):
    (program,) = programs_with_items(clinic_a, 1, size)
    client.force_login(alice)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    assert response.text.count('name="items-') >= size


@pytest.mark.parametrize("size", SIZES)
def test_the_program_preview(client, alice, clinic_a, size, django_assert_max_num_queries):
    (program,) = programs_with_items(clinic_a, 1, size)
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("admin:programs_program_preview", args=[program.pk]))
    assert response.text.count('class="flexion-card"') == size
