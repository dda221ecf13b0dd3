"""Which FHIR resource types the interface serves, where each one's rows come from, and
how a row becomes a resource.

A ``ResourceType`` is one or more ``Source``s (Observation has four: sessions, exercises
done, pain scores and check-ins); a source names its model, the mapper of one row, the
columns its search parameters read, and what to load with it so a page of any size takes
the same number of queries. Rows always come from ``visible_to(user)``: the one tenancy
mechanism. A new resource type (Questionnaire, QuestionnaireResponse) is one more entry
in ``REGISTRY``: the views, the CapabilityStatement, ``$everything`` and the tests read it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape

from clinic.models import Clinic, StaffMember
from patients.models import (
    Assignment,
    AssignmentStatus,
    CheckIn,
    ExerciseLog,
    OutcomeResponse,
    Patient,
    PrescriptionItem,
    ProgramWeek,
    ResponseStatus,
    Session,
    SessionStatus,
)
from programs import outcomes
from programs.display import dosage_text
from programs.models import QuestionnaireVersion

from . import codes

# FHIR ids are [A-Za-z0-9-.]{1,64}; ours are the row's id, after a prefix where one
# resource type reads several tables.
MAX_ROW_ID = 2**63 - 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CARE_STATUS = {
    AssignmentStatus.ACTIVE: "active",
    AssignmentStatus.PAUSED: "on-hold",
    AssignmentStatus.ENDED: "completed",
}
GOAL_STATUS = {
    AssignmentStatus.ACTIVE: "active",
    AssignmentStatus.PAUSED: "on-hold",
    AssignmentStatus.ENDED: "completed",
}


def reference(resource_type: str, row_id) -> dict:
    return {"reference": f"{resource_type}/{row_id}"}


def compact(fields: dict) -> dict:
    """The fields that have a value: FHIR forbids empty ones (None, "", [], {}).

    One level only, so the mappers build nested elements without empty parts themselves.
    """
    return {key: value for key, value in fields.items() if value not in (None, "", [], {})}


def instant(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


def meta(last_updated: datetime.datetime) -> dict:
    return {"lastUpdated": instant(last_updated)}


def narrative(text: str) -> dict:
    """A generated narrative: the resource's gist for a reader without a FHIR viewer."""
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(text)}</div>',
    }


# --- Mappers: one row to one resource --------------------------------------------------


def patient_resource(patient: Patient) -> dict:
    return {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": meta(patient.created_at),
        "active": True,
        "name": [compact({"family": patient.last_name, "given": [patient.first_name]})],
        "telecom": [{"system": "email", "value": patient.email}] if patient.email else [],
        "managingOrganization": reference("Organization", patient.clinic_id),
        "generalPractitioner": (
            [reference("Practitioner", patient.therapist_id)] if patient.therapist_id else []
        ),
    }


def practitioner_resource(staff: StaffMember) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(staff.pk),
        "meta": meta(staff.created_at),
        "active": staff.is_active,
        "name": [{"text": staff.user.full_name}] if staff.user.full_name else [],
    }


def organization_resource(clinic: Clinic) -> dict:
    return {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "meta": meta(clinic.created_at),
        "active": True,
        "name": clinic.name,
    }


def careplan_resource(assignment: Assignment) -> dict:
    return {
        "resourceType": "CarePlan",
        "id": str(assignment.pk),
        "meta": meta(assignment.updated_at),
        "text": narrative(assignment.name),
        "status": CARE_STATUS[assignment.status],
        "intent": "plan",
        "category": [codes.concept(codes.PHYSICAL_ACTIVITY)],
        "title": assignment.name,
        "description": assignment.education,
        "subject": reference("Patient", assignment.patient_id),
        "period": {"start": assignment.start_date.isoformat()},
        "created": instant(assignment.created_at),
        "author": (
            reference("Practitioner", assignment.therapist_id) if assignment.therapist_id else None
        ),
        "goal": [reference("Goal", assignment.pk)] if assignment.goal else [],
        "activity": [
            {"reference": reference("ServiceRequest", item.pk)} for item in assignment.items.all()
        ],
    }


