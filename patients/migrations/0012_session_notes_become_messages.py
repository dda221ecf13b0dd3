"""Each session note becomes the patient's message, sent when the session was completed."""

from django.db import migrations


def notes_to_messages(apps, schema_editor):
    Session = apps.get_model("patients", "Session")
    Message = apps.get_model("patients", "Message")
    sessions = (
        Session.objects.exclude(note="")
        .select_related("assignment", "patient")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    batch = []
    for session in sessions:
        batch.append(
            Message(
                clinic_id=session.assignment.clinic_id,
                patient_id=session.patient_id,
                author_id=session.patient.user_id,
                from_patient=True,
                body=session.note,
                session_id=session.pk,
                created_at=session.completed_at or session.started_at,
            )
        )
        if len(batch) >= 2000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)


def messages_to_notes(apps, schema_editor):
    Session = apps.get_model("patients", "Session")
    Message = apps.get_model("patients", "Message")
    for message in Message.objects.filter(session__isnull=False, from_patient=True):
        Session.objects.filter(pk=message.session_id).update(note=message.body)
    Message.objects.filter(session__isnull=False, from_patient=True).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0011_messages")]

    operations = [migrations.RunPython(notes_to_messages, messages_to_notes)]
