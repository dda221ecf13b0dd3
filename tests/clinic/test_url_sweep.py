"""Request every URL pattern of the project with someone else's object ids.

Staff of clinic A (alice, therapist; alma, clinic admin) ask for clinic B's objects,
patient carol for patient dave's. No answer may show the other side's data, and no
GET may change a row. Every pattern needs a case below: a new URL pattern makes
``test_every_url_pattern_has_a_case`` fail until one line is added for it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.audit import audit_record
from clinic.login_links import login_link_create
from clinic.models import ApiToken, AuditAction, AuditEvent, LoginLinkPurpose
from clinic.tokens import api_token_issue
from patients.links import checkin_token, unsubscribe_token
from patients.models import Assignment, Patient
from programs.models import BodyRegion, Equipment, Questionnaire
from programs.pictures import picture_prepare
from programs.services import exercise_picture_add
from reports.adherence import ReportScope
from reports.models import ExportFormat, ReportExport
from reports.services import export_record
from tests.factories import ExerciseFactory, ProgramFactory, ProgramItemFactory
from tests.pictures import photo_bytes

from .patient_records import patient_records

pytestmark = pytest.mark.django_db

# Text that only clinic B's data contains.
MARKER = "ZEBRA"
OTHER_SIDE_TEXT = (MARKER, "Dave", "dave@b.example", "bob@b.example", "Clinic B")
# Rows that a GET may legitimately write: the trail of reads, sessions, sign-in records.
WRITTEN_ON_GET = {"clinic.auditevent", "sessions.session", "admin.logentry"}


@dataclass
class World:
    """Clinic B's objects: what alice, alma and carol must never see."""

    clinic_b: object
    bob: object
    dave: Patient
    records: dict
    exercise: object
    program: object
    event: AuditEvent
    group: Group
    export: ReportExport
    lockouts: dict = field(default_factory=dict)
    questionnaire: object = None
    picture: object = None


@pytest.fixture
def world(alice, alma, carol, bob, dave, clinic_b):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    dave.last_name = f"{MARKER}son"
    dave.save()
    lockout_fields = {"username": "dave@b.example", "ip_address": "203.0.113.9", "user_agent": ""}
    return World(
        clinic_b=clinic_b,
        bob=bob,
        dave=dave,
        records=patient_records(dave, marker=MARKER),
        exercise=(exercise := ExerciseFactory(clinic=clinic_b, name=f"{MARKER} exercise")),
        program=ProgramFactory(clinic=clinic_b, name=f"{MARKER} program"),
        event=audit_record(action=AuditAction.EXPORT, actor=bob, obj=dave),
        group=Group.objects.create(name=f"{MARKER} group"),
        export=ReportExport.objects.get(
            pk=export_record(
                scope=ReportScope(
                    Assignment.objects.none(),
                    datetime.date(2026, 1, 1),
                    datetime.date(2026, 3, 31),
                    datetime.date(2026, 4, 1),
                ),
                clinic=clinic_b,
                by=bob,
                format=ExportFormat.CSV,
                filters={"note": MARKER},
            ).pk
        ),
        questionnaire=Questionnaire.objects.create(
            clinic=clinic_b, code="zebra", title=f"{MARKER} questionnaire"
        ),
        lockouts={
            "axes.accessattempt": AccessAttempt.objects.create(
                failures_since_start=1, **lockout_fields
            ),
            "axes.accesslog": AccessLog.objects.create(**lockout_fields),
            "axes.accessfailurelog": AccessFailureLog.objects.create(**lockout_fields),
        },
        picture=exercise_picture_add(
            exercise=exercise,
            prepared=picture_prepare(SimpleUploadedFile("b.jpg", photo_bytes(size=(64, 48)))),
            alt_text=f"{MARKER} picture",
        ),
    )


@dataclass(frozen=True)
class Case:
    """How to fill a pattern's parameters from clinic B's objects (or the path to request)."""

    kwargs: Callable[[World], dict] = lambda world: {}
    path: Callable[[World], str] | None = None
    query: str = ""
    # Text of the other side this page may show, with the reason at the case.
    allowed: tuple[str, ...] = ()