def goal_resource(assignment: Assignment) -> dict:
    return {
        "resourceType": "Goal",
        "id": str(assignment.pk),
        "meta": meta(assignment.updated_at),
        "lifecycleStatus": GOAL_STATUS[assignment.status],
        "category": [codes.concept(codes.PHYSICAL_ACTIVITY)],
        "description": {"text": assignment.goal},
        "subject": reference("Patient", assignment.patient_id),
        "startDate": assignment.start_date.isoformat(),
        "expressedBy": (
            reference("Practitioner", assignment.therapist_id) if assignment.therapist_id else None
        ),
    }


def timing(assignment: Assignment, planned_per_week: int | None) -> dict:
    """How often the program's sessions (each with every prescribed exercise) are planned."""
    repeat = {
        "boundsPeriod": {"start": assignment.start_date.isoformat()},
        "dayOfWeek": [WEEKDAYS[day] for day in sorted(set(assignment.preferred_weekdays or []))],
        "timeOfDay": [assignment.reminder_time.strftime("%H:%M:%S")],
    }
    if planned_per_week:
        repeat.update(frequency=planned_per_week, period=1, periodUnit="wk")
    return {"repeat": compact(repeat)}


def servicerequest_resource(item: PrescriptionItem) -> dict:
    assignment = item.assignment
    instruction = dosage_text(item.dosage())
    if item.note:
        instruction = f"{instruction}. {item.note}" if instruction else item.note
    return {
        "resourceType": "ServiceRequest",
        "id": str(item.pk),
        "meta": meta(assignment.updated_at),
        "extension": (
            [{"url": codes.GOAL_PERTAINS, "valueReference": reference("Goal", assignment.pk)}]
            if assignment.goal
            else []
        ),
        "basedOn": [reference("CarePlan", assignment.pk)],
        "status": CARE_STATUS[assignment.status],
        "intent": "original-order",
        "category": [
            codes.concept(codes.PHYSICAL_ACTIVITY),
            codes.concept(codes.PHYSICAL_THERAPY_PROCEDURE),
        ],
        "code": codes.concept(codes.EXERCISE_THERAPY, text=item.exercise.name),
        "subject": reference("Patient", assignment.patient_id),
        "occurrenceTiming": timing(assignment, getattr(item, "planned_this_week", None)),
        "authoredOn": instant(assignment.created_at),
        "requester": (
            reference("Practitioner", assignment.therapist_id) if assignment.therapist_id else None
        ),
        "patientInstruction": instruction,
    }


def _observation(row_id: str, *, status: str, category: dict, code: dict, subject, effective):
    return {
        "resourceType": "Observation",
        "id": row_id,
        "status": status,
        "category": [codes.concept(category), codes.concept(codes.PHYSICAL_ACTIVITY)],
        "code": code,
        "subject": reference("Patient", subject),
        "effectiveDateTime": effective.isoformat(),
    }


def _session_status(session: Session) -> str:
    return "final" if session.status == SessionStatus.COMPLETED else "preliminary"


def _log_status(log: ExerciseLog) -> str:
    return "final" if log.session_status == SessionStatus.COMPLETED else "preliminary"


def _log_fields() -> dict:
    """What an exercise log's Observations read of its session and exercise: a few columns
    (not whole rows) for the hundreds of logs of a record."""
    return {
        "performed_on": F("session__performed_on"),
        "session_status": F("session__status"),
        "patient_pk": F("session__patient_id"),
        "exercise_name": F("item__exercise__name"),
    }


