"""A reproducible, clinic-chain-sized data set for benchmarks (``generate_load_data``).

Histories are simulated week by week with a simple stand-in for the progression
rule (so patients do roughly what their stage plans), then the real rule
(``programs.progression.evaluate``) decides the stored program weeks and stage
changes, exactly as the app would. Rows go in with PostgreSQL's COPY (or
``bulk_create`` on other databases), a batch of patients at a time so memory
stays flat.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from clinic.models import Clinic, Role, StaffMember, User
from patients.models import (
    Assignment,
    AssignmentQuestionnaire,
    AssignmentStatus,
    CheckIn,
    ExerciseLog,
    OutcomeResponse,
    Patient,
    PrescriptionItem,
    ProgramWeek,
    Reminder,
    Session,
    SessionStatus,
    StageChange,
)
from patients.progress import scheme_of
from patients.reevaluation import stage_change_fields, week_values
from programs import outcomes, progression
from programs.models import (
    Category,
    Exercise,
    Program,
    ProgramItem,
    ProgramQuestionnaire,
    ProgressionScheme,
    Questionnaire,
)
from programs.services import starter_questionnaires_load

PATIENTS_PER_CLINIC = 2000
PATIENTS_PER_THERAPIST = 100
ITEMS_PER_PROGRAM = 3
BATCH = 500
PASSWORD = "flexion-load"
SLUG_PREFIX = "load-"
ANSWERS = (("fine", 62), ("sore", 28), ("very_sore", 8.5), ("painful", 1.5))
ADHERENCE_PROFILES = ((0.95, 35), (0.8, 35), (0.55, 20), (0.25, 10))
STATUSES = (
    (AssignmentStatus.ACTIVE, 85),
    (AssignmentStatus.PAUSED, 10),
    (AssignmentStatus.ENDED, 5),
)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class Counts:
    clinics: int = 0
    patients: int = 0
    sessions: int = 0
    logs: int = 0
    checkins: int = 0
    weeks: int = 0
    changes: int = 0
    reminders: int = 0
    responses: int = 0


class Inserter:
    """Insert plain rows into a model's table: COPY on PostgreSQL, bulk_create elsewhere.

    Columns not given take the field's default, so fields other modules add with
    a default keep working. Primary keys are reserved from the sequence up front,
    which lets child rows point at parents before either is written.
    """

    def __init__(self, now: datetime.datetime):
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self._next_id: dict[type[models.Model], int] = {}

    def ids(self, model: type[models.Model], count: int) -> range:
        if count == 0:
            return range(0)
        if model not in self._next_id:
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
                self._next_id[model] = cursor.fetchone()[0]
        first = self._next_id[model]
        self._next_id[model] = first + count
        return range(first, first + count)

    def _defaults(self, model, given: set[str]) -> dict[str, object]:
        defaults = {}
        for model_field in model._meta.concrete_fields:
            if model_field.attname in given or model_field.primary_key:
                continue
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                defaults[model_field.attname] = self.now
            else:
                defaults[model_field.attname] = model_field.get_default()
        return defaults

    def insert(self, model: type[models.Model], rows: list[dict]) -> None:
        if not rows:
            return
        defaults = self._defaults(model, set(rows[0]))
        if not self.postgres:
            model.objects.bulk_create(
                [model(**{**defaults, **row}) for row in rows], batch_size=1000
            )
            return
        columns = ["id", *(name for name in rows[0] if name != "id"), *defaults]
        prepare = self._preparers(model, columns)
        names = ", ".join(
            f'"{model._meta.get_field(self._field(model, c)).column}"' for c in columns
        )
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    merged = {**defaults, **row}
                    copy.write_row(
                        [prep(merged[name]) for name, prep in zip(columns, prepare, strict=True)]
                    )

    @staticmethod
    def _field(model, attname: str) -> str:
        for model_field in model._meta.concrete_fields:
            if model_field.attname == attname:
                return model_field.name
        raise LookupError(attname)

    def _preparers(self, model, columns) -> list[Callable]:
        from psycopg.types.json import Jsonb

        prepare = []
        for name in columns:
            model_field = model._meta.get_field(self._field(model, name))
            if isinstance(model_field, models.JSONField):
                prepare.append(lambda value: None if value is None else Jsonb(value))
            else:
                prepare.append(lambda value: value)
        return prepare

    def finish(self) -> None:
        """Move each sequence past the ids used, so the app's own inserts do not collide."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in self._next_id:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))',
                    [table],
                )


