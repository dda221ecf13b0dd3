import re

import pytest
from django.urls import reverse

from patients.models import Assignment
from programs.models import Exercise, Program
from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:programs_program_changelist")
ITEM_FIELDS = [
    "sets",
    "reps",
    "side",
    "hold_seconds",
    "hold_seconds_max",
    "contraction_seconds",
    "rest_seconds",
    "intensity",
    "note",
]


def change_url(program):
    return reverse("admin:programs_program_change", args=[program.pk])


def program_form(name="Knee rehab", items=(), initial=0, **changes):
    """The admin's POST data: items are (exercise, order, overrides) or (item, order)."""
    data = {
        "name": name,
        "goal": "",
        "scheme": Program._meta.get_field("scheme")
        .related_model.objects.get(clinic=None, is_default=True)
        .pk,
        "education": "",
        # The questionnaire schedule inline, left as it is.
        "questionnaires-TOTAL_FORMS": "0",
        "questionnaires-INITIAL_FORMS": "0",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(initial),
    }
    for index, (exercise, order, overrides, item_id) in enumerate(items):
        prefix = f"items-{index}-"
        data[prefix + "exercise"] = exercise.pk
        data[prefix + "order"] = order
        data[prefix + "id"] = item_id or ""
        for field in ITEM_FIELDS:
            data[prefix + field] = overrides.get(field, "")
    data.update(changes)
    return data


@pytest.fixture
def bobs_program(clinic_b):
    program = ProgramFactory(clinic=clinic_b, name="Bob's private program")
    ProgramItemFactory(program=program)
    return program


@pytest.fixture
def alices_program(clinic_a):
    program = ProgramFactory(clinic=clinic_a, name="Alice's knee program")
    for order in (1, 2, 3):
        ProgramItemFactory(program=program, order=order)
    return program


def test_alice_lists_shared_and_her_clinics_programs_only(
    client, alice, starter_library, alices_program, bobs_program
):
    client.force_login(alice)
    response = client.get(CHANGELIST)
    assert "Hip flexor stretches for back pain" in response.text
    assert "Alice&#x27;s knee program" in response.text
    assert "Bob&#x27;s private program" not in response.text
    own = client.get(CHANGELIST, {"library": "own"})
    assert "Hip flexor stretches" not in own.text


def test_alice_cannot_open_change_or_delete_bobs_program(client, alice, bobs_program):
    client.force_login(alice)
    assert "Bob" not in client.get(change_url(bobs_program), follow=True).text
    client.post(change_url(bobs_program), program_form(name="Hacked"))
    client.post(reverse("admin:programs_program_delete", args=[bobs_program.pk]), {"post": "yes"})
    bobs_program.refresh_from_db()
    assert bobs_program.name == "Bob's private program"


