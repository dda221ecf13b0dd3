# The audit trail stays append-only, with one exception: an erasure (patients.privacy)
# may rewrite the free-text columns (extra, object_repr, actor_repr) of existing events to
# remove the erased patient's name or email, and nothing else. It says so with
# SET LOCAL flexion.audit_erasure = 'on' inside its own transaction.

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION clinic_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('flexion.audit_erasure', true) = 'on'
       AND NEW.id = OLD.id
       AND NEW.at = OLD.at
       AND NEW.action = OLD.action
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.clinic_id IS NOT DISTINCT FROM OLD.clinic_id
       AND NEW.object_type = OLD.object_type
       AND NEW.object_id = OLD.object_id
       AND NEW.patient_id IS NOT DISTINCT FROM OLD.patient_id
       AND NEW.ip IS NOT DISTINCT FROM OLD.ip THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_BACKWARD = """
CREATE OR REPLACE FUNCTION clinic_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
"""
# SQLite (make run only) has no session settings: there an update may change the
# free-text columns only.
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS clinic_auditevent_no_update",
    """CREATE TRIGGER clinic_auditevent_no_update BEFORE UPDATE ON clinic_auditevent
    WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.action IS NOT OLD.action
      OR NEW.actor_id IS NOT OLD.actor_id OR NEW.clinic_id IS NOT OLD.clinic_id
      OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id
      OR NEW.patient_id IS NOT OLD.patient_id OR NEW.ip IS NOT OLD.ip
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS clinic_auditevent_no_update",
    """CREATE TRIGGER clinic_auditevent_no_update BEFORE UPDATE ON clinic_auditevent
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_idempotency_keys"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