def session_observation(session: Session) -> dict:
    return {
        **_observation(
            f"session-{session.pk}",
            status=_session_status(session),
            category=codes.ACTIVITY,
            code=codes.concept(codes.PA_PANEL, codes.flexion("exercise-session")),
            subject=session.patient_id,
            effective=session.performed_on,
        ),
        "meta": meta(session.completed_at or session.started_at),
        "basedOn": [reference("CarePlan", session.assignment_id)],
        "issued": instant(session.completed_at) if session.completed_at else None,
        "component": (
            [
                {
                    "code": codes.concept(codes.flexion("session-effort")),
                    "valueInteger": session.effort,
                }
            ]
            if session.effort is not None
            else []
        ),
        "hasMember": [reference("Observation", f"exercise-{log.pk}") for log in session.logs.all()],
    }


def exercise_observation(log: ExerciseLog) -> dict:
    components = [
        {"code": codes.concept(codes.flexion("sets-done")), "valueInteger": log.sets_done},
        {"code": codes.concept(codes.flexion("reps-done")), "valueInteger": log.reps_done},
        {"code": codes.concept(codes.flexion("exercise-skipped")), "valueBoolean": log.skipped},
    ]
    if log.skip_reason:
        components.append(
            {"code": codes.concept(codes.flexion("skip-reason")), "valueString": log.skip_reason}
        )
    return {
        **_observation(
            f"exercise-{log.pk}",
            status=_log_status(log),
            category=codes.ACTIVITY,
            code=codes.concept(codes.EXERCISE_ACTIVITY),
            subject=log.patient_pk,
            effective=log.performed_on,
        ),
        "meta": meta(log.completed_at),
        "basedOn": [reference("ServiceRequest", log.item_id)],
        "valueCodeableConcept": {"text": log.exercise_name},
        "component": components,
    }


def pain_observation(log: ExerciseLog) -> dict:
    return {
        **_observation(
            f"pain-{log.pk}",
            status=_log_status(log),
            category=codes.SURVEY,
            code=codes.concept(codes.PAIN_SEVERITY),
            subject=log.patient_pk,
            effective=log.performed_on,
        ),
        "meta": meta(log.completed_at),
        "basedOn": [reference("ServiceRequest", log.item_id)],
        "derivedFrom": [reference("Observation", f"exercise-{log.pk}")],
        "valueInteger": log.pain,
    }


def checkin_observation(checkin: CheckIn) -> dict:
    return {
        **_observation(
            f"checkin-{checkin.pk}",
            status="final",
            category=codes.SURVEY,
            code=codes.concept(codes.flexion("next-day-check-in")),
            subject=checkin.patient_id,
            effective=checkin.answered_on,
        ),
        "meta": meta(checkin.updated_at),
        "issued": instant(checkin.answered_at),
        "valueCodeableConcept": codes.concept(codes.flexion(checkin.answer)),
        "derivedFrom": [reference("Observation", f"session-{checkin.session_id}")],
    }


def questionnaire_url(version: QuestionnaireVersion) -> str:
    """The canonical URL of a questionnaire (all its versions): Flexion's shared ones by
    their code, a clinic's own under the clinic's id (codes are unique per clinic)."""
    questionnaire = version.questionnaire
    if questionnaire.clinic_id is None:
        return f"{codes.QUESTIONNAIRES}/{questionnaire.code}"
    return f"{codes.QUESTIONNAIRES}/clinic-{questionnaire.clinic_id}/{questionnaire.code}"


def _text(item: outcomes.Item) -> str:
    """The item's text as the patient reads it: a number's end labels after the question."""
    return " ".join(filter(None, (item.text, item.low_label, item.high_label)))


def _question(item: outcomes.Item) -> dict:
    extension = []
    if item.type is outcomes.ItemType.INTEGER:
        extension = [
            {"url": codes.MIN_VALUE, "valueInteger": item.minimum},
            {"url": codes.MAX_VALUE, "valueInteger": item.maximum},
        ]
    return compact(
        {
            "extension": extension,
            "linkId": item.link_id,
            "text": _text(item),
            "type": item.type.value,
            "required": item.required or None,
            "answerOption": [
                {
                    "valueCoding": {"code": str(option.value), "display": option.label},
                    "extension": [{"url": codes.ORDINAL_VALUE, "valueDecimal": option.value}],
                }
                for option in item.options
            ],
            "item": [_question(child) for child in item.children],
        }
    )


