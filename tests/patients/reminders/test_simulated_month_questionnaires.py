"""Five weeks of reminders with questionnaires due: still at most one message a day.

A weekly pain scale and a two-weekly PSFS are due on Mondays. Ann trains and answers
them when reminded; Kim trains on Mondays only and never answers, so the questions ride
on each of her messages for a week after they fall due; Pat trains on Tuesdays, Thursdays
and Saturdays, so her Mondays are rest days and the questions alone bring a message then.
One dispatch pass runs every 30 minutes of simulated time, from Sunday 1 March to Sunday
5 April 2026: five whole weeks, the turn of the month (the PSFS of Monday 30 March rides
on Kim's messages into April), and London's spring-forward on 29 March (from then on
Ann's and Pat's 08:00 is 07:00 UTC).
"""

import datetime
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core import mail

from patients import outcomes
from patients.checkins import checkin_record
from patients.models import (
    Answer,
    AssignmentQuestionnaire,
    OutcomeResponse,
    Reminder,
    Session,
    SessionStatus,
)
from patients.reminders import dispatch_pass_inline
from programs.models import Questionnaire
from programs.services import starter_questionnaires_load
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)
FIRST_PASS = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
LAST_PASS = datetime.datetime(2026, 4, 5, 23, 0, tzinfo=datetime.UTC)
EVERY = datetime.timedelta(minutes=30)

ANSWERS = {
    "nprs": {"pain": 3},
    "psfs": {
        f"activity-{n}-{part}": value
        for n, name in enumerate(("Walking", "Stairs", "Lifting"), start=1)
        for part, value in (("name", name), ("score", 5))
    },
}
# email: (time zone, preferred weekdays, trains on, answers questionnaires)
PATIENTS = {
    "ann@london.example": ("Europe/London", [], "all", True),
    "kim@kolkata.example": ("Asia/Kolkata", [], "mondays", False),
    "pat@london.example": ("Europe/London", [1, 3, 5], "all", True),
}


def acts_on(reminder: Reminder, now: datetime.datetime) -> None:
    _tz, _days, trains, answers = PATIENTS[reminder.patient.email]
    for item in reminder.items:
        if item["kind"] == "checkin":
            session = Session.objects.get(pk=item["session"])
            checkin_record(session=session, answer=Answer.FINE, today=reminder.local_date)
        elif item["kind"] == "session" and (trains == "all" or reminder.local_date.weekday() == 0):
            Session.objects.create(
                assignment_id=item["assignment"],
                patient=reminder.patient,
                performed_on=reminder.local_date,
                status=SessionStatus.COMPLETED,
                completed_at=now,
            )
        elif item["kind"] == "questionnaire" and answers:
            questionnaire = Questionnaire.objects.get(pk=item["questionnaire"])
            response = outcomes.response_start(
                assignment=reminder.patient.assignments.get(pk=item["assignment"]),
                questionnaire=questionnaire,
                occasion=datetime.date.fromisoformat(item["occasion"]),
            )
            response.answers = ANSWERS[questionnaire.code]
            response.save()
            outcomes.response_submit(response=response, today=reminder.local_date)