NO_PARAMS = Case()

# Every model with an admin: which object of clinic B its object pages are asked for.
ADMIN_OBJECTS: dict[str, Callable[[World], object]] = {
    "auth.group": lambda w: w.group,
    "axes.accessattempt": lambda w: w.lockouts["axes.accessattempt"],
    "axes.accesslog": lambda w: w.lockouts["axes.accesslog"],
    "axes.accessfailurelog": lambda w: w.lockouts["axes.accessfailurelog"],
    "clinic.clinic": lambda w: w.clinic_b,
    "clinic.user": lambda w: w.bob,
    "clinic.staffmember": lambda w: w.bob.staff,
    "clinic.auditevent": lambda w: w.event,
    "patients.patient": lambda w: w.dave,
    "patients.assignment": lambda w: w.records["assignment"],
    "patients.reminder": lambda w: w.records["reminder"],
    "patients.stagechange": lambda w: w.records["stage_change"],
    "programs.exercise": lambda w: w.exercise,
    "programs.program": lambda w: w.program,
    "programs.questionnaire": lambda w: w.questionnaire,
    # Shared words, the same for every clinic (superusers edit them): no clinic B row exists.
    "programs.bodyregion": lambda w: BodyRegion.objects.get(code="hip"),
    "programs.equipment": lambda w: Equipment.objects.get(code="towel"),
    "reports.adherencereport": lambda w: w.records["assignment"],
    "reports.reportexport": lambda w: w.export,
    "clinic.apitoken": lambda w: (
        ApiToken.objects.filter(clinic=w.clinic_b).first()
        or api_token_issue(clinic=w.clinic_b, name=f"{MARKER} sync", created_by=w.bob)[0]
    ),
}


def assignment_id(world: World) -> dict:
    return {"assignment_id": world.records["assignment"].pk}


def session_id(world: World) -> dict:
    return {"session_id": world.records["session"].pk}


def response_id(world: World) -> dict:
    return {"response_id": world.records["outcome_response"].pk}


def object_id(get_object: Callable[[World], object]) -> Case:
    return Case(kwargs=lambda w: {"object_id": get_object(w).pk})


