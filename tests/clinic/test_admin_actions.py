"""Every admin action refuses a selection that holds a row the user cannot see.

The walk posts each action every user is offered with one of their own rows (where they
have one) and a row of clinic B (``ADMIN_OBJECTS`` of the URL sweep, which a new admin
must already fill in): the action must be refused whole, with a message, writing nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from clinic.models import AuditAction, AuditEvent
from reports.models import ReportExport
from tests.reports.test_reports_exports import REPORT, history

from .admin_actions import admin_actions
from .test_url_sweep import (
    ADMIN_OBJECTS,
    database_snapshot,
    world,  # noqa: F401  (the fixture: clinic B's rows)
)

pytestmark = pytest.mark.django_db

REFUSED = "Nothing was done"


def post_action(client, action, ids, **extra):
    return client.post(
        action.changelist,
        {"action": action.name, "_selected_action": ids, "index": "0", **extra},
    )


def refusal(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if REFUSED in str(m)]


@pytest.mark.parametrize("who", ["alice", "alma"])
def test_every_admin_action_refuses_a_selection_with_another_clinics_row(
    request,
    who,
    world,  # noqa: F811
):
    user = request.getfixturevalue(who)
    client = Client()
    walked = []
    for action in admin_actions(user):
        client.force_login(user)
        foreign = ADMIN_OBJECTS[action.model_admin.model._meta.label_lower](world).pk
        own = action.visible_ids(user)[:1]
        before = database_snapshot()
        response = post_action(
            client, action, [*own, foreign], start="2026-03-01", end="2026-03-31"
        )
        assert response.status_code == 302, f"{who}: {action.label} answered {response.status_code}"
        assert refusal(response), f"{who}: {action.label} ran with a foreign id"
        assert database_snapshot() == before, f"{who}: {action.label} wrote something"
        walked.append(action.label)
    assert "reports.adherencereport.export_csv" in walked


@pytest.mark.parametrize("bad_id", ["abc", "99999999999999999999", "-1", "1.5", "\x00"])
def test_a_malformed_or_unknown_id_refuses_the_action_too(alma, carol, bad_id):
    client = Client()
    client.force_login(alma)
    [action] = [
        a for a in admin_actions(alma) if a.label == "patients.patient.invite_to_patient_site"
    ]
    response = post_action(client, action, [carol.pk, bad_id])
    assert response.status_code == 302
    assert refusal(response)


def test_the_adherence_export_of_a_selection_with_a_foreign_id_is_refused_and_not_recorded(
    client, alice, carol, dave
):
    chosen, foreign = history(carol), history(dave)
    client.force_login(alice)
    response = client.post(
        REPORT,
        {
            "action": "export_csv",
            "_selected_action": [chosen.pk, foreign.pk],
            "index": "0",
            "start": "2026-03-01",
            "end": "2026-03-31",
        },
    )
    assert response.status_code == 302
    assert refusal(response) == [
        "Nothing was done: 1 selected item is not in your list (deleted, or not yours to see)."
    ]
    assert not ReportExport.objects.exists()
    denied = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert (denied.object_type, denied.object_id) == ("reports.adherencereport", str(foreign.pk))
