"""Whose language: the patient's record, then the browser; staff choose their own.

Emails go out in the recipient's language; content falls back to English where a clinic's
own text has no translation.
"""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from clinic.mail import PasswordResetForm
from patients.models import Patient
from programs.models import Exercise
from programs.services import exercise_copy_to_clinic
from tests.factories import (
    AssignmentFactory,
    ExerciseFactory,
    PrescriptionItemFactory,
)

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_follows_the_browser(client):
    page = client.get(reverse("patients:login"), HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "es"
    assert "Iniciar sesión" in page.content.decode()
    assert '<html lang="es">' in page.content.decode()


def test_a_patient_reads_their_site_in_the_language_of_their_record_not_the_browsers(client, carol):
    carol.language = "de"
    carol.save()
    client.force_login(carol.user)
    page = client.get(reverse("patients:home"), HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "de"
    assert "Ihre Therapeutin / Ihr Therapeut hat Ihnen noch kein Programm gegeben." in (
        page.content.decode()
    )


def test_a_patient_changes_their_language_and_emails_follow(client, carol):
    client.force_login(carol.user)
    page = client.post(reverse("patients:settings"), {"language": "es"}, follow=True)
    assert page.status_code == 200
    assert "Guardado: Flexion ahora te habla en este idioma." in page.content.decode()
    carol.refresh_from_db()
    assert carol.language == "es"
    form = PasswordResetForm({"email": carol.email})
    assert form.is_valid()
    form.save(domain_override="flexion.test")
    assert mail.outbox[-1].subject == "Elige una nueva contraseña de Flexion"


@pytest.mark.parametrize("value", ["fr", "", "de\x00", "x" * 500])
def test_a_language_that_is_not_offered_is_refused_and_nothing_changes(client, carol, value):
    client.force_login(carol.user)
    page = client.post(reverse("patients:settings"), {"language": value})
    assert page.status_code == 400
    assert Patient.objects.get(pk=carol.pk).language == "en"


def test_staff_cannot_use_the_patients_settings(client, alice):
    client.force_login(alice)
    assert client.get(reverse("patients:settings")).status_code == 403


def test_a_staff_member_chooses_their_language_for_the_admin(client, alice):
    client.force_login(alice)
    client.post(reverse("staff_language"), {"language": "de"})
    alice.refresh_from_db()
    assert alice.language == "de"
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "de"
    client.post(reverse("staff_language"), {"language": ""})
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "es"  # empty: the browser's


def test_a_refused_staff_language_changes_nothing(client, alice):
    client.force_login(alice)
    assert client.post(reverse("staff_language"), {"language": "xx"}).status_code == 400
    alice.refresh_from_db()
    assert alice.language == ""


def test_patients_cannot_open_the_staff_language_page(client, carol):
    client.force_login(carol.user)
    assert client.get(reverse("staff_language")).status_code in (302, 403)


def test_a_new_patient_starts_in_the_therapists_language(client, alice):
    alice.language = "es"
    alice.save()
    client.force_login(alice)
    page = client.get(reverse("admin:patients_patient_add"))
    assert page.context["adminform"].form.initial["language"] == "es"


def test_an_invitation_page_speaks_the_invited_patients_language(client, carol, after_commit):
    from patients.invitations import invitation_send

    carol.language = "es"
    carol.save()
    with after_commit():
        invitation_send(patient=carol)
    assert mail.outbox[-1].subject == f"{carol.clinic.name} te invita a tus ejercicios en casa"
    link = mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]
    page = client.get(reverse("patients:invitation", args=[link]), HTTP_ACCEPT_LANGUAGE="de")
    assert "Bienvenido a tus ejercicios en casa" in page.content.decode()


def test_a_clinics_own_text_without_a_translation_shows_in_english(client, carol):
    exercise = ExerciseFactory(clinic=carol.clinic, name="Bridge", steps=["Lift the hips."])
    assignment = AssignmentFactory(patient=carol, clinic=carol.clinic)
    PrescriptionItemFactory(assignment=assignment, exercise=exercise)
    with translation.override("de"):
        assert (exercise.name, exercise.steps) == ("Bridge", ["Lift the hips."])
    exercise.name_de, exercise.steps_de = "Brücke", ["Heben Sie das Becken."]
    exercise.save()
    with translation.override("de"):
        assert (exercise.name, exercise.steps) == ("Brücke", ["Heben Sie das Becken."])
    with translation.override("es"):
        assert (exercise.name, exercise.steps) == ("Bridge", ["Lift the hips."])
    assert Exercise.objects.get(pk=exercise.pk).name == "Bridge"  # the plain column: English


def test_what_is_missing_is_each_language_without_the_english_texts():
    exercise = ExerciseFactory(name="Bridge", summary="Lift the hips.")
    assert exercise.missing_translations == ["de", "es"]
    exercise.name_de, exercise.summary_de, exercise.steps_de = "Brücke", "Becken heben.", ["x"]
    exercise.save()
    assert exercise.missing_translations == ["es"]


def test_the_admin_lists_and_filters_the_missing_translations(client, alice):
    from clinic.tenancy import staff_clinic_id

    clinic_id = staff_clinic_id(alice)
    done = ExerciseFactory(clinic_id=clinic_id, name="Bridge", steps=[])
    done.name_de, done.name_es = "Brücke", "Puente"
    done.save()
    ExerciseFactory(clinic_id=clinic_id, name="Plank", steps=[])
    client.force_login(alice)
    listing = client.get(reverse("admin:programs_exercise_changelist") + "?library=own")
    assert "de, es" in listing.content.decode()
    german = client.get(
        reverse("admin:programs_exercise_changelist") + "?library=own&missing_translation=de"
    )
    names = [row.name for row in german.context["cl"].result_list]
    assert names == ["Plank"]


def test_the_admin_edits_english_in_the_plain_fields_and_each_language_in_its_own(client, alice):
    from clinic.tenancy import staff_clinic_id

    exercise = ExerciseFactory(clinic_id=staff_clinic_id(alice), name="Bridge", steps=["Lift."])
    alice.language = "de"
    alice.save()
    client.force_login(alice)
    url = reverse("admin:programs_exercise_change", args=[exercise.pk])
    form = client.get(url).context["adminform"].form
    assert form.initial["name"] == "Bridge" and form.initial["name_de"] is None
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("body_regions", "equipment")
    }
    data.update(
        {
            "steps": "Lift.",
            "steps_de": "Heben Sie das Becken.\nHalten.",
            "name_de": "Brücke",
            "variations-TOTAL_FORMS": "0",
            "variations-INITIAL_FORMS": "0",
            "pictures-TOTAL_FORMS": "0",
            "pictures-INITIAL_FORMS": "0",
        }
    )
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    exercise.refresh_from_db()
    assert (exercise.name_en, exercise.name_de, exercise.steps_de) == (
        "Bridge",
        "Brücke",
        ["Heben Sie das Becken.", "Halten."],
    )


