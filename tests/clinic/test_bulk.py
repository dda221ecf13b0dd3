"""Inserting many rows in one statement and leaving alone those already stored."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.bulk import rows_insert_new
from patients.models import Patient, Reminder, ReminderStatus
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)
EIGHT = datetime.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=datetime.UTC)


def reminder_row(patient, day=MONDAY, **fields):
    return {
        "patient_id": patient.pk,
        "local_date": day,
        "due_at": EIGHT,
        "items": [{"kind": "session", "name": 'Hip "flexor" stretches \u2013 l\'après'}],
        **fields,
    }


def test_it_inserts_the_rows_and_returns_the_columns_asked_for(carol, erin):
    inserted = rows_insert_new(
        Reminder, [reminder_row(carol), reminder_row(erin)], returning=("id", "patient")
    )
    assert sorted(patient for _, patient in inserted) == sorted([carol.pk, erin.pk])
    reminder = Reminder.objects.get(patient=carol)
    assert (reminder.local_date, reminder.due_at) == (MONDAY, EIGHT)
    assert reminder.items == reminder_row(carol)["items"]


def test_a_row_a_unique_constraint_already_holds_is_skipped_and_not_returned(carol, erin):
    (first,) = rows_insert_new(Reminder, [reminder_row(carol)], returning=("id",))
    later = reminder_row(carol, due_at=EIGHT.replace(hour=9))
    inserted = rows_insert_new(Reminder, [later, reminder_row(erin)], returning=("patient",))
    assert inserted == [(erin.pk,)]
    assert Reminder.objects.get(patient=carol).due_at == EIGHT
    assert Reminder.objects.get(patient=carol).pk == first[0]


def test_fields_left_out_take_their_defaults_as_with_create(carol):
    before = timezone.now()
    rows_insert_new(Reminder, [reminder_row(carol)])
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        ReminderStatus.CLAIMED,
        0,
        "",
    )
    assert reminder.locked_at is None and reminder.sent_at is None
    assert before <= reminder.claimed_at <= timezone.now()  # auto_now_add


def test_many_rows_take_one_statement_and_none_take_none():
    patients = PatientFactory.create_batch(30)
    with CaptureQueriesContext(connection) as queries:
        assert rows_insert_new(Reminder, []) == []
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        rows_insert_new(Reminder, [reminder_row(patient) for patient in patients])
    assert len(queries) == 1
    assert Reminder.objects.count() == 30


def test_any_of_finds_what_in_finds_with_the_ids_as_one_parameter(carol, erin, dave):
    found = Patient.objects.filter(pk__any_of=[carol.pk, erin.pk, None, carol.pk])
    assert set(found) == {carol, erin}
    sql, params = found.query.sql_with_params()
    assert "= ANY(%s)" in sql
    assert params == ([carol.pk, erin.pk],)


def test_any_of_follows_relations_and_takes_subqueries(carol, erin, dave):
    assert set(Patient.objects.filter(clinic_id__any_of=[carol.clinic_id])) == {carol, erin}
    assert set(Patient.objects.filter(user__email__any_of=["dave@b.example"])) == {dave}
    subquery = Patient.objects.filter(email="erin@a.example").values("pk")
    assert list(Patient.objects.filter(pk__any_of=subquery)) == [erin]


def test_any_of_no_ids_finds_nothing(carol):
    assert not Patient.objects.filter(pk__any_of=[]).exists()
    assert not Patient.objects.filter(pk__any_of=[None]).exists()
