"""Questionnaires on the patient site: due on the today page, answered screen by screen,
sent once, corrected by a new response, scored by their own version."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from patients import outcomes
from patients.models import AssignmentQuestionnaire, OutcomeResponse, ResponseStatus
from programs.models import Questionnaire
from programs.services import questionnaire_version_save, starter_questionnaires_load
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db


def local_today(tz="Europe/London"):
    return datetime.datetime.now(zoneinfo.ZoneInfo(tz)).date()


@pytest.fixture
def psfs(db):
    starter_questionnaires_load()
    return Questionnaire.objects.get(clinic=None, code="psfs")


def program_with(patient, questionnaire, start=None, **times):
    assignment = AssignmentFactory(patient=patient, start_date=start or local_today())
    AssignmentQuestionnaire.objects.create(
        assignment=assignment, questionnaire=questionnaire, **({"at_start": True} | times)
    )
    return assignment


def start(client, assignment, questionnaire):
    url = reverse("patients:questionnaire_start", args=[assignment.pk, questionnaire.pk])
    return client.post(url)


def answer(client, response, screen, **values):
    url = reverse("patients:response", args=[response.pk]) + f"?screen={screen}"
    return client.post(url, values)


ACTIVITIES = [("Walking", 3), ("Stairs", 4), ("Gardening", 5)]


def fill_psfs(client, response, activities=ACTIVITIES):
    for number, (name, rating) in enumerate(activities, start=1):
        got = answer(
            client,
            response,
            number,
            **{f"activity-{number}-name": name, f"activity-{number}-score": rating},
        )
        assert got.status_code == 302, got.content.decode()


def send(client, response):
    return client.post(reverse("patients:response_send", args=[response.pk]), follow=True)


def test_a_due_questionnaire_shows_on_the_today_page_and_can_be_answered_and_sent(
    client, carol, psfs
):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    page = client.get(reverse("patients:home")).content.decode()
    assert "Answer: Patient-Specific Functional Scale" in page

    got = start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    assert got.url == reverse("patients:response", args=[response.pk])
    assert response.occasion == assignment.start_date and response.status == "draft"
    page = client.get(got.url).content.decode()
    assert "Question 1 of 5" in page and 'name="activity-1-score"' in page

    fill_psfs(client, response)
    review = client.get(reverse("patients:response", args=[response.pk]) + "?screen=6")
    assert "Check your answers" in review.content.decode()
    done = send(client, response)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED and response.score == 4
    assert "Your answers are sent" in done.content.decode()
    assert "Patient-Specific" not in client.get(reverse("patients:home")).content.decode()


def test_out_of_range_and_missing_answers_get_a_message_per_item_and_save_nothing(
    client, carol, psfs
):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    got = answer(client, response, 1, **{"activity-1-name": "", "activity-1-score": "11"})
    assert got.status_code == 400
    page = got.content.decode()
    assert "Please answer this question." in page
    assert "Please choose a number from 0 to 10." in page
    assert "nothing was saved" in page
    got = answer(client, response, 1, **{"activity-1-name": "Walking", "activity-1-score": "-1"})
    assert got.status_code == 400
    response.refresh_from_db()
    assert response.answers == {}


def test_answers_are_saved_as_the_patient_goes_and_resume_where_they_were(client, carol, psfs):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    fill_psfs(client, response, ACTIVITIES[:1])
    # Back on the today page later: the same response continues, with the answer kept.
    page = client.get(reverse("patients:home")).content.decode()
    assert "Continue: Patient-Specific" in page
    start(client, assignment, psfs)
    assert OutcomeResponse.objects.count() == 1
    page = client.get(reverse("patients:response", args=[response.pk]) + "?screen=1")
    assert 'value="Walking"' in page.content.decode()


def test_an_incomplete_response_is_not_sent_and_says_what_is_missing(client, carol, psfs):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    fill_psfs(client, response, ACTIVITIES[:2])
    got = client.post(reverse("patients:response_send", args=[response.pk]))
    assert got.status_code == 400
    assert "Some answers are missing: nothing was sent." in got.content.decode()
    response.refresh_from_db()
    assert response.status == ResponseStatus.DRAFT and response.score is None


def test_sending_twice_keeps_one_response_and_it_never_changes(client, carol, psfs):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    fill_psfs(client, response)
    send(client, response)
    sent_at = OutcomeResponse.objects.get().submitted_at
    again = send(client, response)
    assert "already sent" in again.content.decode()
    # A late POST of a screen cannot change the sent answers either.
    answer(client, response, 1, **{"activity-1-name": "Running", "activity-1-score": "9"})
    response.refresh_from_db()
    assert response.submitted_at == sent_at
    assert response.answers["activity-1-name"] == "Walking"
    assert OutcomeResponse.objects.count() == 1
    url = reverse("patients:questionnaire_start", args=[assignment.pk, psfs.pk])
    assert "not due now" in client.post(url, follow=True).content.decode()


def test_a_correction_is_a_new_response_that_supersedes_the_sent_one(client, carol, psfs):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    first = OutcomeResponse.objects.get()
    fill_psfs(client, first)
    send(client, first)
    got = client.post(reverse("patients:response_correct", args=[first.pk]))
    correction = OutcomeResponse.objects.get(supersedes=first)
    assert got.url == reverse("patients:response", args=[correction.pk])
    assert list(outcomes.current_responses()) == [first]  # until the correction is sent
    fill_psfs(client, correction, [("Walking", 5), ("Stairs", 4), ("Gardening", 6)])
    send(client, correction)
    first.refresh_from_db()
    assert first.score == 4 and first.answers["activity-1-score"] == 3  # kept as it was
    assert list(outcomes.current_responses()) == [OutcomeResponse.objects.get(pk=correction.pk)]
    assert OutcomeResponse.objects.get(pk=correction.pk).score == 5


def test_another_patients_responses_and_programs_do_not_exist(client, carol, erin, dave, psfs):
    theirs = []
    for patient in (erin, dave):
        assignment = program_with(patient, psfs)
        theirs.append(
            outcomes.response_start(
                assignment=assignment, questionnaire=psfs, occasion=assignment.start_date
            )
        )
    client.force_login(carol.user)
    for response in theirs:
        assert client.get(reverse("patients:response", args=[response.pk])).status_code == 404
        for name in ("response_send", "response_correct"):
            assert client.post(reverse(f"patients:{name}", args=[response.pk])).status_code == 404
        got = answer(client, response, 1, **{"activity-1-name": "x", "activity-1-score": "1"})
        assert got.status_code == 404
        assert start(client, response.assignment, psfs).status_code == 404
    assert all(not r.answers for r in OutcomeResponse.objects.all())


def test_an_edited_definition_keeps_old_responses_scored_by_their_own_version(carol, psfs):
    assignment = program_with(carol, psfs)
    first = outcomes.response_start(
        assignment=assignment, questionnaire=psfs, occasion=assignment.start_date
    )
    first.answers = {
        "activity-1-name": "Walking",
        "activity-1-score": 2,
        "activity-2-name": "Stairs",
        "activity-2-score": 4,
        "activity-3-name": "Lifting",
        "activity-3-score": 6,
    }
    first.save()
    outcomes.response_submit(response=first, today=assignment.start_date)
    old = psfs.latest_version()
    edited = dict(old.definition, scoring=dict(old.definition["scoring"], method="sum", max=50))
    new = questionnaire_version_save(questionnaire=psfs, definition=edited)
    assert new.number == old.number + 1
    first.refresh_from_db()
    assert first.version == old and first.score == 4
    assert first.version.parsed.scoring.method == "mean"
    # Saving the same definition again makes no new version.
    assert questionnaire_version_save(questionnaire=psfs, definition=edited) == new


def test_the_patient_reads_their_trend_in_plain_words(client, carol, psfs):
    start_day = local_today() - datetime.timedelta(weeks=4)
    assignment = program_with(carol, psfs, start=start_day, every_weeks=4)
    for occasion, ratings in ((start_day, (3, 4, 5)), (local_today(), (6, 4, 7))):
        response = outcomes.response_start(
            assignment=assignment, questionnaire=psfs, occasion=occasion
        )
        response.answers = {}
        for number, (name, rating) in enumerate(
            zip(("Walking", "Stairs", "Gardening"), ratings, strict=True), start=1
        ):
            response.answers |= {
                f"activity-{number}-name": name,
                f"activity-{number}-score": rating,
            }
        response.save()
        outcomes.response_submit(response=response, today=occasion)
    client.force_login(carol.user)
    page = client.get(reverse("patients:history")).content.decode()
    assert "Your walking score went from 3 to 6." in page
    assert "Your stairs score stayed at 4." in page
    assert "Your gardening score went from 5 to 7." in page


def test_a_follow_up_psfs_starts_with_the_activities_named_before(carol, psfs):
    start_day = local_today() - datetime.timedelta(weeks=2)
    assignment = program_with(carol, psfs, start=start_day, every_weeks=2)
    first = outcomes.response_start(assignment=assignment, questionnaire=psfs, occasion=start_day)
    first.answers = {
        f"activity-{n}-{part}": value
        for n, name in enumerate(("Walking", "Stairs", "Lifting"), start=1)
        for part, value in (("name", name), ("score", 3))
    }
    first.save()
    outcomes.response_submit(response=first, today=start_day)
    due = outcomes.due_questionnaires([assignment], {assignment.pk: local_today()})
    assert [(d.questionnaire, d.occasion) for d in due] == [(psfs, local_today())]
    follow_up = outcomes.response_start(
        assignment=assignment, questionnaire=psfs, occasion=local_today()
    )
    assert follow_up.answers == {
        "activity-1-name": "Walking",
        "activity-2-name": "Stairs",
        "activity-3-name": "Lifting",
    }


def test_hostile_screens_and_answers_are_refused_plainly(client, carol, psfs):
    assignment = program_with(carol, psfs)
    client.force_login(carol.user)
    start(client, assignment, psfs)
    response = OutcomeResponse.objects.get()
    page = reverse("patients:response", args=[response.pk])
    for screen in ("abc", "-5", "0", "99999999999999999999", "6"):
        assert client.get(page, {"screen": screen}).status_code == 200
    got = answer(client, response, 1, **{"activity-1-name": "x" * 5000, "activity-1-score": "3"})
    assert got.status_code == 400 and "under 200 characters" in got.content.decode()
    got = answer(client, response, 1, **{"activity-1-name": "Wa\x00lk", "activity-1-score": "3"})
    assert got.status_code == 400 and "Please use ordinary text." in got.content.decode()
    for value in ("3.5", "1e3", "", "NaN", "\x00"):
        got = answer(client, response, 1, **{"activity-1-name": "Walk", "activity-1-score": value})
        assert got.status_code == 400
    response.refresh_from_db()
    assert response.answers == {}
    # A questionnaire the program does not ask for cannot be started on it.
    ears = Questionnaire.objects.get(clinic=None, code="ears")
    got = client.post(
        reverse("patients:questionnaire_start", args=[assignment.pk, ears.pk]), follow=True
    )
    assert "not due now" in got.content.decode()
    assert OutcomeResponse.objects.count() == 1
    # Correcting a response that was never sent is not a thing.
    url = reverse("patients:response_correct", args=[response.pk])
    assert client.post(url).status_code == 404
