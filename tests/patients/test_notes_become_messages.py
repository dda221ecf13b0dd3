"""The migration that turns each session note into the patient's message."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0011_messages")]
AFTER = [("patients", "0012_session_notes_become_messages")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_each_note_becomes_a_message_from_the_patient_of_that_session(carol, dave):
    from tests.factories import AssignmentFactory

    carol_program = AssignmentFactory(patient=carol)
    dave_program = AssignmentFactory(patient=dave)
    apps = migrate(BEFORE)
    try:
        Session = apps.get_model("patients", "Session")
        done = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
        noted = Session.objects.create(
            assignment_id=carol_program.pk,
            patient_id=carol.pk,
            performed_on=datetime.date(2026, 3, 2),
            status="completed",
            completed_at=done,
            note="My hip clicked",
        )
        Session.objects.create(
            assignment_id=dave_program.pk,
            patient_id=dave.pk,
            performed_on=datetime.date(2026, 3, 2),
            status="completed",
            note="",
        )
        apps = migrate(AFTER)
        Message = apps.get_model("patients", "Message")
        (message,) = Message.objects.all()
        assert (message.patient_id, message.clinic_id, message.author_id) == (
            carol.pk,
            carol.clinic_id,
            carol.user_id,
        )
        assert (message.body, message.session_id, message.from_patient) == (
            "My hip clicked",
            noted.pk,
            True,
        )
        assert message.created_at == done and message.read_at is None
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