def questionnaire_resource(version: QuestionnaireVersion) -> dict:
    questionnaire = version.questionnaire
    definition = version.parsed
    current = version.number == version.latest_number
    return {
        "resourceType": "Questionnaire",
        "id": str(version.pk),
        "meta": meta(version.created_at),
        "url": questionnaire_url(version),
        "version": str(version.number),
        "title": questionnaire.title,
        # Editing a questionnaire stores a new version; the earlier ones are retired.
        "status": "active" if current else "retired",
        "subjectType": ["Patient"],
        "date": instant(version.created_at),
        "publisher": questionnaire.clinic.name if questionnaire.clinic_id else "Flexion",
        "description": version.definition.get("description"),
        "copyright": definition.licence,
        "item": [_question(item) for item in definition.screens],
    }


def _answer(item: outcomes.Item, value) -> dict:
    if item.type is outcomes.ItemType.CHOICE:
        labels = {option.value: option.label for option in item.options}
        return {"valueCoding": compact({"code": str(value), "display": labels.get(value)})}
    if item.type is outcomes.ItemType.INTEGER:
        return {"valueInteger": value}
    return {"valueString": str(value)}


def _answered(item: outcomes.Item, answers: dict) -> dict | None:
    """The item with its answer (or its answered children); None when nothing is answered."""
    if item.type is outcomes.ItemType.GROUP:
        children = [_answered(child, answers) for child in item.children]
        children = [child for child in children if child]
        return {"linkId": item.link_id, "text": item.text, "item": children} if children else None
    if answers.get(item.link_id) in (None, ""):
        return None
    return {
        "linkId": item.link_id,
        "text": _text(item),
        "answer": [_answer(item, answers[item.link_id])],
    }