def test_a_copy_of_a_shared_exercise_keeps_every_language(clinic_a):
    shared = ExerciseFactory(clinic=None, name="Bridge", steps=["Lift."])
    shared.name_de, shared.steps_de = "Brücke", ["Heben."]
    shared.save()
    with translation.override("de"):
        copy, created = exercise_copy_to_clinic(exercise=shared, clinic=clinic_a)
    assert created
    assert (copy.name_en, copy.name_de, copy.steps_de, copy.name_es) == (
        "Bridge",
        "Brücke",
        ["Heben."],
        None,
    )


def test_the_api_reads_and_writes_a_patients_language(alice, carol):
    from tests.api.conftest import client_logged_in

    api = client_logged_in(alice)
    url = f"/api/v1/patients/{carol.pk}/"
    answer = api.patch(url, {"language": "de"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["language"] == "de"
    refused = api.patch(url, {"language": "fr"}, format="json")
    assert refused.status_code == 400
    assert Patient.objects.get(pk=carol.pk).language == "de"


def test_a_message_notice_speaks_each_readers_language(carol, alice, after_commit):
    from patients.messages import message_send

    carol.language, carol.therapist = "es", alice.staff
    carol.save()
    alice.language = "de"
    alice.save()
    with translation.override("en"), after_commit():
        message_send(patient=carol, author=carol.user, body="Knee", from_patient=True)
    with translation.override("en"), after_commit():
        message_send(patient=carol, author=alice, body="Fine", from_patient=False)
    to_alice, to_carol = mail.outbox
    assert to_alice.to == [alice.email] and to_carol.to == [carol.email]
    assert to_alice.subject == "Eine Patientin / ein Patient hat eine neue Nachricht gesendet"
    assert '<html lang="de">' in to_alice.alternatives[0][0]
    assert to_carol.subject == f"Un mensaje nuevo de {carol.clinic.name}"
    assert "Por tu privacidad, el mensaje no aparece en este correo." in to_carol.body
    assert '<html lang="es">' in to_carol.alternatives[0][0]


def test_a_staff_invitation_speaks_the_colleagues_language(client, alma, after_commit):
    from clinic.invitations import staff_invitation_send
    from clinic.models import StaffMember

    alma.language = "de"
    alma.save()
    client.force_login(alma)
    data = {"email": "gina@a.example", "full_name": "Gina", "role": "therapist", "is_active": "on"}
    with after_commit():
        client.post(reverse("admin:clinic_staffmember_add"), data)
    gina = StaffMember.objects.get(user__email="gina@a.example")
    assert gina.user.language == "de"  # the language of the admin who added her
    (first,) = mail.outbox
    assert first.subject == f"{alma.staff.clinic.name} lädt Sie zu Flexion ein"
    gina.user.language = "es"
    gina.user.save()
    mail.outbox.clear()
    with translation.override("en"), after_commit():
        staff_invitation_send(staff=gina)
    (again,) = mail.outbox
    assert again.subject == f"{alma.staff.clinic.name} te invita a Flexion"
    assert "Ten el móvil a mano" in again.body
