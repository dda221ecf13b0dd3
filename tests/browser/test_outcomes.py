"""Outcome questionnaires in a real browser: a patient completes the PSFS on a phone
(390×844), and a therapist reads the trend with its MCID band at a desk (1366×900), on the
report's patient page and on the patient's story."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from patients.models import AssignmentQuestionnaire, OutcomeResponse
from programs.models import Questionnaire
from programs.services import starter_questionnaires_load
from tests.factories import PASSWORD, AssignmentFactory, outcome_response, psfs_answers

from .conftest import axe_violations, patient_signs_in, staff_signs_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
SHOTS = "outcomes/"


def today_of(patient):
    return datetime.datetime.now(zoneinfo.ZoneInfo(patient.timezone)).date()


def no_serious_violations(page, where):
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def test_a_patient_completes_the_psfs_on_a_phone(live_server, new_page, shoot, carol):
    starter_questionnaires_load()
    psfs = Questionnaire.objects.get(clinic=None, code="psfs")
    assignment = AssignmentFactory(patient=carol, start_date=today_of(carol))
    AssignmentQuestionnaire.objects.create(assignment=assignment, questionnaire=psfs)
    page = new_page(viewport=PHONE)
    patient_signs_in(page, live_server.url, carol.email)
    shoot(page, SHOTS + "1-today-questionnaire-due")
    no_serious_violations(page, "today")
    page.get_by_role("button", name="Answer: Patient-Specific Functional Scale (PSFS)").click()

    expect(page.get_by_text("Question 1 of 5")).to_be_visible()
    no_serious_violations(page, "question 1")
    # Careless: nothing filled in, then sent. A message per item, nothing saved.
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    expect(page.get_by_text("Please answer this question.")).to_have_count(2)
    shoot(page, SHOTS + "2-missing-answers")
    no_serious_violations(page, "question 1 with errors")

    for number, (name, rating) in enumerate(
        (("Walking to the shop", 3), ("Climbing stairs", 4), ("Gardening", 6)), start=1
    ):
        expect(page.get_by_text(f"Question {number} of 5")).to_be_visible()
        page.get_by_label("An important activity").fill(name)
        page.get_by_role("radio", name=str(rating), exact=True).check()
        if number == 2:
            shoot(page, SHOTS + "3-question-2")
        page.get_by_role("button", name="Save and continue").click()
    # Two optional activities left empty.
    for number in (4, 5):
        expect(page.get_by_text(f"Question {number} of 5")).to_be_visible()
        label = "Save and continue" if number == 4 else "Save and check my answers"
        page.get_by_role("button", name=label).click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    shoot(page, SHOTS + "4-review")
    no_serious_violations(page, "review")
    # Hostile or hurried: the same review open in a second tab, to send twice.
    second_tab = page.context.new_page()
    second_tab.goto(page.url)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Your answers are sent")).to_be_visible()
    expect(page.get_by_text("Score: 4.33")).to_be_visible()
    shoot(page, SHOTS + "5-sent")
    no_serious_violations(page, "sent")

    # Sending again from the second tab changes nothing.
    second_tab.get_by_role("button", name="Send my answers").click()
    expect(second_tab.get_by_text("These answers were already sent")).to_be_visible()
    # Going back to the form shows the sent answers, not a form to change them.
    page.go_back()
    expect(page.get_by_role("heading", name="Your answers are sent")).to_be_visible()
    response = OutcomeResponse.objects.get()
    assert response.status == "submitted" and response.score == 4.33
    assert response.answers["activity-1-name"] == "Walking to the shop"
    page.goto(live_server.url + "/")
    expect(page.get_by_text("A few questions from your therapist")).to_have_count(0)


def test_a_therapist_reads_the_trend_with_the_mcid_band(live_server, new_page, shoot, alice, carol):
    start = today_of(carol) - datetime.timedelta(weeks=8)
    assignment = AssignmentFactory(patient=carol, start_date=start, therapist=alice.staff)
    for weeks, ratings, pain in ((0, (2, 3, 3), 7), (4, (4, 5, 5), 5), (8, (6, 7, 7), 3)):
        day = start + datetime.timedelta(weeks=weeks)
        outcome_response(assignment, "psfs", day, psfs_answers(*ratings))
        outcome_response(assignment, "nprs", day, {"pain": pain})
    page = new_page(viewport=DESK)
    staff_signs_in(page, live_server.url, alice.email)
    page.goto(f"{live_server.url}/admin/reports/adherencereport/patient/{assignment.pk}/")
    section = page.locator("section.outcome-trends")
    expect(section.get_by_role("heading", name="Questionnaire scores")).to_be_visible()
    expect(section.get_by_text("Better by 4: more than the MCID (2).")).to_have_count(2)
    expect(section.locator("svg rect.chart-band")).to_have_count(2)
    expect(section.locator("svg circle.chart-dot")).to_have_count(6)
    section.scroll_into_view_if_needed()
    shoot(page, SHOTS + "6-therapist-trend")
    no_serious_violations(page, "therapist trend")

    # The same trend on the patient's story, between the messages and the timeline.
    page.goto(f"{live_server.url}/admin/patients/patient/{carol.pk}/story/")
    section = page.locator("section.outcome-trends")
    expect(section).to_have_count(1)
    expect(section.get_by_role("heading", level=2)).to_have_text(
        f"Questionnaire scores · {assignment.name}"
    )
    expect(section.get_by_text("Better by 4: more than the MCID (2).")).to_have_count(2)
    expect(section.locator("svg rect.chart-band")).to_have_count(2)
    expect(section.locator("svg circle.chart-dot")).to_have_count(6)
    chart = section.locator("svg.report-chart").first
    assert chart.bounding_box()["width"] >= 600  # the main column's width, readable
    section.scroll_into_view_if_needed()
    shoot(page, SHOTS + "7-therapist-story-trend")
    no_serious_violations(page, "therapist story trend")


def test_a_german_patient_reads_the_psfs_in_german_on_a_phone(live_server, new_page, shoot, carol):
    starter_questionnaires_load()
    carol.language = "de"
    carol.save(update_fields=["language"])
    psfs = Questionnaire.objects.get(clinic=None, code="psfs")
    assignment = AssignmentFactory(patient=carol, start_date=today_of(carol))
    AssignmentQuestionnaire.objects.create(assignment=assignment, questionnaire=psfs)
    page = new_page(viewport=PHONE)
    page.goto(live_server.url + "/login/")
    page.get_by_label("Email").fill(carol.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Patientenspezifische Funktionsskala (PSFS)").click()
    expect(page.get_by_role("heading", name="Aktivität 1")).to_be_visible()
    expect(page.get_by_text("Wie gut können Sie diese Aktivität heute ausführen?")).to_be_visible()
    expect(page.get_by_text("How able are you")).to_have_count(0)
    shoot(page, SHOTS + "5-question-1-german")
    no_serious_violations(page, "question 1 in German")