CASES: dict[str, Case] = {
    "admin_password_reset": NO_PARAMS,
    "healthz": NO_PARAMS,
    "mfa_setup": NO_PARAMS,
    "mfa_verify": NO_PARAMS,
    "staff_language": NO_PARAMS,
    "admin:index": NO_PARAMS,
    "admin:login": NO_PARAMS,
    "admin:logout": NO_PARAMS,
    "admin:password_change": NO_PARAMS,
    "admin:password_change_done": NO_PARAMS,
    "admin:jsi18n": NO_PARAMS,
    "admin:autocomplete": Case(
        query="app_label=patients&model_name=patient&field_name=therapist&term=b"
    ),
    "admin:view_on_site": Case(
        kwargs=lambda w: {
            "content_type_id": ContentType.objects.get_for_model(Patient).pk,
            "object_id": w.dave.pk,
        }
    ),
    "admin:app_list": Case(kwargs=lambda w: {"app_label": "patients"}),
    "admin:auth_user_password_change": Case(kwargs=lambda w: {"id": w.bob.pk}),
    "admin/(?P<url>.*)$": Case(path=lambda w: f"/admin/patients/patient/{w.dave.pk}/nowhere"),
    "password_reset": NO_PARAMS,
    "password_reset_done": NO_PARAMS,
    "password_reset_complete": NO_PARAMS,
    "password_reset_confirm": Case(
        kwargs=lambda w: {
            "uidb64": urlsafe_base64_encode(force_bytes(w.dave.user.pk)),
            "token": default_token_generator.make_token(w.dave.user),
        }
    ),
    "patients:home": NO_PARAMS,
    "patients:login": NO_PARAMS,
    "patients:logout": NO_PARAMS,
    "patients:history": NO_PARAMS,
    "patients:settings": NO_PARAMS,
    "patients:session_log_past": NO_PARAMS,
    "patients:sign_in_link_request": NO_PARAMS,
    "patients:session_start": Case(kwargs=assignment_id),
    "patients:my_handout": Case(kwargs=assignment_id),
    "patients:picture": Case(kwargs=lambda w: {"picture_id": w.picture.pk, "size": "large"}),
    "patients:session": Case(kwargs=session_id),
    "patients:session_finish": Case(kwargs=session_id),
    "patients:session_checkin": Case(kwargs=session_id),
    "patients:exercise_log": Case(
        kwargs=lambda w: {**session_id(w), "item_id": w.records["item"].pk}
    ),
    # Emailed links carry a token for dave's own session or login: whoever holds it is
    # dave, so they may show his session; they must still show no name or address.
    "patients:checkin_link": Case(kwargs=lambda w: {"token": checkin_token(w.records["session"])}),
    # It says whose reminders stop: the clinic that sent the email to the link's holder.
    "patients:unsubscribe": Case(
        kwargs=lambda w: {"token": unsubscribe_token(w.dave)}, allowed=("Clinic B",)
    ),
    # The invitation names the address being set up (and gives it to password managers):
    # the link itself is what lets its holder choose dave's password.
    "patients:invitation": Case(
        kwargs=lambda w: {
            "token": login_link_create(user=w.dave.user, purpose=LoginLinkPurpose.INVITATION)
        },
        allowed=("dave@b.example",),
    ),
    "patients:sign_in_link": Case(
        kwargs=lambda w: {
            "token": login_link_create(user=w.dave.user, purpose=LoginLinkPurpose.SIGN_IN)
        }
    ),
    "patients:reminder_link": Case(
        kwargs=lambda w: {
            "token": login_link_create(user=w.dave.user, purpose=LoginLinkPurpose.REMINDER)
        }
    ),
    "patients:messages": NO_PARAMS,
    "therapist_home": Case(query="scope=all"),
    "patient_story": Case(kwargs=lambda w: {"patient_id": w.dave.pk}),
    "patient_reply": Case(kwargs=lambda w: {"patient_id": w.dave.pk}),
    "patients:questionnaire_start": Case(
        kwargs=lambda w: {
            **assignment_id(w),
            "questionnaire_id": w.records["outcome_response"].questionnaire_id,
        }
    ),
    "patients:response": Case(kwargs=response_id),
    "patients:response_send": Case(kwargs=response_id),
    "patients:response_correct": Case(kwargs=response_id),
    # A staff invitation names the clinic and the address it sets up, to its holder.
    "staff_invitation": Case(
        kwargs=lambda w: {
            "token": login_link_create(user=w.bob, purpose=LoginLinkPurpose.STAFF_INVITATION)
        },
        allowed=("bob@b.example", "Clinic B"),
    ),
    "admin:patients_patient_assign": object_id(lambda w: w.dave),
    "admin:patients_assignment_stage": Case(kwargs=assignment_id),
    "admin:patients_assignment_handout": Case(kwargs=assignment_id),
    "admin:programs_exercise_import": NO_PARAMS,
    "admin:programs_exercise_copy": object_id(lambda w: w.exercise),
    "admin:programs_program_preview": object_id(lambda w: w.program),
    "admin:programs_program_assign": object_id(lambda w: w.program),
    "admin:programs_program_copy": object_id(lambda w: w.program),
    "admin:reports_adherencereport_export": Case(query="format=csv"),
    "admin:reports_adherencereport_print": NO_PARAMS,
    "admin:reports_adherencereport_attention": NO_PARAMS,
    "admin:reports_adherencereport_review": Case(kwargs=assignment_id),
    "admin:reports_adherencereport_patient": Case(kwargs=assignment_id),
    "api-schema": NO_PARAMS,
    "api-docs": NO_PARAMS,
    **{
        f"api:{name}-list": NO_PARAMS
        for name in (
            "exercise",
            "program",
            "programitem",
            "patient",
            "assignment",
            "session",
            "checkin",
            "reminder",
            "message",
            "questionnaire",
            "outcomeresponse",
        )
    },
    "api:questionnaire-detail": Case(kwargs=lambda w: {"pk": w.questionnaire.pk}),
    **{
        f"api:outcomeresponse-{action}": Case(
            kwargs=lambda w: {"pk": w.records["outcome_response"].pk}
        )
        for action in ("detail", "answer", "submit", "correct")
    },
    "api:exercise-detail": Case(kwargs=lambda w: {"pk": w.exercise.pk}),
    "api:exercise-picture-file": Case(
        kwargs=lambda w: {"pk": w.picture.exercise_id, "picture_id": w.picture.pk, "size": "large"}
    ),
    "api:program-detail": Case(kwargs=lambda w: {"pk": w.program.pk}),
    "api:programitem-detail": Case(
        kwargs=lambda w: {"pk": ProgramItemFactory(program=w.program).pk}
    ),
    "api:patient-detail": Case(kwargs=lambda w: {"pk": w.dave.pk}),
    "api:assignment-detail": Case(kwargs=lambda w: {"pk": w.records["assignment"].pk}),
    "api:session-detail": Case(kwargs=lambda w: {"pk": w.records["session"].pk}),
    "api:session-log": Case(kwargs=lambda w: {"pk": w.records["session"].pk}),
    "api:session-finish": Case(kwargs=lambda w: {"pk": w.records["session"].pk}),
    "api:checkin-detail": Case(kwargs=lambda w: {"pk": w.records["checkin"].pk}),
    "api:adherence-report": NO_PARAMS,
    "api:reminder-detail": Case(kwargs=lambda w: {"pk": w.records["reminder"].pk}),
    "api:message-detail": Case(kwargs=lambda w: {"pk": w.records["message"].pk}),
    "fhir:base": NO_PARAMS,
    "fhir:metadata": NO_PARAMS,
    "fhir:codesystem": NO_PARAMS,
    "fhir:patient-everything": Case(kwargs=lambda w: {"resource_id": w.dave.pk}),
    "fhir:search": Case(kwargs=lambda w: {"type_name": "Observation"}, query="_count=200"),
    "fhir:read": Case(
        kwargs=lambda w: {
            "type_name": "Observation",
            "resource_id": f"session-{w.records['session'].pk}",
        }
    ),
    "fhir/R4/^[\\s\\S]*$": Case(path=lambda w: f"/fhir/R4/Patient/{w.dave.pk}/$nothing"),
}


