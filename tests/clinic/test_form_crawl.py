"""Post every form of every page with boundary payloads: no server error, no save on a refusal.

The crawl opens every URL pattern of the URL sweep (with clinic A's own rows, so the
forms are really there), finds each ``<form method="post">`` in the page and posts it
back with every field set to one boundary value at a time: NUL, a 20-digit number, a
negative number, far dates, 5,000 characters, odd Unicode. Hidden fields (the CSRF
token, formset management forms) keep their values. A new page with a form is crawled
without a line added here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test import Client

from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory

from .patient_records import patient_records
from .test_url_sweep import ALL_CASES, World, project_patterns, url_for

pytestmark = pytest.mark.django_db

BOUNDARY_VALUES = [
    "\x00",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "x" * 5_000,
    "\u202e\U0001d518\ufeff\u0301",
]
# Where a POST may write even when it refuses: the trail of reads and sign-ins.
WRITTEN_ANYWAY = {"clinic.auditevent", "sessions.session", "admin.logentry"}
# Pages whose form ends the crawl's session or changes who is signed in.
SKIPPED = {"admin:logout", "patients:logout", "admin:password_change", "mfa_setup"}


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name: value as rendered
    editable: list[str] = field(default_factory=list)  # names a person types or picks


class FormFinder(HTMLParser):
    """Collect the POST forms of a page with their fields (as a browser would send them)."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = Form(action=attrs.get("action") or "")
            self.forms.append(self._form)
        form, name = self._form, attrs.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                form.editable.append(name)
                return
            form.fields[name] = attrs.get("value") or ""
            if kind != "hidden":
                form.editable.append(name)
        elif tag == "textarea":
            form.fields[name] = ""
            form.editable.append(name)
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")
            form.editable.append(name)
        elif tag == "option" and self._select and "selected" in attrs:
            form.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[Form]:
    finder = FormFinder()
    finder.feed(html)
    return finder.forms


@pytest.fixture
def own_world(alice, alma, carol, clinic_a, bob, dave, clinic_b):
    """The URL sweep's world, filled with clinic A's rows: the forms alma and carol may use."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clinic.audit import audit_record
    from clinic.models import AuditAction
    from patients.models import Assignment
    from programs.models import Questionnaire
    from programs.pictures import picture_prepare
    from programs.services import exercise_picture_add
    from reports.adherence import ReportScope
    from reports.models import ExportFormat, ReportExport
    from reports.services import export_record
    from tests.pictures import photo_bytes

    lockout = {"username": "carol@a.example", "ip_address": "203.0.113.9", "user_agent": ""}
    records = patient_records(carol, marker="own")
    return World(
        clinic_b=clinic_a,
        bob=alice,
        dave=carol,
        records=records,
        exercise=ExerciseFactory(clinic=clinic_a, name="Own exercise"),
        program=ProgramItemFactory(
            program=ProgramFactory(clinic=clinic_a, name="Own program"),
            exercise=ExerciseFactory(clinic=clinic_a, name="Own item"),
        ).program,
        event=audit_record(action=AuditAction.EXPORT, actor=alice, obj=carol),
        group=Group.objects.create(name="Own group"),
        export=ReportExport.objects.get(
            pk=export_record(
                scope=ReportScope(
                    Assignment.objects.none(),
                    datetime.date(2026, 1, 1),
                    datetime.date(2026, 3, 31),
                    datetime.date(2026, 4, 1),
                ),
                clinic=clinic_a,
                by=alice,
                format=ExportFormat.CSV,
            ).pk
        ),
        questionnaire=Questionnaire.objects.create(clinic=clinic_a, code="own", title="Own"),
        lockouts={
            "axes.accessattempt": AccessAttempt.objects.create(failures_since_start=1, **lockout),
            "axes.accesslog": AccessLog.objects.create(**lockout),
            "axes.accessfailurelog": AccessFailureLog.objects.create(**lockout),
        },
        # A picture of carol's own exercise: she may see it too.
        picture=exercise_picture_add(
            exercise=records["item"].exercise,
            prepared=picture_prepare(SimpleUploadedFile("a.jpg", photo_bytes(size=(64, 48)))),
            alt_text="Own picture",
        ),
    )


def deferred_constraints_violated() -> str | None:
    """Check now the foreign keys PostgreSQL would check at commit (a 500 in production)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except IntegrityError as error:
        return str(error).splitlines()[0]
    return None


