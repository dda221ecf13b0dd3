import datetime

import pytest
from django.urls import reverse

from patients.models import Assignment, PrescriptionItem
from patients.services import assignment_create
from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
CHANGELIST = reverse("admin:patients_assignment_changelist")


@pytest.fixture
def program(clinic_a):
    program = ProgramFactory(clinic=clinic_a, name="Knee rehab")
    for order in (1, 2):
        ProgramItemFactory(program=program, order=order)
    return program


@pytest.fixture
def carols_assignment(carol, alice, program):
    return assignment_create(
        patient=carol, program=program, therapist=alice.staff, start_date=MONDAY
    )


@pytest.fixture
def daves_assignment(dave, bob, clinic_b):
    program = ProgramFactory(clinic=clinic_b, name="Bob's program")
    ProgramItemFactory(program=program)
    return assignment_create(patient=dave, program=program, therapist=bob.staff, start_date=MONDAY)


def assign_url(patient):
    return reverse("admin:patients_patient_assign", args=[patient.pk])


def assign_form(program, **changes):
    data = {
        "program": program.pk,
        "start_date": "2026-03-09",
        "therapist": "",
        "reminder_time": "07:30",
        "timezone": "Europe/Paris",
    }
    data.update(changes)
    return data


def test_the_patient_page_links_to_assign_a_program(client, alice, carol):
    client.force_login(alice)
    page = client.get(reverse("admin:patients_patient_change", args=[carol.pk]))
    assert assign_url(carol) in page.text


def test_the_assign_form_defaults_to_the_patients_time_zone_and_therapist(
    client, alice, carol, program
):
    carol.timezone = "Asia/Tokyo"
    carol.therapist = alice.staff
    carol.save()
    client.force_login(alice)
    form = client.get(assign_url(carol)).context["form"]
    assert form["timezone"].initial == "Asia/Tokyo"
    assert form["therapist"].initial == alice.staff.pk


def test_alice_assigns_a_program_from_the_patient_page(client, alice, carol, program):
    client.force_login(alice)
    response = client.post(
        assign_url(carol),
        assign_form(program, therapist=alice.staff.pk, advanced="on", preferred_weekdays=["1"]),
    )
    assignment = Assignment.objects.get(patient=carol)
    assert response.url == reverse("admin:patients_assignment_change", args=[assignment.pk])
    assert assignment.start_date == datetime.date(2026, 3, 9)
    assert assignment.reminder_time == datetime.time(7, 30)
    assert assignment.timezone == "Europe/Paris"
    assert assignment.advanced
    assert assignment.preferred_weekdays == [1]
    assert assignment.items.count() == 2


def test_the_assign_form_offers_only_alices_clinics_programs_and_colleagues(
    client, alice, bob, carol, program, clinic_b
):
    bobs_program = ProgramFactory(clinic=clinic_b, name="Bob's program")
    client.force_login(alice)
    page = client.get(assign_url(carol)).text
    assert "Knee rehab" in page
    assert "Bob" not in page
    response = client.post(assign_url(carol), assign_form(bobs_program))
    assert response.status_code == 200
    response = client.post(assign_url(carol), assign_form(program, therapist=bob.staff.pk))
    assert response.status_code == 200
    assert not Assignment.objects.exists()


def test_alice_cannot_assign_to_another_clinics_patient(client, alice, dave, program):
    client.force_login(alice)
    assert client.get(assign_url(dave)).status_code == 404
    assert client.post(assign_url(dave), assign_form(program)).status_code == 404
    assert not Assignment.objects.exists()


def test_a_second_active_assignment_can_be_added(client, alice, carol, program, carols_assignment):
    client.force_login(alice)
    client.post(assign_url(carol), assign_form(program))
    assert carol.assignments.filter(status="active").count() == 2


def test_alice_lists_and_opens_only_her_clinics_assignments(
    client, alice, carols_assignment, daves_assignment
):
    client.force_login(alice)
    listing = client.get(CHANGELIST).text
    assert "Carol" in listing
    assert "Dave" not in listing
    change = reverse("admin:patients_assignment_change", args=[daves_assignment.pk])
    assert "Bob&#x27;s program" not in client.get(change, follow=True).text
    client.post(
        reverse("admin:patients_assignment_delete", args=[daves_assignment.pk]), {"post": "yes"}
    )
    assert Assignment.objects.filter(pk=daves_assignment.pk).exists()


def assignment_form(assignment, items, **changes):
    data = {
        "name": assignment.name,
        "status": assignment.status,
        "start_date": assignment.start_date.isoformat(),
        "therapist": assignment.therapist_id or "",
        "reminder_time": "08:00",
        "timezone": assignment.timezone,
        "goal": assignment.goal,
        "scheme": assignment.scheme_id,
        "education": assignment.education,
        # The questionnaire schedule inline, left as it is.
        "questionnaires-TOTAL_FORMS": "0",
        "questionnaires-INITIAL_FORMS": "0",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(sum(1 for item in items if item.get("id"))),
    }
    for index, item in enumerate(items):
        for name, value in item.items():
            data[f"items-{index}-{name}"] = value
    data.update(changes)
    return data


