"""Five weeks of reminders for patients in four time zones, through three clock changes.

Every 30 minutes of simulated time one dispatch pass runs; the patients act on what they
are sent (do the session, answer the check-in). The list of messages sent must be exactly
the one written out below from the product rules.

Clock changes in the window: New York springs forward on 8 March, London on 29 March
(Lou's 01:30 does not exist that night), Sydney falls back on 5 April (Sue's 02:30
happens twice that night).
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from patients.checkins import checkin_record
from patients.models import (
    Answer,
    AssignmentStatus,
    Reminder,
    Session,
    SessionStatus,
    StageChange,
)
from patients.reminders import dispatch_pass_inline
from tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)
FIRST_PASS = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
LAST_PASS = datetime.datetime(2026, 4, 6, 12, 0, tzinfo=datetime.UTC)
EVERY = datetime.timedelta(minutes=30)

# One letter per local day from Monday 2 March: S session reminder, C check-in question,
# B both in one message, . nothing. Weeks are separated by spaces for the eye.
DOES_EVERYTHING = "SC.SC.. SCSCSC. SCSCSC. SCSCSC. SCSCSC. S"  # Start, then Build (not advanced)
ADVANCED = "SC.SC.. SCSCSC. SCSCSC. SBBBBBB BBBBBBB B"  # Daily after two good Build weeks
MONDAYS_ONLY = "SC.S... SC.S... SC.S... SC.S... SC.S... S"  # misses Thursdays: stays at Start

# email: (time zone, local reminder time, advanced, does sessions on, pattern,
#         [(first local day, UTC time of the reminder from that day on)])
PATIENTS = {
    "ann@london.example": (
        "Europe/London", "08:00", False, "all", DOES_EVERYTHING,
        [(MONDAY, "08:00"), (datetime.date(2026, 3, 29), "07:00")],
    ),
    "lou@london.example": (
        "Europe/London", "01:30", True, "all", ADVANCED,
        # 29 March: 01:30 is skipped, the reminder goes at 02:00 BST, the first valid instant.
        [(MONDAY, "01:30"), (datetime.date(2026, 3, 29), "01:00"),
         (datetime.date(2026, 3, 30), "00:30")],
    ),
    "ned@newyork.example": (
        "America/New_York", "07:00", False, "all", DOES_EVERYTHING,
        [(MONDAY, "12:00"), (datetime.date(2026, 3, 8), "11:00")],
    ),
    "sue@sydney.example": (
        # The local day starts the UTC day before; 5 April's 02:30 is sent once, the first time.
        "Australia/Sydney", "02:30", True, "all", ADVANCED,
        [(MONDAY, "-1 15:30"), (datetime.date(2026, 4, 6), "-1 16:30")],
    ),
    "kim@kolkata.example": (
        "Asia/Kolkata", "08:00", False, "mondays", MONDAYS_ONLY,
        [(MONDAY, "02:30")],
    ),
}  # fmt: skip


# Each patient's language: their reminders and the reasons of their stage changes use it.
LANGUAGES = {
    "ann@london.example": "en",
    "lou@london.example": "de",
    "ned@newyork.example": "es",
    "sue@sydney.example": "de",
    "kim@kolkata.example": "es",
}
# The subjects a reminder can have, without the clinic's name.
SUBJECTS = (
    "Today's session, and how do you feel after yesterday's?",
    "Today's session is ready",
    "How do you feel after yesterday's session?",
)
# The promotion's reason: "%(sessions)s this week: last week you did …".
THIS_WEEK = {"en": "this week:", "de": "diese Woche:", "es": "esta semana:"}


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def march(day: int) -> datetime.date:
    return datetime.date(2026, 3, day)


def expected_messages() -> list[tuple]:
    expected = []
    for email, (_tz, _at, _adv, _does, pattern, times) in PATIENTS.items():
        for offset, letter in enumerate(pattern.replace(" ", "")):
            if letter == ".":
                continue
            day = MONDAY + offset * DAY
            utc = next(time for since, time in reversed(times) if since <= day)
            days_before = 1 if utc.startswith("-1 ") else 0
            clock = datetime.time.fromisoformat(utc.removeprefix("-1 "))
            instant = datetime.datetime.combine(day - days_before * DAY, clock, datetime.UTC)
            expected.append((email, instant, letter in "SB", letter in "CB"))
    return sorted(expected)


def patient_acts_on(reminder: Reminder, now: datetime.datetime) -> None:
    does = PATIENTS[reminder.patient.email][3]
    for item in reminder.items:
        if item["kind"] == "checkin":
            session = Session.objects.get(pk=item["session"])
            checkin_record(session=session, answer=Answer.FINE, today=reminder.local_date)
        elif does == "all" or reminder.local_date.weekday() == 0:
            Session.objects.create(
                assignment_id=item["assignment"],
                patient=reminder.patient,
                performed_on=reminder.local_date,
                status=SessionStatus.COMPLETED,
                completed_at=now,
            )


def test_a_simulated_month_sends_exactly_the_expected_messages_in_every_time_zone():
    for email, (tz, at, advanced, _does, _pattern, _times) in PATIENTS.items():
        AssignmentFactory(
            patient__email=email,
            patient__first_name=email.split("@")[0].title(),
            patient__timezone=tz,
            patient__language=LANGUAGES[email],
            reminder_time=datetime.time.fromisoformat(at),
            advanced=advanced,
            start_date=MONDAY,
        )
    # Nobody else may get anything: a paused program, and a patient who unsubscribed.
    AssignmentFactory(start_date=MONDAY, status=AssignmentStatus.PAUSED)
    AssignmentFactory(
        start_date=MONDAY, patient__reminders_opted_out_at=FIRST_PASS - datetime.timedelta(1)
    )

    now = FIRST_PASS
    with time_machine.travel(now, tick=False) as clock:
        while now <= LAST_PASS:
            clock.move_to(now)
            if dispatch_pass_inline(now)["sent"]:
                for reminder in Reminder.objects.filter(sent_at=now).select_related("patient"):
                    patient_acts_on(reminder, now)
            now += EVERY

    sent = sorted(
        Reminder.objects.filter(status="sent").values_list(
            "patient__email", "sent_at", "includes_session", "includes_checkin"
        )
    )
    assert sent == expected_messages()
    promotions = StageChange.objects.values_list(
        "assignment__patient__email", "effective_on", "to_stage"
    )
    assert sorted(promotions) == [
        ("ann@london.example", march(9), "build"),
        ("lou@london.example", march(9), "build"),
        ("lou@london.example", march(23), "daily"),
        ("ned@newyork.example", march(9), "build"),
        ("sue@sydney.example", march(9), "build"),
        ("sue@sydney.example", march(23), "daily"),
    ]
    assert len(mail.outbox) == len(sent)
    assert sorted(m.to[0] for m in mail.outbox) == [row[0] for row in sent]
    # Every message in its patient's language, whatever the others' in the same pass.
    for message in mail.outbox:
        language = LANGUAGES[message.to[0]]
        subjects = {in_language(language, subject) for subject in SUBJECTS}
        assert message.subject.rsplit(" — ", 1)[0] in subjects, (language, message.subject)
        name = message.to[0].split("@")[0].title()
        with translation.override(language):
            hello = translation.gettext("Hello %(name)s,") % {"name": name}
        assert message.body.startswith(hello)
        assert f'lang="{language}"' in message.alternatives[0][0]
    assert {LANGUAGES[m.to[0]] for m in mail.outbox} == {"en", "de", "es"}
    # The reasons patients read, stored in their language.
    for email, reason in StageChange.objects.values_list("assignment__patient__email", "reason"):
        assert THIS_WEEK[LANGUAGES[email]] in reason, (email, reason)


def test_the_expected_list_covers_each_clock_change():
    london, sydney = zoneinfo.ZoneInfo("Europe/London"), zoneinfo.ZoneInfo("Australia/Sydney")
    expected = expected_messages()
    lou = [instant for email, instant, *_ in expected if email.startswith("lou")]
    spring = datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)
    assert spring in lou
    assert spring.astimezone(london).strftime("%H:%M %Z") == "02:00 BST"
    sue = [instant for email, instant, *_ in expected if email.startswith("sue")]
    fall = datetime.datetime(2026, 4, 4, 15, 30, tzinfo=datetime.UTC)
    assert fall in sue
    assert fall.astimezone(sydney).strftime("%d %H:%M %Z") == "05 02:30 AEDT"
    assert fall + datetime.timedelta(hours=1) not in sue  # the second 02:30 that night