def rows_written() -> tuple:
    """A fingerprint of every table's rows (but WRITTEN_ANYWAY), in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.label_lower not in WRITTEN_ANYWAY
            and model._meta.managed
            and not model._meta.proxy  # its table is its concrete model's
        }
    )
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t)"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return cursor.fetchone()


def is_refusal(response) -> bool:
    """A 4xx, or a page shown again with its form's errors (success redirects or sends a file)."""
    if 400 <= response.status_code < 500:
        return True
    return (
        response.status_code == 200
        and not response.streaming
        and "attachment" not in response.get("Content-Disposition", "")
        and b"errorlist" in response.content
    )


def post_and_check(client, target: str, data: dict) -> str | None:
    """Post the form; return what went wrong, if anything."""
    before = rows_written()
    try:
        response = client.post(target, data)
    except Exception as error:  # the test client re-raises a server error's cause
        failure = f"{type(error).__name__}: {error}"
    else:
        failure = None
        if response.status_code >= 500:
            failure = f"answered {response.status_code}"
        elif is_refusal(response) and rows_written() != before:
            failure = "refused, yet rows were saved"
    violated = deferred_constraints_violated()
    return failure or (violated and f"fails at commit: {violated}")


@pytest.mark.parametrize("who", ["alma", "carol"])
def test_every_form_survives_boundary_payloads_and_a_refusal_saves_nothing(
    request, who, own_world, carol
):
    user = carol.user if who == "carol" else request.getfixturevalue(who)
    client = Client()
    failures, forms_posted = [], 0
    for pattern in project_patterns():
        if pattern.name in SKIPPED or pattern.key.endswith("_delete"):
            # A delete page's form has nothing to fill in: posting it deletes the world.
            continue
        client.force_login(user)
        url = url_for(pattern, ALL_CASES[pattern.key], own_world)
        try:
            page = client.get(url)
        except Exception as error:  # the test client re-raises a server error's cause
            failures.append(f"GET {url}: {type(error).__name__}: {error}")
            continue
        violated = deferred_constraints_violated()
        if violated:
            failures.append(f"GET {url}: fails at commit: {violated}")
            break
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for form in forms_of(page.content.decode("utf-8", "replace")):
            target = form.action or url
            for value in BOUNDARY_VALUES:
                data = {**form.fields, **dict.fromkeys(form.editable, value)}
                where = f"POST {target} {value[:20]!r}"
                failure = post_and_check(client, target, data)
                forms_posted += 1
                if failure:
                    failures.append(f"{where}: {failure}")
                    if "at commit" in failure:
                        break
                client.force_login(user)
    assert forms_posted > 50, "the crawl found too few forms to mean anything"
    assert not failures, f"{who}: {len(failures)} failures:\n" + "\n".join(failures[:60])


def test_a_clinic_admin_opens_and_renames_her_clinic(client, alma, clinic_a):
    """Found by the crawl: the page prepopulated the slug, which is read-only to her."""
    client.force_login(alma)
    url = f"/admin/clinic/clinic/{clinic_a.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Clinic A & Co",
            "timezone": "Europe/London",
            "paper_size": "A4",
            "reminder_time": "07:30",
        },
    )
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert (clinic_a.name, clinic_a.slug) == ("Clinic A & Co", "clinic-a")


def test_a_program_shown_again_with_a_hand_made_exercise_value_is_not_a_server_error(
    client, alma, clinic_a
):
    """Found by the crawl: the exercise picker queried the database with the bad value."""
    item = ProgramItemFactory(
        program=ProgramFactory(clinic=clinic_a), exercise=ExerciseFactory(clinic=clinic_a)
    )
    client.force_login(alma)
    url = f"/admin/programs/program/{item.program.pk}/change/"
    page = client.get(url)
    [form] = [form for form in forms_of(page.text) if "items-TOTAL_FORMS" in form.fields]
    data = {**form.fields, "items-0-exercise": "2026-02-30", "name": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert b"errorlist" in response.content