def test_a_shared_program_is_view_only_to_alice(client, alice, starter_library):
    program = Program.objects.get(key="gentle-hip-flexion")
    client.force_login(alice)
    response = client.get(change_url(program))
    assert response.context["has_change_permission"] is False
    assert client.post(change_url(program), program_form(name="Hacked")).status_code == 403
    delete = reverse("admin:programs_program_delete", args=[program.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    program.refresh_from_db()
    assert program.name == "Gentle hip flexion"
    assert program.items.count() == 3


def test_alice_builds_a_program_from_the_starter_library_in_her_order(
    client, alice, clinic_a, starter_library
):
    knee_drops, ninety, gentle = (
        Exercise.objects.get(key=key)
        for key in ("knee-drops", "ninety-ninety-hip-flexor-stretch", "gentle-hip-flexion")
    )
    client.force_login(alice)
    items = [
        (knee_drops, 2, {}, None),
        (ninety, 1, {"hold_seconds": "30", "note": "Slowly"}, None),
        (gentle, 3, {}, None),
    ]
    response = client.post(reverse("admin:programs_program_add"), program_form(items=items))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    program = Program.objects.get(name="Knee rehab")
    assert program.clinic == clinic_a
    assert program.created_by == alice
    assert [item.exercise for item in program.items.all()] == [ninety, knee_drops, gentle]
    first = program.items.first()
    assert (first.hold_seconds, first.reps, first.note) == (30, None, "Slowly")


def test_an_item_cannot_use_another_clinics_exercise(client, alice, clinic_b):
    secret = ExerciseFactory(clinic=clinic_b, name="Bob's secret lunge")
    client.force_login(alice)
    response = client.post(
        reverse("admin:programs_program_add"), program_form(items=[(secret, 1, {}, None)])
    )
    assert response.status_code == 200
    assert not Program.objects.filter(name="Knee rehab").exists()


def test_reordering_items_saves_the_new_order(client, alice, alices_program):
    first, second, third = alices_program.items.all()
    client.force_login(alice)
    items = [
        (first.exercise, 3, {}, first.pk),
        (second.exercise, 1, {}, second.pk),
        (third.exercise, 2, {}, third.pk),
    ]
    response = client.post(
        change_url(alices_program),
        program_form(name=alices_program.name, items=items, initial=3),
    )
    assert response.status_code == 302
    assert list(alices_program.items.all()) == [second, third, first]


def test_duplicate_copies_a_clinic_program_with_its_items(client, alice, alices_program):
    client.force_login(alice)
    response = client.post(
        CHANGELIST,
        {"action": "duplicate_programs", "_selected_action": [alices_program.pk]},
        follow=True,
    )
    copy = Program.objects.get(name="Alice's knee program (copy)")
    assert "Created:" in response.text
    assert copy.clinic == alices_program.clinic
    assert [i.exercise_id for i in copy.items.all()] == [
        i.exercise_id for i in alices_program.items.all()
    ]
    client.post(CHANGELIST, {"action": "duplicate_programs", "_selected_action": [copy.pk]})
    assert Program.objects.filter(name="Alice's knee program (copy) (copy)").exists()


def test_duplicate_and_copy_cannot_reach_another_clinics_program(
    client, alice, clinic_a, bobs_program
):
    client.force_login(alice)
    for action in ("duplicate_programs", "copy_to_my_clinic"):
        client.post(CHANGELIST, {"action": action, "_selected_action": [bobs_program.pk]})
    assert not Program.objects.filter(clinic=clinic_a).exists()
    assert Program.objects.count() == 1


def test_copy_to_my_clinic_makes_an_editable_copy_of_a_shared_program(
    client, alice, clinic_a, starter_library
):
    shared = Program.objects.get(key="hip-flexor-stretches-for-back-pain")
    client.force_login(alice)
    client.post(CHANGELIST, {"action": "copy_to_my_clinic", "_selected_action": [shared.pk]})
    copy = Program.objects.get(clinic=clinic_a)
    assert copy.name == shared.name
    assert copy.education == shared.education
    assert [(i.exercise_id, i.reps, i.note) for i in copy.items.all()] == [
        (i.exercise_id, i.reps, i.note) for i in shared.items.all()
    ]
    assert client.get(change_url(copy)).context["has_change_permission"] is True


def test_duplicate_leaves_shared_programs_to_copy_to_my_clinic(client, alice, starter_library):
    shared = Program.objects.get(key="gentle-hip-flexion")
    client.force_login(alice)
    response = client.post(
        CHANGELIST, {"action": "duplicate_programs", "_selected_action": [shared.pk]}, follow=True
    )
    assert "Shared programs are copied with" in response.text
    assert Program.objects.count() == 2


def test_the_preview_shows_the_items_in_order_as_the_patient_sees_them(
    client, alice, starter_library
):
    program = Program.objects.get(key="hip-flexor-stretches-for-back-pain")
    client.force_login(alice)
    response = client.get(reverse("admin:programs_program_preview", args=[program.pk]))
    text = response.text
    titles = [
        f'<span class="flexion-step-number">{number}</span>{item.exercise.name}</h3>'
        for number, item in enumerate(program.items.all(), start=1)
    ]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "1 set × 2 reps each side, hold 20 s, rest 10 s, light" in text
    assert "1 set × 5 reps each way, hold 2–3 s, light" in text
    assert "Alternate sides: right, left, right, left." in text
    assert "Start 2×/week → Build 3×/week → Daily 7×/week" in text


def test_bob_cannot_preview_or_assign_alices_program(client, bob, alices_program):
    client.force_login(bob)
    for name in ("admin:programs_program_preview", "admin:programs_program_assign"):
        assert client.get(reverse(name, args=[alices_program.pk])).status_code == 404


def test_items_without_any_dosage_are_flagged_in_the_list_and_on_the_page(client, alice, clinic_a):
    bare = ExerciseFactory(clinic=clinic_a, name="Bare", sets=1, reps=1, hold_seconds=None)
    program = ProgramFactory(clinic=clinic_a, name="Needs work")
    ProgramItemFactory(program=program, exercise=bare)
    ProgramItemFactory(program=program)  # the factory's 1 × 2 with a 20 s hold
    client.force_login(alice)
    assert "1 exercise without a dosage" in client.get(CHANGELIST).text
    page = client.get(change_url(program)).text
    assert "“Bare” has no dosage" in page
    assert "no dosage set" in page


def test_an_override_gives_a_bare_exercise_its_dosage(clinic_a):
    bare = ExerciseFactory(clinic=clinic_a, sets=1, reps=1, hold_seconds=None)
    item = ProgramItemFactory(program__clinic=clinic_a, exercise=bare)
    assert item.lacks_dosage()
    item.reps = 10
    assert not item.lacks_dosage()
    item.reps, item.hold_seconds = None, 30
    assert not item.lacks_dosage()
    bare.set_video_url("https://youtu.be/dQw4w9WgXcQ")
    item.hold_seconds = None
    assert not item.lacks_dosage()


def test_the_assign_action_needs_exactly_one_program(
    client, alice, alices_program, starter_library
):
    client.force_login(alice)
    two = [alices_program.pk, Program.objects.get(key="gentle-hip-flexion").pk]
    response = client.post(
        CHANGELIST, {"action": "assign_to_patients", "_selected_action": two}, follow=True
    )
    assert "Select exactly one program to assign." in response.text
    one = client.post(
        CHANGELIST, {"action": "assign_to_patients", "_selected_action": [alices_program.pk]}
    )
    assert one.url == reverse("admin:programs_program_assign", args=[alices_program.pk])


def assign_form(**changes):
    data = {
        "start_date": "2026-03-02",
        "therapist": "",
        "reminder_time": "08:00",
        "timezone": "",
        "preferred_weekdays": [],
    }
    data.update(changes)
    return data


def test_a_program_is_assigned_to_several_patients_of_alices_clinic(
    client, alice, carol, erin, dave, alices_program
):
    client.force_login(alice)
    url = reverse("admin:programs_program_assign", args=[alices_program.pk])
    page = client.get(url)
    # Patients are found by searching, not listed: the page names none of them.
    assert "Carol" not in page.text and "Erin" not in page.text
    assert 'data-model-name="assignment"' in page.text  # the autocomplete widget
    response = client.post(
        url,
        assign_form(
            patients=[carol.pk, erin.pk],
            therapist=alice.staff.pk,
            advanced="on",
            preferred_weekdays=["0", "3"],
        ),
    )
    assert response.status_code == 302
    assignments = Assignment.objects.filter(program=alices_program)
    assert {a.patient for a in assignments} == {carol, erin}
    for assignment in assignments:
        assert assignment.therapist == alice.staff
        assert assignment.advanced
        assert assignment.preferred_weekdays == [0, 3]
        assert assignment.timezone == assignment.patient.timezone
        assert assignment.items.count() == 3


def test_a_program_cannot_be_assigned_to_another_clinics_patient(
    client, alice, carol, dave, alices_program
):
    client.force_login(alice)
    url = reverse("admin:programs_program_assign", args=[alices_program.pk])
    response = client.post(url, assign_form(patients=[carol.pk, dave.pk]))
    assert response.status_code == 200
    assert not Assignment.objects.exists()


def test_a_shared_program_can_be_assigned_as_it_is(client, alice, carol, starter_library):
    program = Program.objects.get(key="gentle-hip-flexion")
    client.force_login(alice)
    url = reverse("admin:programs_program_assign", args=[program.pk])
    assert client.post(url, assign_form(patients=[carol.pk])).status_code == 302
    assert Assignment.objects.get().items.count() == 3


def test_the_copy_button_duplicates_an_own_program_and_copies_a_shared_one(
    client, alice, clinic_a, alices_program, starter_library
):
    shared = Program.objects.get(key="gentle-hip-flexion")
    client.force_login(alice)
    for program in (alices_program, shared):
        url = reverse("admin:programs_program_copy", args=[program.pk])
        assert url in client.get(change_url(program)).text
        assert client.get(url).status_code == 403
        response = client.post(url)
        copy = Program.objects.filter(clinic=clinic_a).latest("pk")
        assert response.url == change_url(copy)
        assert copy.items.count() == program.items.count()
    assert set(Program.objects.filter(clinic=clinic_a).values_list("name", flat=True)) == {
        "Alice's knee program",
        "Alice's knee program (copy)",
        "Gentle hip flexion",
    }


def test_the_copy_button_cannot_reach_another_clinics_program(client, alice, bobs_program):
    client.force_login(alice)
    url = reverse("admin:programs_program_copy", args=[bobs_program.pk])
    assert client.post(url).status_code == 404
    assert Program.objects.count() == 1


def test_bulk_delete_refuses_shared_and_other_clinics_programs(
    client, alice, bobs_program, starter_library
):
    client.force_login(alice)
    ids = [bobs_program.pk, *Program.objects.filter(clinic=None).values_list("pk", flat=True)]
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert Program.objects.filter(pk__in=ids).count() == 3


def test_programs_are_found_by_the_name_of_one_of_their_exercises(client, alice, starter_library):
    client.force_login(alice)
    response = client.get(CHANGELIST, {"q": "knee drops"})
    assert [p.name for p in response.context["cl"].result_list] == [
        "Hip flexor stretches for back pain"
    ]
    assert response.context["cl"].result_list[0].exercise_total == 3


def patient_search(client, term):
    query = {
        "app_label": "patients",
        "model_name": "assignment",
        "field_name": "patient",
        "term": term,
    }
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return {row["text"] for row in response.json()["results"]}


def test_the_assign_pages_patient_search_finds_only_the_clinics_patients(
    client, alice, carol, erin, dave
):
    client.force_login(alice)
    assert patient_search(client, "Carol") == {str(carol)}
    assert patient_search(client, "a.example") == {str(carol), str(erin)}
    assert patient_search(client, "Dave") == set()
    assert patient_search(client, "b.example") == set()


def test_the_patient_search_of_another_clinic_finds_none_of_ours(client, bob, carol, dave):
    client.force_login(bob)
    assert patient_search(client, "") == {str(dave)}
    assert patient_search(client, "Carol") == set()


@pytest.mark.parametrize("value", ["x", "\x00", "99999999999999999999999", "-1"])
def test_a_hand_made_patient_value_on_the_assign_page_is_refused_not_a_server_error(
    client, alice, alices_program, value
):
    client.force_login(alice)
    url = reverse("admin:programs_program_assign", args=[alices_program.pk])
    response = client.post(url, assign_form(patients=[value]))
    assert response.status_code == 200
    assert 'class="errorlist' in response.text
    assert not Assignment.objects.exists()


def test_a_typed_time_zone_that_does_not_exist_is_refused(client, alice, alices_program, carol):
    client.force_login(alice)
    url = reverse("admin:programs_program_assign", args=[alices_program.pk])
    response = client.post(url, assign_form(patients=[carol.pk], timezone="Mars/Olympus_Mons"))
    assert "Mars/Olympus_Mons is not a known time zone." in response.text
    assert not Assignment.objects.exists()


def test_the_time_zone_suggestions_start_with_the_clinics_zone(client, bob, clinic_b):
    client.force_login(bob)
    program = ProgramFactory(clinic=clinic_b)
    response = client.get(reverse("admin:programs_program_assign", args=[program.pk]))
    assert response.status_code == 200, response.status_code
    page = response.text
    suggestions = re.findall(r'<option value="([^"]+)">', page.split("<datalist")[1])
    assert suggestions[0] == "America/New_York"
    assert "Europe/London" in suggestions and "US/Pacific" not in suggestions


def test_an_assign_address_with_an_id_that_is_not_a_number_is_not_found(
    client, alice, alices_program, carol
):
    client.force_login(alice)
    for url in [
        f"/admin/programs/program/{alices_program.pk}/change/assign/",
        f"/admin/patients/patient/{carol.pk}/change/assign/",
    ]:
        assert client.get(url).status_code == 404, url