def item_data(item, **changes):
    data = {name: "" if value is None else value for name, value in item.dosage().items()}
    data.update(id=item.pk, exercise=item.exercise_id, order=item.order, note=item.note)
    data.update(changes)
    return data


def test_the_therapist_edits_the_patients_own_copy_without_touching_the_program(
    client, alice, carols_assignment, program
):
    first, second = carols_assignment.items.all()
    client.force_login(alice)
    url = reverse("admin:patients_assignment_change", args=[carols_assignment.pk])
    response = client.post(
        url,
        assignment_form(
            carols_assignment,
            [item_data(first, reps=12, order=2), item_data(second, order=1)],
            status="paused",
        ),
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    carols_assignment.refresh_from_db()
    assert carols_assignment.status == "paused"
    assert list(carols_assignment.items.all()) == [second, first]
    first.refresh_from_db()
    assert first.reps == 12
    assert program.items.first().reps is None


def test_the_patients_copy_cannot_use_another_clinics_exercise(
    client, alice, carols_assignment, clinic_b
):
    secret = ExerciseFactory(clinic=clinic_b)
    first, second = carols_assignment.items.all()
    client.force_login(alice)
    url = reverse("admin:patients_assignment_change", args=[carols_assignment.pk])
    response = client.post(
        url,
        assignment_form(
            carols_assignment, [item_data(first, exercise=secret.pk), item_data(second)]
        ),
    )
    assert response.status_code == 200
    assert not PrescriptionItem.objects.filter(exercise=secret).exists()


def test_assignments_are_only_added_by_assigning_a_program(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:patients_assignment_add")).status_code == 403


def test_bulk_delete_cannot_reach_another_clinics_assignment(client, alice, daves_assignment):
    client.force_login(alice)
    client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [daves_assignment.pk], "post": "yes"},
    )
    assert Assignment.objects.filter(pk=daves_assignment.pk).exists()


def initial_data(form) -> dict:
    """What the browser sends when nothing but the program is chosen."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_from_the_patient_page_a_program_is_assigned_in_three_actions(
    client, alice, carol, program
):
    client.force_login(alice)
    page = client.get(reverse("admin:patients_patient_change", args=[carol.pk])).text
    assert assign_url(carol) in page  # 1: the "Assign a program" link
    form = client.get(assign_url(carol)).context["form"]
    data = {**initial_data(form), "program": program.pk}  # 2: choose the program
    response = client.post(assign_url(carol), data)  # 3: Assign
    assert response.status_code == 302
    assert Assignment.objects.get(patient=carol).program == program


def test_assigning_from_the_patient_page_is_in_the_audit_trail(client, alice, carol, program):
    from clinic.models import AuditAction, AuditEvent

    client.force_login(alice)
    client.post(assign_url(carol), assign_form(program))
    assignment = Assignment.objects.get(patient=carol)
    event = AuditEvent.objects.get(action=AuditAction.ADD, object_type="patients.assignment")
    assert (event.actor, event.object_id, event.patient_id) == (
        alice,
        str(assignment.pk),
        carol.pk,
    )
    assert event.extra == {"assigned": program.pk}
    assert "Carol" not in event.object_repr  # patients by id only


def test_assigning_a_program_to_several_patients_records_one_event_each(
    client, alice, carol, erin, program
):
    from clinic.models import AuditAction, AuditEvent

    client.force_login(alice)
    client.post(
        reverse("admin:programs_program_assign", args=[program.pk]),
        {
            "patients": [carol.pk, erin.pk],
            "start_date": "2026-03-09",
            "reminder_time": "08:00",
            "timezone": "",
        },
    )
    events = AuditEvent.objects.filter(action=AuditAction.ADD, object_type="patients.assignment")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted([carol.pk, erin.pk])


def test_setting_the_stage_by_hand_is_in_the_audit_trail(client, alice, carols_assignment):
    from clinic.models import AuditAction, AuditEvent

    client.force_login(alice)
    stages = carols_assignment.scheme.stages.order_by("order").values_list("code", flat=True)
    response = client.post(
        reverse("admin:patients_assignment_stage", args=[carols_assignment.pk]),
        {"stage": stages[1], "effective_on": carols_assignment.start_date.isoformat()},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert event.object_id == str(carols_assignment.pk)
    assert event.extra["stage"] == stages[1]


def test_the_therapist_edits_the_patients_copy_in_each_language(
    client, alice, carols_assignment, program
):
    client.force_login(alice)
    url = reverse("admin:patients_assignment_change", args=[carols_assignment.pk])
    form = client.get(url).context["adminform"].form
    assert {"name_de", "name_es", "goal_de", "education_es"} <= set(form.fields)
    items = [item_data(item) for item in carols_assignment.items.all()]
    response = client.post(
        url, assignment_form(carols_assignment, items, name_de="Hüfte: Ihre Übungen")
    )
    assert response.status_code == 302
    carols_assignment.refresh_from_db()
    assert carols_assignment.name_de == "Hüfte: Ihre Übungen"
    assert carols_assignment.name_en == program.name_en
    program.refresh_from_db()
    assert program.name_de != "Hüfte: Ihre Übungen"