def _admin_cases() -> dict[str, Case]:
    cases = {}
    for label, get_object in ADMIN_OBJECTS.items():
        app_label, model_name = label.split(".")
        prefix = f"admin:{app_label}_{model_name}"
        cases[f"{prefix}_changelist"] = Case(query="q=b")
        cases[f"{prefix}_add"] = NO_PARAMS
        for view in ("history", "delete", "change"):
            cases[f"{prefix}_{view}"] = Case(kwargs=lambda w, g=get_object: {"object_id": g(w).pk})
        cases[f"admin/{app_label}/{model_name}/<path:object_id>/"] = Case(
            kwargs=lambda w, g=get_object: {"object_id": g(w).pk}
        )
    return cases


ALL_CASES = {**CASES, **_admin_cases()}


@dataclass(frozen=True)
class Pattern:
    key: str  # the qualified name, or the route for unnamed patterns
    name: str | None
    route: str


def project_patterns(patterns=None, prefix="", namespace=None) -> list[Pattern]:
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += project_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            route = prefix + str(entry.pattern)
            found.append(Pattern(key=name or route, name=name, route=route))
    return found


def url_for(pattern: Pattern, case: Case, world: World) -> str:
    if case.path is not None:
        url = case.path(world)
    elif pattern.name is not None:
        url = reverse(pattern.name, kwargs=case.kwargs(world))
    else:
        url = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: str(case.kwargs(world)[m[1]]), pattern.route
        )
    return f"{url}?{case.query}" if case.query else url


def database_snapshot() -> dict:
    snapshot = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.proxy:
            continue  # its rows are its table's, in the snapshot under the concrete model
        if label not in WRITTEN_ON_GET and not label.startswith("axes."):
            snapshot[label] = list(model._base_manager.order_by("pk").values_list())
    return snapshot