def test_questionnaires_ride_on_the_reminders_and_nobody_gets_two_messages_a_day():
    starter_questionnaires_load()
    nprs = Questionnaire.objects.get(code="nprs", clinic=None)
    psfs = Questionnaire.objects.get(code="psfs", clinic=None)
    for email, (tz, weekdays, _trains, _answers) in PATIENTS.items():
        assignment = AssignmentFactory(
            patient__email=email,
            patient__first_name=email.split("@")[0].title(),
            patient__timezone=tz,
            preferred_weekdays=weekdays,
            start_date=MONDAY,
        )
        AssignmentQuestionnaire.objects.create(
            assignment=assignment, questionnaire=nprs, at_start=True, every_weeks=1
        )
        AssignmentQuestionnaire.objects.create(
            assignment=assignment, questionnaire=psfs, at_start=True, every_weeks=2
        )

    now = FIRST_PASS
    with time_machine.travel(now, tick=False) as clock:
        while now <= LAST_PASS:
            clock.move_to(now)
            if dispatch_pass_inline(now)["sent"]:
                for reminder in Reminder.objects.filter(sent_at=now).select_related("patient"):
                    acts_on(reminder, now)
            now += EVERY

    sent = list(Reminder.objects.filter(status="sent").select_related("patient"))
    # Never a second message on any day, and every claimed message was sent.
    per_day = Counter((r.patient.email, r.local_date) for r in sent)
    assert max(per_day.values()) == 1
    assert len(mail.outbox) == len(sent)
    assert not Reminder.objects.exclude(status__in=["sent", "skipped"]).exists()

    def days(email, kind=None):
        return sorted(
            (r.local_date - MONDAY).days
            for r in sent
            if r.patient.email == email
            and (kind is None or any(i["kind"] == kind for i in r.items))
        )

    def asked(email, code):
        wanted = {"nprs": nprs.pk, "psfs": psfs.pk}[code]
        return sorted(
            (r.local_date - MONDAY).days
            for r in sent
            if r.patient.email == email and any(i.get("questionnaire") == wanted for i in r.items)
        )

    # Ann answers on Mondays: her messages are the sessions' and check-ins' days only.
    build_week = [0, 1, 2, 3, 4, 5]  # sessions Monday, Wednesday, Friday; check-ins next day
    assert days("ann@london.example") == [0, 1, 3, 4] + [
        week * 7 + day for week in (1, 2, 3, 4) for day in build_week
    ]
    assert asked("ann@london.example", "nprs") == [0, 7, 14, 21, 28]
    assert asked("ann@london.example", "psfs") == [0, 14, 28]
    # Kim never answers: the questions ride on her messages for a week, never adding one.
    kim = [week * 7 + day for week in range(5) for day in (0, 1, 3)]  # stays at Start
    assert days("kim@kolkata.example") == kim
    assert asked("kim@kolkata.example", "nprs") == kim
    # The PSFS of day 0 (2 March) still rides on day 7; the one of day 28 (30 March)
    # rides into April (days 29 and 31 are 31 March and 2 April).
    assert asked("kim@kolkata.example", "psfs") == [0, 1, 3, 7, 14, 15, 17, 21, 28, 29, 31]
    # Pat's Mondays are rest days: the questions alone bring the message, once.
    assert asked("pat@london.example", "nprs") == [0, 7, 14, 21, 28]
    assert asked("pat@london.example", "psfs") == [0, 14, 28]
    assert days("pat@london.example", "session") == [1, 3] + [
        week * 7 + day for week in (1, 2, 3, 4) for day in (1, 3, 5)
    ]
    assert 0 not in days("pat@london.example", "session")
    for monday in (0, 7, 14, 21, 28):
        (message,) = [
            r
            for r in sent
            if r.patient.email.startswith("pat") and r.local_date == MONDAY + monday * DAY
        ]
        assert {item["kind"] for item in message.items} == {"questionnaire"}
    # Each questionnaire due rides on a message of its day: every occasion was asked.
    for email in PATIENTS:
        assert {0, 7, 14, 21, 28} <= set(asked(email, "nprs"))
        assert {0, 14, 28} <= set(asked(email, "psfs"))
    assert OutcomeResponse.objects.filter(patient__email="kim@kolkata.example").count() == 0
    for email in ("ann@london.example", "pat@london.example"):
        assert OutcomeResponse.objects.filter(patient__email=email).count() == 5 + 3
        answered = OutcomeResponse.objects.filter(patient__email=email, submitted_at__isnull=False)
        assert sorted(answered.values_list("questionnaire__code", "occasion")) == sorted(
            [("nprs", MONDAY + week * 7 * DAY) for week in range(5)]
            + [("psfs", MONDAY + week * 7 * DAY) for week in (0, 2, 4)]
        )
    # Every message at the patient's 08:00 local, whatever the offset: London's moves from
    # 08:00 to 07:00 UTC on 29 March (a Sunday, with nothing to send), Kolkata's stays.
    for reminder in sent:
        tz = zoneinfo.ZoneInfo(PATIENTS[reminder.patient.email][0])
        local = reminder.sent_at.astimezone(tz)
        assert (local.date(), local.strftime("%H:%M")) == (reminder.local_date, "08:00")
    london = {
        r.sent_at.strftime("%H:%M")
        for r in sent
        if r.patient.email.endswith("london.example") and r.local_date >= datetime.date(2026, 3, 30)
    }
    assert london == {"07:00"}
    # The email says that questions wait, never which ones (no health data in email).
    pats = [m for m in mail.outbox if m.to == ["pat@london.example"]]
    monday = next(m for m in pats if "A few questions" in m.subject)
    assert "short questions" in monday.body
    assert "Pain" not in monday.body and "PSFS" not in monday.body