def questionnaireresponse_resource(response: OutcomeResponse) -> dict:
    version = response.version
    items = [_answered(item, response.answers) for item in version.parsed.screens]
    extension = [{"url": codes.SCORE_EXTENSION, "valueDecimal": response.score}]
    if response.supersedes_id:
        extension.append(
            {
                "url": codes.REPLACES_EXTENSION,
                "valueReference": reference("QuestionnaireResponse", response.supersedes_id),
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "meta": meta(response.updated_at),
        "extension": extension,
        "basedOn": [reference("CarePlan", response.assignment_id)],
        "questionnaire": f"{questionnaire_url(version)}|{version.number}",
        # A correction is the occasion's answers amended; the first sending is completed.
        "status": "amended" if response.supersedes_id else "completed",
        "subject": reference("Patient", response.patient_id),
        "authored": instant(response.submitted_at),
        "author": reference("Patient", response.patient_id),
        "source": reference("Patient", response.patient_id),
        "item": [item for item in items if item],
    }


# --- Sources and resource types --------------------------------------------------------


def _planned_this_week():
    """The sessions planned in the assignment's latest stored week (for the Timing)."""
    today = timezone.now().date()
    weeks = ProgramWeek.objects.filter(assignment=OuterRef("assignment_id"), starts_on__lte=today)
    return Subquery(weeks.order_by("-starts_on").values("planned")[:1])


def _latest_number():
    """The questionnaire's latest version number: the one version that is active."""
    versions = QuestionnaireVersion.objects.filter(questionnaire=OuterRef("questionnaire_id"))
    return {"latest_number": Subquery(versions.order_by("-number").values("number")[:1])}


@dataclass(frozen=True)
class Source:
    """One table a resource type reads, with the mapper of one of its rows."""

    model: type[models.Model]
    mapper: Callable[[models.Model], dict]
    # Where the row's patient id, search date and last change are (None: no such search).
    patient: str | None
    last_updated: Callable[[], models.Expression]
    date: str | None = None
    # The categories every resource of this source carries (matched by ``category``).
    categories: tuple[dict, ...] = ()
    # Which rows are resources ("an assignment with a goal"), and what a mapper reads.
    where: Q = field(default_factory=Q)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()
    annotations: Callable[[], dict] = dict
    id_prefix: str = ""
    # The column of the Questionnaire (version) a row answers (the ``questionnaire`` search).
    questionnaire: str | None = None

    def rows(self, user) -> models.QuerySet:
        """The rows the user may read: always through the one tenancy mechanism."""
        rows = self.model.objects.visible_to(user)
        if hasattr(rows, "rewrite"):
            # A translated field's name in ``where`` means its plain column (the text of the
            # first language that has one), not the request's language's column.
            rows = rows.rewrite(False)
        return rows.filter(self.where)

    def loaded(self, rows: models.QuerySet) -> models.QuerySet:
        rows = rows.annotate(**self.annotations())
        if self.select_related:
            rows = rows.select_related(*self.select_related)
        if self.prefetch_related:
            rows = rows.prefetch_related(*self.prefetch_related)
        return rows

    def resource(self, row: models.Model) -> dict:
        return compact(self.mapper(row))

    def resource_id(self, pk: int) -> str:
        return f"{self.id_prefix}{pk}"

    def row_pk(self, resource_id: str) -> int | None:
        """The row id in a resource id of this source, or None when it is not one."""
        if not resource_id.startswith(self.id_prefix):
            return None
        digits = resource_id[len(self.id_prefix) :]
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            return None
        pk = int(digits)
        return pk if 0 < pk <= MAX_ROW_ID else None


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    # Search parameters besides _id and _lastUpdated, with their documentation.
    search: dict[str, str] = field(default_factory=dict)
    # Read by $everything: the resources of one patient (Organization and Practitioner
    # are added as the patient's clinic and therapist).
    in_everything: bool = True

    def find(self, resource_id: str) -> tuple[Source, int] | None:
        for source in self.sources:
            pk = source.row_pk(resource_id)
            if pk is not None:
                return source, pk
        return None

    def view_permissions(self) -> list[str]:
        return [
            f"{source.model._meta.app_label}.view_{source.model._meta.model_name}"
            for source in self.sources
        ]


PATIENT_PARAM = "Whose resources: `123` or `Patient/123`."
SUBJECT_PARAM = "As `patient`."
CATEGORY_PARAM = "A category code, `system|code` or `code`."
QUESTIONNAIRE_PARAM = (
    "The Questionnaire answered: `123`, `Questionnaire/123` (one version), or its canonical "
    "URL, optionally with `|version`."
)

REGISTRY: dict[str, ResourceType] = {
    resource_type.name: resource_type
    for resource_type in (
        ResourceType(
            "Patient",
            (
                Source(
                    Patient,
                    patient_resource,
                    patient="pk",
                    last_updated=lambda: F("created_at"),
                ),
            ),
        ),
        ResourceType(
            "Practitioner",
            (
                Source(
                    StaffMember,
                    practitioner_resource,
                    patient=None,
                    last_updated=lambda: F("created_at"),
                    # The logins of API tokens are staff records, not people.
                    where=Q(user__api_token__isnull=True),
                    select_related=("user",),
                ),
            ),
            in_everything=False,
        ),
        ResourceType(
            "Organization",
            (
                Source(
                    Clinic,
                    organization_resource,
                    patient=None,
                    last_updated=lambda: F("created_at"),
                ),
            ),
            in_everything=False,
        ),
        ResourceType(
            "CarePlan",
            (
                Source(
                    Assignment,
                    careplan_resource,
                    patient="patient_id",
                    date="start_date",
                    last_updated=lambda: F("updated_at"),
                    categories=(codes.PHYSICAL_ACTIVITY,),
                    prefetch_related=("items",),
                ),
            ),
            search={
                "patient": PATIENT_PARAM,
                "subject": SUBJECT_PARAM,
                "date": "The plan's start date.",
                "category": CATEGORY_PARAM,
            },
        ),
        ResourceType(
            "ServiceRequest",
            (
                Source(
                    PrescriptionItem,
                    servicerequest_resource,
                    patient="assignment__patient_id",
                    last_updated=lambda: F("assignment__updated_at"),
                    categories=(codes.PHYSICAL_ACTIVITY, codes.PHYSICAL_THERAPY_PROCEDURE),
                    select_related=("assignment", "exercise"),
                    annotations=lambda: {"planned_this_week": _planned_this_week()},
                ),
            ),
            search={
                "patient": PATIENT_PARAM,
                "subject": SUBJECT_PARAM,
                "category": CATEGORY_PARAM,
            },
        ),
        ResourceType(
            "Goal",
            (
                Source(
                    Assignment,
                    goal_resource,
                    patient="patient_id",
                    last_updated=lambda: F("updated_at"),
                    categories=(codes.PHYSICAL_ACTIVITY,),
                    where=~Q(goal=""),
                ),
            ),
            search={
                "patient": PATIENT_PARAM,
                "subject": SUBJECT_PARAM,
                "category": CATEGORY_PARAM,
            },
        ),
        ResourceType(
            "Observation",
            (
                Source(
                    Session,
                    session_observation,
                    patient="patient_id",
                    date="performed_on",
                    last_updated=lambda: Coalesce("completed_at", "started_at"),
                    categories=(codes.ACTIVITY, codes.PHYSICAL_ACTIVITY),
                    prefetch_related=(
                        Prefetch(
                            "logs",
                            queryset=ExerciseLog.objects.only("pk", "session_id").order_by("pk"),
                        ),
                    ),
                    id_prefix="session-",
                ),
                Source(
                    ExerciseLog,
                    exercise_observation,
                    patient="session__patient_id",
                    date="session__performed_on",
                    last_updated=lambda: F("completed_at"),
                    categories=(codes.ACTIVITY, codes.PHYSICAL_ACTIVITY),
                    annotations=_log_fields,
                    id_prefix="exercise-",
                ),
                Source(
                    ExerciseLog,
                    pain_observation,
                    patient="session__patient_id",
                    date="session__performed_on",
                    last_updated=lambda: F("completed_at"),
                    categories=(codes.SURVEY, codes.PHYSICAL_ACTIVITY),
                    where=Q(pain__isnull=False),
                    annotations=_log_fields,
                    id_prefix="pain-",
                ),
                Source(
                    CheckIn,
                    checkin_observation,
                    patient="patient_id",
                    date="answered_on",
                    last_updated=lambda: F("updated_at"),
                    categories=(codes.SURVEY, codes.PHYSICAL_ACTIVITY),
                    id_prefix="checkin-",
                ),
            ),
            search={
                "patient": PATIENT_PARAM,
                "subject": SUBJECT_PARAM,
                "date": "The patient's local date of the session or check-in.",
                "category": CATEGORY_PARAM + " `activity`: sessions and exercises; "
                "`survey`: pain scores and check-ins.",
            },
        ),
        ResourceType(
            "Questionnaire",
            (
                Source(
                    QuestionnaireVersion,
                    questionnaire_resource,
                    patient=None,
                    last_updated=lambda: F("created_at"),
                    select_related=("questionnaire__clinic",),
                    annotations=_latest_number,
                ),
            ),
            # $everything adds the versions the patient's responses answered.
            in_everything=False,
        ),
        ResourceType(
            "QuestionnaireResponse",
            (
                Source(
                    OutcomeResponse,
                    questionnaireresponse_resource,
                    patient="patient_id",
                    date="submitted_on",
                    last_updated=lambda: F("updated_at"),
                    where=Q(status=ResponseStatus.SUBMITTED),
                    select_related=("version__questionnaire",),
                    questionnaire="version",
                ),
            ),
            search={
                "patient": PATIENT_PARAM,
                "subject": SUBJECT_PARAM,
                "date": "The patient's local date the answers were sent.",
                "questionnaire": QUESTIONNAIRE_PARAM,
            },
        ),
    )
}