def response_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", "replace") + response.get("Location", "")


def patterns_without_a_case() -> list[str]:
    return sorted({pattern.key for pattern in project_patterns()} - set(ALL_CASES))


def test_every_url_pattern_has_a_case():
    keys = {pattern.key for pattern in project_patterns()}
    missing = patterns_without_a_case()
    assert not missing, (
        "URL patterns without a case in tests/clinic/test_url_sweep.py: "
        f"{missing}. Add one line each: CASES['name'] = Case(kwargs=lambda w: {{...ids of "
        "clinic B or patient dave from the World...}}), or, for a new admin model, "
        "ADMIN_OBJECTS['app.model'] = lambda w: <one of its rows in clinic B>."
    )
    stale = sorted(set(ALL_CASES) - keys)
    assert not stale, f"Cases for URL patterns that no longer exist: {stale}"


def test_a_new_url_pattern_without_a_case_is_caught(settings):
    settings.ROOT_URLCONF = "tests.clinic.urls_with_a_new_pattern"
    assert patterns_without_a_case() == ["brand_new"]


@pytest.mark.parametrize("who", ["alice", "alma", "carol"])
def test_no_url_shows_another_clinics_or_patients_data_or_changes_anything(
    request, who, world, carol
):
    user = carol.user if who == "carol" else request.getfixturevalue(who)
    client = Client()
    for pattern in project_patterns():
        client.force_login(user)
        case = ALL_CASES[pattern.key]
        url = url_for(pattern, case, world)
        before = database_snapshot()
        response = client.get(url)
        assert response.status_code < 500, url
        text = response_text(response)
        leaked = [piece for piece in OTHER_SIDE_TEXT if piece in text and piece not in case.allowed]
        assert not leaked, f"{who} GET {url} ({response.status_code}) shows {leaked}"
        assert database_snapshot() == before, f"{who} GET {url} changed the database"


def test_the_other_side_does_see_its_own_data_so_the_sweep_can_tell(world):
    client = Client()
    client.force_login(world.bob)
    page = client.get(reverse("admin:patients_patient_change", args=[world.dave.pk]))
    assert MARKER in page.text
    client.force_login(world.dave.user)
    assert "Dave" in client.get(reverse("patients:home")).text


# The hostile-input crawl -----------------------------------------------------------------------
#
# Every URL pattern with query strings a careless or hostile client sends; every admin
# changelist and API list also with each of its filters, lookups and date drill-downs set to
# hostile values. No answer may be a server error, and no GET may change a row. A new
# pattern, list, filter or filterset field is crawled without a line added here.

HUGE = "99999999999999999999"
HOSTILE_VALUES = [
    "%00",
    HUGE,
    f"-{HUGE}",
    "2026-13-45",
    "%E2%80%AE%F0%9D%94%98%EF%BB%BF",  # right-to-left override, a math letter, a BOM
    "%ED%A0%80",  # a lone surrogate, not UTF-8
    "1,x",
]
# name + lookup = value, tried on each filter of a list besides the plain name.
LOOKUPS = [("__year", HUGE), ("__gte", "%00"), ("__in", "1,x,%00"), ("__isnull", "maybe")]
# Tried on every pattern.
GENERIC_QUERIES = ["q=%00", f"page={HUGE}", "next=%00", "nonexistent__lookup=1"]
# Tried on every list too: search, paging, ordering, popups.
LIST_QUERIES = [
    f"q={'x' * 3000}",
    "q=%ED%A0%80",
    f"p={HUGE}",
    "o=99.-x",
    "page=0",
    f"page_size={HUGE}",
    "page_size=-1",
    "ordering=%00,-nonexistent",
    f"id__gt={HUGE}",
    "_changelist_filters=%00",
    "_to_field=password&_popup=1",
    "format=%00",
]


def admin_for(pattern: Pattern):
    match = re.fullmatch(r"admin:(\w+?)_(\w+)_changelist", pattern.name or "")
    if match is None:
        return None
    model = apps.get_model(match[1], match[2])
    return admin.site._registry[model]