def _simulate(rng, assignment_start, until, advanced, adherence, pause_on):
    """Return (sessions, checkins) of one patient: a rough player of the progression rule."""
    sessions: list[datetime.date] = []
    checkins: list[tuple[datetime.date, datetime.date, str]] = []  # session day, answered, answer
    level, tolerated_weeks = 0, 0
    week_start = assignment_start
    last_day = min(until, pause_on) if pause_on else until
    while week_start < last_day:
        planned = (2, 3, 7)[level]
        days = progression.planned_days(week_start, planned)
        done = [day for day in days if day < last_day and rng.random() < adherence]
        if level > 0 and rng.random() < 0.15:
            extra = week_start + datetime.timedelta(days=rng.randrange(7))
            if extra < last_day:
                done.append(extra)
        answers = []
        for day in sorted(done):
            sessions.append(day)
            answered = day + datetime.timedelta(days=1)
            if answered < last_day and rng.random() < 0.8:
                answer = _weighted(rng, ANSWERS)
                checkins.append((day, answered, answer))
                answers.append(answer)
        if "painful" in answers:
            level, tolerated_weeks = max(level - 1, 0), 0
        elif len(done) >= planned and "very_sore" not in answers:
            tolerated_weeks += 1
            if level == 0 or (level == 1 and advanced and tolerated_weeks >= 2):
                level, tolerated_weeks = min(level + 1, 2), 0
        else:
            tolerated_weeks = 0
        week_start += datetime.timedelta(days=7)
    return sessions, checkins