def filter_parameters(pattern: Pattern) -> list[str]:
    """The query parameters a list pattern filters by: its list filters or its filterset."""
    model_admin = admin_for(pattern)
    if model_admin is not None:
        names = [model_admin.date_hierarchy] if model_admin.date_hierarchy else []
        for entry in model_admin.list_filter:
            if isinstance(entry, str | tuple):
                names.append(entry if isinstance(entry, str) else entry[0])
            else:
                names.append(entry.parameter_name)
        return [name for name in names if name]
    if is_list(pattern):
        view = resolve(reverse(pattern.name)).func
        cls = getattr(view, "cls", None)
        filterset = getattr(cls, "filterset_class", None)
        fields = list(filterset.base_filters) if filterset else []
        return fields + list(getattr(cls, "filterset_fields", []) or [])
    return []


def is_list(pattern: Pattern) -> bool:
    name = pattern.name or ""
    return name.endswith(("_changelist", "-list")) or name == "api:adherence-report"


def hostile_queries(pattern: Pattern) -> list[str]:
    if not is_list(pattern):
        return GENERIC_QUERIES
    queries = GENERIC_QUERIES + LIST_QUERIES
    for name in filter_parameters(pattern):
        queries += [f"{name}={value}" for value in HOSTILE_VALUES]
        queries += [f"{name}{lookup}={value}" for lookup, value in LOOKUPS]
    return queries


def test_the_crawl_reaches_every_list_filter():
    by_name = {pattern.name: pattern for pattern in project_patterns()}
    assert "status" in filter_parameters(by_name["admin:patients_assignment_changelist"])
    assert "local_date" in filter_parameters(by_name["admin:patients_reminder_changelist"])
    assert "status" in filter_parameters(by_name["api:reminder-list"])


def crawled_by(who: str, pattern: Pattern) -> bool:
    """alma crawls everything; carol the patient site; a superuser the admins alma cannot open."""
    admin_page = pattern.key.startswith("admin")
    if who == "carol":
        return not admin_page
    if who == "superuser":
        return admin_page and is_list(pattern)
    return pattern.name not in ("admin:logout", "patients:logout")  # a GET ends the session


@pytest.mark.parametrize("who", ["alma", "carol", "superuser"])
def test_no_url_breaks_on_hostile_query_strings(request, who, world, carol, django_user_model):
    if who == "superuser":
        user = django_user_model.objects.create_superuser(email="root@x.example", password="x")
    else:
        user = carol.user if who == "carol" else request.getfixturevalue(who)
    client = Client()
    client.force_login(user)
    failures = []
    for pattern in project_patterns():
        if not crawled_by(who, pattern):
            continue
        case = ALL_CASES[pattern.key]
        url = url_for(pattern, case, world).split("?")[0]
        before = database_snapshot()
        for query in hostile_queries(pattern):
            full = f"{url}?{'&'.join(filter(None, [case.query, query]))}"
            try:
                response = client.get(full)
            except Exception as error:  # the test client re-raises a server error's cause
                failures.append(f"{full}: {type(error).__name__}: {error}"[:300])
                continue
            if response.status_code >= 500:
                failures.append(f"{full}: {response.status_code}")
        if database_snapshot() != before:
            failures.append(f"{url}: a GET changed the database")
    assert not failures, f"{who}: {len(failures)} failures:\n" + "\n".join(failures[:60])


def test_every_admin_answers_a_refused_filter_value_as_an_invalid_filter():
    from clinic.scoped_admin import InvalidFilterMixin

    plain = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, InvalidFilterMixin)
    ]
    assert plain == []


@pytest.mark.parametrize("query", ["status=%00", f"local_date__year={HUGE}", "status__in=sent,%00"])
def test_a_filter_value_the_database_refuses_shows_the_whole_list_with_a_message(
    client, alma, query
):
    client.force_login(alma)
    for name in ("admin:patients_assignment_changelist", "admin:patients_reminder_changelist"):
        response = client.get(f"{reverse(name)}?{query}", follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0].endswith("?e=1")
        messages = [str(m) for m in response.context["messages"]]
        assert "That filter is not valid: the whole list is shown." in messages