def load_data_generate(
    *,
    patients: int,
    weeks: int,
    seed: int,
    today: datetime.date,
    clinics: int | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Counts:
    """Create clinics, staff, patients and `weeks` weeks of history each; return the counts."""
    rng = random.Random(seed)
    clinics = clinics or max(1, math.ceil(patients / PATIENTS_PER_CLINIC))
    now = timezone.now()
    inserter = Inserter(now)
    password = make_password(
        PASSWORD
    )  # one hash for every login: hashing 10,000 would take minutes
    scheme_row = ProgressionScheme.objects.get(clinic=None, is_default=True)
    scheme = scheme_of(Assignment(scheme=scheme_row))
    counts = Counts(clinics=clinics)
    with transaction.atomic():
        starter_questionnaires_load()
    measures = _measures()

    with transaction.atomic():
        clinic_setups = [
            _clinic_setup(number, patients, clinics, scheme_row, password)
            for number in range(clinics)
        ]
    patient_number = 0
    for clinic_index, (clinic, therapists, programs) in enumerate(clinic_setups):
        in_clinic = patients // clinics + (1 if clinic_index < patients % clinics else 0)
        for first in range(0, in_clinic, BATCH):
            size = min(BATCH, in_clinic - first)
            with transaction.atomic():
                _batch_insert(
                    inserter=inserter,
                    rng=rng,
                    clinic=clinic,
                    therapists=therapists,
                    programs=programs,
                    scheme=scheme,
                    scheme_row=scheme_row,
                    numbers=range(patient_number, patient_number + size),
                    weeks=weeks,
                    today=today,
                    password=password,
                    counts=counts,
                    measures=measures,
                )
            patient_number += size
            log(f"{patient_number}/{patients} patients")
    inserter.finish()
    counts.patients = patient_number
    return counts


def _clinic_setup(number, patients, clinics, scheme_row, password):
    clinic = Clinic.objects.create(
        name=f"Load clinic {number + 1}",
        slug=f"{SLUG_PREFIX}{number + 1}",
        timezone="Europe/London",
    )
    per_clinic = math.ceil(patients / clinics)
    therapists = []
    for index in range(max(1, per_clinic // PATIENTS_PER_THERAPIST)):
        user = User.objects.create(
            email=f"therapist{index + 1}@{clinic.slug}.flexion.test",
            full_name=f"Therapist {index + 1} of {clinic.name}",
            is_staff=True,
            password=password,
        )
        therapists.append(StaffMember.objects.create(user=user, clinic=clinic))
    admin = User.objects.create(
        email=f"admin@{clinic.slug}.flexion.test",
        full_name=f"Admin of {clinic.name}",
        is_staff=True,
        password=password,
    )
    StaffMember.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    exercises = [
        Exercise.objects.create(
            clinic=clinic,
            key=f"load-exercise-{index}",
            name=f"Stretch {index + 1}",
            category=Category.STRETCH,
            starting_position="lying_on_back",
            steps=["Lie on your back.", "Stretch gently."],
            sets=1,
            reps=2,
            hold_seconds=20,
        )
        for index in range(ITEMS_PER_PROGRAM)
    ]
    programs = []
    for index in range(2):
        program = Program.objects.create(
            clinic=clinic,
            key=f"load-program-{index}",
            name=f"Program {index + 1}",
            scheme=scheme_row,
        )
        for order, exercise in enumerate(exercises):
            ProgramItem.objects.create(program=program, exercise=exercise, order=order)
        for code in QUESTIONNAIRE_SCHEDULE:
            ProgramQuestionnaire.objects.create(
                program=program,
                questionnaire=Questionnaire.objects.get(clinic=None, code=code),
                at_start=True,
                every_weeks=QUESTIONNAIRE_EVERY_WEEKS,
            )
        programs.append((program, exercises))
    return clinic, therapists, programs


# Every load program asks for these at the start and every four weeks; most patients answer.
QUESTIONNAIRE_SCHEDULE = ("nprs", "psfs")
QUESTIONNAIRE_EVERY_WEEKS = 4
ANSWERED_SHARE = 0.85


@dataclass(frozen=True)
class Measure:
    questionnaire_id: int
    version_id: int
    definition: outcomes.Definition


def _measures() -> dict[str, Measure]:
    measures = {}
    for code in QUESTIONNAIRE_SCHEDULE:
        questionnaire = Questionnaire.objects.get(clinic=None, code=code)
        version = questionnaire.latest_version()
        measures[code] = Measure(questionnaire.pk, version.pk, version.parsed)
    return measures


def _answers(rng, code: str, weeks_in: int, adherence: float) -> dict:
    """Answers that improve over the weeks, faster for adherent patients, with noise."""
    gain = weeks_in * adherence * 0.35
    if code == "nprs":
        pain = round(rng.uniform(4, 8) - gain + rng.uniform(-1.5, 1.5))
        return {"pain": min(10, max(0, pain))}
    answers = {}
    for number, name in enumerate(("Walking", "Stairs", "Lifting"), start=1):
        rating = round(rng.uniform(2, 5) + gain + rng.uniform(-1.5, 1.5))
        answers[f"activity-{number}-name"] = name
        answers[f"activity-{number}-score"] = min(10, max(0, rating))
    return answers


def _batch_insert(
    *,
    inserter,
    rng,
    clinic,
    therapists,
    programs,
    scheme,
    scheme_row,
    numbers,
    weeks,
    today,
    password,
    counts,
    measures,
):
    size = len(numbers)
    texts = {
        program.pk: {
            column: text
            for column, text in program.translations().items()
            if column.rsplit("_", 1)[0] in Assignment.TRANSLATED_FIELDS
        }
        for program, _exercises in programs
    }
    user_ids = inserter.ids(User, size)
    patient_ids = inserter.ids(Patient, size)
    assignment_ids = inserter.ids(Assignment, size)
    users, patients, assignments, items = [], [], [], []
    sessions, logs, checkins, program_weeks, changes, reminders = [], [], [], [], [], []
    schedules, responses = [], []
    for user_id, patient_id, assignment_id, number in zip(
        user_ids, patient_ids, assignment_ids, numbers, strict=True
    ):
        email = f"patient{number + 1}@load.flexion.test"
        users.append(
            {
                "id": user_id,
                "email": email,
                "full_name": f"Patient {number + 1}",
                "password": password,
            }
        )
        therapist = rng.choice(therapists)
        patients.append(
            {
                "id": patient_id,
                "clinic_id": clinic.pk,
                "user_id": user_id,
                "first_name": "Patient",
                "last_name": f"{number + 1:06d}",
                "email": email,
                "timezone": clinic.timezone,
                "reminder_consent": True,
                "therapist_id": therapist.pk,
            }
        )
        program, exercises = rng.choice(programs)
        start = today - datetime.timedelta(days=7 * weeks - rng.randrange(7))
        status = _weighted(rng, STATUSES)
        advanced = rng.random() < 0.25
        pause_on = None
        if status != AssignmentStatus.ACTIVE:
            pause_on = start + datetime.timedelta(days=rng.randrange(7, max(8, 7 * weeks)))
        assignments.append(
            {
                "id": assignment_id,
                "clinic_id": clinic.pk,
                "patient_id": patient_id,
                "program_id": program.pk,
                "therapist_id": therapist.pk,
                "name": program.name,
                # Each language's texts, as patients.services.assignment_create copies them.
                **texts[program.pk],
                "scheme_id": scheme_row.pk,
                "start_date": start,
                "status": status,
                "timezone": clinic.timezone,
                "advanced": advanced,
                "evaluated_on": today,
            }
        )
        item_ids = inserter.ids(PrescriptionItem, len(exercises))
        for order, (item_id, exercise) in enumerate(zip(item_ids, exercises, strict=True)):
            items.append(
                {
                    "id": item_id,
                    "assignment_id": assignment_id,
                    "exercise_id": exercise.pk,
                    "order": order,
                    "sets": 1,
                    "reps": 2,
                    "hold_seconds": 20,
                }
            )
        adherence = _weighted(rng, ADHERENCE_PROFILES)
        schedule = outcomes.Schedule(at_start=True, every_weeks=QUESTIONNAIRE_EVERY_WEEKS)
        last_day = min(today, pause_on) if pause_on else today
        for code, measure in measures.items():
            schedules.append(
                {
                    "id": 0,
                    "assignment_id": assignment_id,
                    "questionnaire_id": measure.questionnaire_id,
                    "at_start": True,
                    "every_weeks": QUESTIONNAIRE_EVERY_WEEKS,
                }
            )
            for occasion in schedule.occasions(start, last_day):
                if rng.random() >= ANSWERED_SHARE:
                    continue
                given = _answers(rng, code, (occasion - start).days // 7, adherence)
                at = datetime.datetime.combine(occasion, datetime.time(19), tzinfo=datetime.UTC)
                responses.append(
                    {
                        "id": 0,
                        "assignment_id": assignment_id,
                        "patient_id": patient_id,
                        "questionnaire_id": measure.questionnaire_id,
                        "version_id": measure.version_id,
                        "occasion": occasion,
                        "status": "submitted",
                        "answers": given,
                        "score": outcomes.score(measure.definition, given),
                        "started_at": at,
                        "updated_at": at,
                        "submitted_at": at,
                        "submitted_on": occasion,
                    }
                )
        done, answers = _simulate(rng, start, today, advanced, adherence, pause_on)
        session_ids = inserter.ids(Session, len(done))
        session_of = {}
        for session_id, day in zip(session_ids, done, strict=True):
            session_of.setdefault(day, session_id)
            at = datetime.datetime.combine(day, datetime.time(18), tzinfo=datetime.UTC)
            sessions.append(
                {
                    "id": session_id,
                    "assignment_id": assignment_id,
                    "patient_id": patient_id,
                    "performed_on": day,
                    "status": SessionStatus.COMPLETED,
                    "started_at": at,
                    "completed_at": at + datetime.timedelta(minutes=20),
                    "effort": rng.randint(2, 8),
                }
            )
            for item_id in item_ids:
                high = rng.random() < 0.004
                logs.append(
                    {
                        "id": 0,
                        "session_id": session_id,
                        "item_id": item_id,
                        "sets_done": 1,
                        "reps_done": 2,
                        "pain": rng.randint(7, 9) if high else rng.choice((0, 0, 1, 2, 3, None)),
                        "skipped": False,
                        "completed_at": at,
                    }
                )
        seen_sessions, answered_checkins = set(), []
        checkin_ids = inserter.ids(CheckIn, len(answers))
        for checkin_id, (day, answered, answer) in zip(checkin_ids, answers, strict=True):
            session_id = session_of[day]
            if session_id in seen_sessions:
                continue  # two sessions on one day: the check-in is about the first
            seen_sessions.add(session_id)
            answered_checkins.append((answered, answer))
            checkins.append(
                {
                    "id": checkin_id,
                    "session_id": session_id,
                    "patient_id": patient_id,
                    "answer": answer,
                    "answered_on": answered,
                    "answered_at": datetime.datetime.combine(
                        answered, datetime.time(9), tzinfo=datetime.UTC
                    ),
                }
            )
        history = progression.History(
            start_date=start,
            advanced=advanced,
            sessions=done,
            checkins=answered_checkins,
        )
        progress = progression.evaluate(scheme, history, min(today, pause_on or today))
        for week in progress.weeks:
            program_weeks.append(
                {
                    "id": 0,
                    "assignment_id": assignment_id,
                    "starts_on": week.start,
                    **week_values(week),
                }
            )
            if status == AssignmentStatus.ACTIVE:
                for day in week.planned_days:
                    if day < today:
                        due = datetime.datetime.combine(day, datetime.time(8), tzinfo=datetime.UTC)
                        reminders.append(
                            {
                                "id": 0,
                                "patient_id": patient_id,
                                "local_date": day,
                                "due_at": due,
                                "includes_session": True,
                                "status": "sent",
                                "claimed_at": due,
                                "sent_at": due,
                                "attempts": 1,
                            }
                        )
        for change in progress.changes:
            acknowledged = None
            # Therapists have worked through older alerts, and through half of the recent ones.
            recent = change.on > today - datetime.timedelta(days=14)
            if change.alert_therapist and (not recent or rng.random() < 0.5):
                acknowledged = now_at(change.on)
            changes.append(
                {
                    "id": 0,
                    **stage_change_fields(assignment_id, change),
                    "acknowledged_at": acknowledged,
                }
            )
    for rows, model in (
        (logs, ExerciseLog),
        (program_weeks, ProgramWeek),
        (changes, StageChange),
        (reminders, Reminder),
        (schedules, AssignmentQuestionnaire),
        (responses, OutcomeResponse),
    ):
        for row, row_id in zip(rows, inserter.ids(model, len(rows)), strict=True):
            row["id"] = row_id
    for model, rows in (
        (User, users),
        (Patient, patients),
        (Assignment, assignments),
        (PrescriptionItem, items),
        (Session, sessions),
        (ExerciseLog, logs),
        (CheckIn, checkins),
        (ProgramWeek, program_weeks),
        (StageChange, changes),
        (Reminder, reminders),
        (AssignmentQuestionnaire, schedules),
        (OutcomeResponse, responses),
    ):
        inserter.insert(model, rows)
    counts.sessions += len(sessions)
    counts.logs += len(logs)
    counts.checkins += len(checkins)
    counts.weeks += len(program_weeks)
    counts.changes += len(changes)
    counts.reminders += len(reminders)
    counts.responses += len(responses)


def now_at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
