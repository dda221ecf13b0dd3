"""Adherence computed in the database, from sessions and the stored program weeks.

The definitions (also in docs/adherence.md):

- A program week is what the progression rule decided (``patients.ProgramWeek``):
  its first and last day (inclusive), its stage and its planned sessions.
- completed = the assignment's sessions with status completed whose local date
  falls in the week; counted = min(completed, planned).
- A week has *ended* when its last day is before today (the clinic's local date).
  Adherence over a range = Σ counted / Σ planned over the ended weeks whose last
  day lies inside the range. A week that started before the range but ends in it
  counts whole; a week that ends after the range does not count; the week in
  progress is shown apart.
- streak = consecutive ended weeks of the range with completed >= planned, back
  from the last one.
- mean pain = mean of the exercise logs' pain of sessions done in the range;
  check-in flags = "very sore" or "sketchy or painful" check-ins answered in the
  range; stage changes = promotions, back-offs and overrides effective in the range.

Every query starts from an assignment queryset already limited with
``visible_to(user)`` or ``for_clinic(id)``; its SQL is embedded wherever the query needs the set.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patients.models import (
    HIGH_PAIN,
    Answer,
    AssignmentStatus,
    ChangeKind,
    ResponseStatus,
    SessionStatus,
)
from programs.outcomes import number_text

MAX_RANGE_YEARS = 5
ATTENTION_DAYS = 14
CHUNK_SIZE = 2000


class ReportError(ValueError):
    """Bad report input, with a message for the user."""


@dataclass(frozen=True)
class ReportScope:
    """Which assignments (already scoped and filtered) and which dates a report covers."""

    assignments: QuerySet
    start: datetime.date
    end: datetime.date
    today: datetime.date

    def only(self, assignment_ids) -> ReportScope:
        """The same report limited to some of its assignments (a page, a selection)."""
        return dataclasses.replace(self, assignments=self.assignments.filter(pk__in=assignment_ids))


@dataclass(frozen=True)
class PatientRow:
    assignment_id: int
    patient_id: int
    patient: str
    program: str
    status: str
    therapist: str
    planned: int
    completed: int
    counted: int
    stage: str
    current_planned: int | None
    current_completed: int | None
    streak: int
    last_session: datetime.date | None
    mean_pain: float | None
    checkin_flags: int
    stage_changes: int

    @property
    def adherence(self) -> float | None:
        """Percent, or None when no planned week ended in the range."""
        return round(100 * self.counted / self.planned, 1) if self.planned else None


@dataclass(frozen=True)
class WeekRow:
    assignment_id: int
    patient: str
    program: str
    starts_on: datetime.date
    ends_on: datetime.date
    stage: str
    planned: int
    completed: int
    counted: int
    in_progress: bool
    mean_pain: float | None = None

    @property
    def adherence(self) -> float | None:
        return round(100 * self.counted / self.planned, 1) if self.planned else None


@dataclass(frozen=True)
class ChartPoint:
    """Adherence of all program weeks that ended in one calendar week (Monday first)."""

    week: datetime.date
    planned: int
    counted: int

    @property
    def adherence(self) -> float | None:
        return round(100 * self.counted / self.planned, 1) if self.planned else None


@dataclass(frozen=True)
class Attention:
    assignment_id: int
    patient: str
    program: str
    therapist: str
    reasons: tuple[str, ...]
    latest: datetime.date
    patient_id: int = 0
    unread: int = 0  # the patient's messages no therapist has read yet
    alerts: int = 0  # open pain alerts


def range_check(start: datetime.date, end: datetime.date) -> None:
    """Raise ReportError for a range that starts after it ends or spans over five years."""
    if start > end:
        raise ReportError(_("The start date is after the end date."))
    try:
        limit = start.replace(year=start.year + MAX_RANGE_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_RANGE_YEARS, day=28)
    if end > limit:
        raise ReportError(_("A report covers at most five years."))


def clinic_today(tz_name: str | None, now: datetime.datetime | None = None) -> datetime.date:
    """Return today's date in the clinic's time zone (UTC when there is no one clinic)."""
    now = now or timezone.now()
    return now.astimezone(zoneinfo.ZoneInfo(tz_name or "UTC")).date()


def _scoped(scope_or_queryset) -> tuple[str, list]:
    queryset = getattr(scope_or_queryset, "assignments", scope_or_queryset)
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


_NAMED = re.compile(r"%\((\w+)\)s")


def _bind(template: str, scope_or_queryset, **values) -> tuple[str, list]:
    """Put the scoped assignments' SQL at each ``{scoped}`` and turn ``%(name)s`` into
    positional parameters (the embedded queryset SQL already uses positional ones).

    The queryset is embedded where it is used rather than once in a CTE: PostgreSQL has
    no statistics for a CTE's rows, guesses 200 of them, and plans the joins on that.
    """
    scoped, scoped_params = _scoped(scope_or_queryset)
    params: list = []

    def positional(part: str) -> str:
        def one(match):
            params.append(values[match.group(1)])
            return "%s"

        return _NAMED.sub(one, part)

    parts = template.split("{scoped}")
    sql = positional(parts[0])
    for part in parts[1:]:
        params.extend(scoped_params)
        sql += scoped + positional(part)
    return sql, params


def _values(scope: ReportScope) -> dict:
    return {
        "start": scope.start,
        "end": scope.end,
        "today": scope.today,
        "completed": SessionStatus.COMPLETED.value,
        "active": "active",
        "very_sore": Answer.VERY_SORE.value,
        "painful": Answer.PAINFUL.value,
        "alert": ChangeKind.ALERT.value,
    }


# The stored weeks that overlap the range, with their completed sessions counted: one
# probe of the (assignment, status, performed_on) index per week (cheaper than any join of
# the two: each assignment's weeks would meet each of its sessions).
_WEEKS = """weeks AS (
    SELECT w.assignment_id, w.starts_on, w.ends_on, w.stage, w.planned,
           (SELECT COUNT(*) FROM patients_session s
             WHERE s.assignment_id = w.assignment_id AND s.status = %(completed)s
               AND s.performed_on >= w.starts_on AND s.performed_on <= w.ends_on) AS completed
    FROM patients_programweek w
    WHERE w.assignment_id IN ({scoped})
      AND w.starts_on <= %(end)s AND w.ends_on >= %(start)s
)"""

# One pass over the weeks gives each assignment's totals, streak and latest week. The
# weeks are walked back from the latest (n = 1) counting the ended ones (ended_since: the
# ended weeks from this one on), so the streak is that count at the latest ended week that
# fell short, less itself, or every ended week when none did. The last session and the
# mean pain are a probe per row (pain: one index-only probe per session of the range,
# never a scan of every clinic's exercise logs); flags probe each patient's few bad
# check-ins of the range (a partial index by patient), not each of their sessions.
_PATIENT_SQL = (
    """
WITH """
    + _WEEKS
    + """,
numbered AS (
    SELECT assignment_id, ends_on, stage, planned, completed, ended,
           ROW_NUMBER() OVER latest_first AS n,
           SUM(ended) OVER latest_first AS ended_since
    FROM (
        SELECT assignment_id, starts_on, ends_on, stage, planned, completed,
               CASE WHEN ends_on <= %(end)s AND ends_on < %(today)s THEN 1 ELSE 0 END AS ended
        FROM weeks
    ) marked
    WINDOW latest_first AS (PARTITION BY assignment_id ORDER BY starts_on DESC)
),
summary AS (
    SELECT assignment_id,
           SUM(CASE WHEN ended = 1 THEN planned ELSE 0 END) AS planned,
           SUM(CASE WHEN ended = 1 THEN completed ELSE 0 END) AS completed,
           SUM(CASE WHEN ended = 0 THEN 0 WHEN completed < planned THEN completed
                    ELSE planned END) AS counted,
           COALESCE(MIN(CASE WHEN ended = 1 AND completed < planned THEN ended_since END) - 1,
                    SUM(ended)) AS streak,
           MAX(CASE WHEN n = 1 THEN stage END) AS stage,
           MAX(CASE WHEN n = 1 THEN planned END) AS current_planned,
           MAX(CASE WHEN n = 1 THEN completed END) AS current_completed,
           MAX(CASE WHEN n = 1 THEN ends_on END) AS current_ends_on
    FROM numbered GROUP BY assignment_id
),
flags AS (
    SELECT s.assignment_id, COUNT(*) AS flags
    FROM patients_assignment a
    JOIN patients_checkin c ON c.patient_id = a.patient_id
    JOIN patients_session s ON s.id = c.session_id
    WHERE a.id IN ({scoped}) AND s.assignment_id = a.id
      AND c.answer IN (%(very_sore)s, %(painful)s)
      AND c.answered_on >= %(start)s AND c.answered_on <= %(end)s
    GROUP BY s.assignment_id
),
changes AS (
    SELECT assignment_id, COUNT(*) AS changes FROM patients_stagechange
    WHERE assignment_id IN ({scoped}) AND kind <> %(alert)s
      AND effective_on >= %(start)s AND effective_on <= %(end)s
    GROUP BY assignment_id
)
SELECT a.id, p.id, TRIM(p.first_name || ' ' || p.last_name), a.name, a.status,
       COALESCE(NULLIF(u.full_name, ''), u.email, ''),
       t.planned, t.completed, t.counted,
       COALESCE(ss.name, t.stage, ''),
       CASE WHEN t.current_ends_on >= %(today)s AND a.status = %(active)s
            THEN t.current_planned END,
       CASE WHEN t.current_ends_on >= %(today)s AND a.status = %(active)s
            THEN t.current_completed END,
       t.streak,
       (SELECT MAX(s.performed_on) FROM patients_session s
         WHERE s.assignment_id = a.id AND s.status = %(completed)s
           AND s.performed_on <= %(end)s),
       (SELECT 1.0 * SUM(l.pain) / NULLIF(COUNT(l.pain), 0)
          FROM patients_session s JOIN patients_exerciselog l ON l.session_id = s.id
         WHERE s.assignment_id = a.id
           AND s.performed_on >= %(start)s AND s.performed_on <= %(end)s),
       COALESCE(f.flags, 0), COALESCE(c.changes, 0)
FROM summary t
JOIN patients_assignment a ON a.id = t.assignment_id
JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN clinic_staffmember sm ON sm.id = a.therapist_id
LEFT JOIN clinic_user u ON u.id = sm.user_id
LEFT JOIN programs_schemestage ss ON ss.scheme_id = a.scheme_id AND ss.code = t.stage
LEFT JOIN flags f ON f.assignment_id = a.id
LEFT JOIN changes c ON c.assignment_id = a.id
ORDER BY p.last_name, p.first_name, a.id
"""
)


def patient_rows_sql(scope: ReportScope) -> tuple[str, list]:
    """Return the SQL and parameters of one row per assignment with a week in the range."""
    return _bind(_PATIENT_SQL, scope, **_values(scope))


def _patient_row(row) -> PatientRow:
    values = list(row)
    # PostgreSQL sums integers as numeric: back to int, and pain to one decimal.
    values[6:9] = (int(value) for value in values[6:9])
    values[13] = _date(values[13])
    values[15:17] = (int(value) for value in values[15:17])
    values[14] = _one_decimal(values[14])
    return PatientRow(*values)


def _date(value) -> datetime.date | None:
    """Dates from raw SQL: PostgreSQL returns dates, SQLite (the `make run` demo) ISO text."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _datetime(value) -> datetime.datetime | None:
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return value


def _one_decimal(value) -> float | None:
    return None if value is None else round(float(value), 1)


_IDS_SQL = """
SELECT a.id FROM patients_assignment a JOIN patients_patient p ON p.id = a.patient_id
WHERE a.id IN ({scoped}) AND EXISTS (
    SELECT 1 FROM patients_programweek w
    WHERE w.assignment_id = a.id AND w.ends_on >= %(start)s AND w.starts_on <= %(end)s
)
ORDER BY p.last_name, p.first_name, a.id
"""


def report_assignment_ids(scope: ReportScope) -> list[int]:
    """Return the ids of the report's rows in table order, so a page computes only its own."""
    with connection.cursor() as cursor:
        cursor.execute(*_bind(_IDS_SQL, scope, **_values(scope)))
        return [row[0] for row in cursor.fetchall()]


def patient_rows(scope: ReportScope) -> list[PatientRow]:
    """Return the per-patient table of a report (one row per assignment with weeks in range)."""
    sql, params = patient_rows_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_patient_row(row) for row in cursor.fetchall()]


def stream(sql: str, params: list, chunk_size: int = CHUNK_SIZE) -> Iterator[list[tuple]]:
    """Yield the rows of a query in chunks from a server-side cursor.

    ``chunked_cursor`` is what ``QuerySet.iterator()`` uses: a named cursor on
    PostgreSQL, so memory does not grow with the number of rows.
    """
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield rows


def patient_rows_stream(scope: ReportScope, chunk_size: int = CHUNK_SIZE) -> Iterator[PatientRow]:
    sql, params = patient_rows_sql(scope)
    for rows in stream(sql, params, chunk_size):
        yield from map(_patient_row, rows)


_WEEK_SQL = (
    """
WITH """
    + _WEEKS
    + """
SELECT w.assignment_id, TRIM(p.first_name || ' ' || p.last_name), a.name,
       w.starts_on, w.ends_on, COALESCE(ss.name, w.stage), w.planned, w.completed,
       CASE WHEN w.ends_on >= %(today)s THEN 1 ELSE 0 END
FROM weeks w
JOIN patients_assignment a ON a.id = w.assignment_id
JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN programs_schemestage ss ON ss.scheme_id = a.scheme_id AND ss.code = w.stage
WHERE (w.ends_on <= %(end)s AND w.ends_on < %(today)s)
   OR (w.starts_on <= %(today)s AND w.ends_on >= %(today)s AND a.status = %(active)s)
ORDER BY p.last_name, p.first_name, a.id, w.starts_on
"""
)


def week_rows_sql(scope: ReportScope) -> tuple[str, list]:
    """Return the SQL of one row per patient-week: weeks ended in the range and current ones."""
    return _bind(_WEEK_SQL, scope, **_values(scope))


def _week_row(row) -> WeekRow:
    # counted = min(completed, planned) here: in the SQL it would count the sessions again.
    assignment_id, patient, program, starts_on, ends_on, stage, planned, completed, current = row
    return WeekRow(
        assignment_id,
        patient,
        program,
        _date(starts_on),
        _date(ends_on),
        stage,
        planned,
        completed,
        min(completed, planned),
        bool(current),
    )


def week_rows(scope: ReportScope) -> list[WeekRow]:
    """The weeks of a few assignments (a page): one plain query, no server-side cursor."""
    sql, params = week_rows_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_week_row(row) for row in cursor.fetchall()]


def week_rows_stream(scope: ReportScope, chunk_size: int = CHUNK_SIZE) -> Iterator[WeekRow]:
    sql, params = week_rows_sql(scope)
    for rows in stream(sql, params, chunk_size):
        yield from map(_week_row, rows)


# Each week's sessions are counted in the subquery that caps them: a CASE over a counted
# column of the weeks would run the count twice.
_CHART_SQL = """
SELECT ends_on, SUM(planned), SUM(counted)
FROM (
    SELECT w.ends_on, w.planned,
           (SELECT CASE WHEN COUNT(*) < w.planned THEN COUNT(*) ELSE w.planned END
              FROM patients_session s
             WHERE s.assignment_id = w.assignment_id AND s.status = %(completed)s
               AND s.performed_on >= w.starts_on AND s.performed_on <= w.ends_on) AS counted
    FROM patients_programweek w
    WHERE w.assignment_id IN ({scoped})
      AND w.starts_on <= %(end)s AND w.ends_on >= %(start)s
      AND w.ends_on <= %(end)s AND w.ends_on < %(today)s
) ended
GROUP BY ends_on
"""


def weekly_adherence(scope: ReportScope) -> list[ChartPoint]:
    """Return adherence per calendar week of the weeks' last days, for the clinic chart."""
    with connection.cursor() as cursor:
        cursor.execute(*_bind(_CHART_SQL, scope, **_values(scope)))
        by_day = cursor.fetchall()
    # A few dozen already-aggregated rows: bucketing them by Monday here keeps the SQL portable.
    buckets: dict[datetime.date, list[int]] = {}
    for ends_on, planned, counted in by_day:
        ends_on = _date(ends_on)
        monday = ends_on - datetime.timedelta(days=ends_on.weekday())
        bucket = buckets.setdefault(monday, [0, 0])
        bucket[0] += int(planned)
        bucket[1] += int(counted)
    return [ChartPoint(week, *buckets[week]) for week in sorted(buckets)]


_ASSIGNMENT_WEEKS_SQL = """
SELECT w.starts_on, w.ends_on, COALESCE(ss.name, w.stage), w.planned,
       (SELECT COUNT(*) FROM patients_session s
         WHERE s.assignment_id = w.assignment_id AND s.status = %(completed)s
           AND s.performed_on >= w.starts_on AND s.performed_on <= w.ends_on),
       (SELECT AVG(l.pain) FROM patients_exerciselog l
          JOIN patients_session s ON s.id = l.session_id
         WHERE s.assignment_id = w.assignment_id AND l.pain IS NOT NULL
           AND s.performed_on >= w.starts_on AND s.performed_on <= w.ends_on)
FROM patients_programweek w
JOIN patients_assignment a ON a.id = w.assignment_id
LEFT JOIN programs_schemestage ss ON ss.scheme_id = a.scheme_id AND ss.code = w.stage
WHERE w.assignment_id IN ({scoped}) AND w.starts_on <= %(today)s
ORDER BY w.starts_on
"""


def assignment_weeks(assignments: QuerySet, today: datetime.date) -> list[WeekRow]:
    """Return every stored week of the (one, scoped) assignment with adherence and mean pain."""
    sql, params = _bind(
        _ASSIGNMENT_WEEKS_SQL,
        assignments,
        completed=SessionStatus.COMPLETED.value,
        today=today,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(_date(first), _date(last), *rest) for first, last, *rest in cursor.fetchall()]
    return [
        WeekRow(
            assignment_id=0,
            patient="",
            program="",
            starts_on=starts_on,
            ends_on=ends_on,
            stage=stage,
            planned=planned,
            completed=completed,
            counted=min(completed, planned),
            in_progress=ends_on >= today,
            mean_pain=_one_decimal(pain),
        )
        for starts_on, ends_on, stage, planned, completed, pain in rows
    ]


def _literals(template: str) -> str:
    """Write the code's constants (statuses, answers, the pain threshold) into SQL as
    literals rather than parameters: a partial index serves a query only when its
    condition follows from the query's constants, and a prepared statement's generic
    plan (PostgreSQL's after five runs) knows nothing of its parameters' values."""
    constants = {
        "true": "TRUE",
        "active": "'active'",
        "completed": f"'{SessionStatus.COMPLETED.value}'",
        "submitted": f"'{ResponseStatus.SUBMITTED.value}'",
        "painful": f"'{Answer.PAINFUL.value}'",
        "very_sore": f"'{Answer.VERY_SORE.value}'",
        "high": str(int(HIGH_PAIN)),
    }
    return _NAMED.sub(lambda match: constants.get(match.group(1), match.group(0)), template)


# The caseload's active assignments, read once by the needs-attention queries (from a
# queryset limited to the active ones). The name is the column the other report queries
# read: the ORM's values() would give the translated fields instead.
_SCOPED = """scoped AS MATERIALIZED (
    SELECT a.id, a.patient_id, a.name, a.therapist_id FROM patients_assignment a
    WHERE a.id IN ({scoped})
)"""


def _active(assignments: QuerySet) -> QuerySet:
    return assignments.filter(status=AssignmentStatus.ACTIVE)


# The recent weeks of the listed assignments that can have missed two planned days in a
# row: d1 is the day before yesterday at the latest, so a session completed yesterday
# rules them out (the rows' last session before today is older than yesterday).
_CANDIDATES = """candidates AS (
    SELECT w.assignment_id, w.planned_days
    FROM scoped a JOIN patients_programweek w ON w.assignment_id = a.id
    WHERE w.starts_on < %(today)s AND w.ends_on >= %(recent)s
      AND NOT EXISTS (
          SELECT 1 FROM patients_session s
          WHERE s.assignment_id = a.id AND s.status = %(completed)s
            AND s.performed_on >= %(yesterday)s AND s.performed_on < %(today)s
      )
)"""

# The caseload's active assignments are read once (``scoped``) and every reason starts
# from them: a probe per assignment (or patient) into an index of the few rows that can be
# a reason (open alerts, flagged check-ins, high pain, skips with a reason), never a join of
# every clinic's rows semi-joined to the caseload afterwards. The recent sessions, read
# once, serve the skips and the high pain. Only the assignments that may have a reason come
# back (the whole clinic's list is read by Python a row at a time).
_ATTENTION_SQL = _literals(
    """
WITH """
    + _SCOPED
    + ",\n"
    + _CANDIDATES
    + """,
reviewed AS (
    SELECT r.assignment_id, MAX(r.reviewed_at) AS reviewed_at
    FROM scoped JOIN reports_attentionreview r ON r.assignment_id = scoped.id
    GROUP BY r.assignment_id
),
alerts AS (
    SELECT c.assignment_id, COUNT(*) AS n, MAX(c.effective_on) AS last_on
    FROM scoped JOIN patients_stagechange c ON c.assignment_id = scoped.id
    WHERE c.alert_therapist = %(true)s AND c.acknowledged_at IS NULL
    GROUP BY c.assignment_id
),
recent AS MATERIALIZED (
    SELECT s.id, s.assignment_id, s.performed_on, r.reviewed_at
    FROM scoped JOIN patients_session s ON s.assignment_id = scoped.id
    LEFT JOIN reviewed r ON r.assignment_id = scoped.id
    WHERE s.performed_on >= %(since)s
),
skips AS (
    SELECT s.assignment_id, COUNT(*) AS n, MAX(l.id) AS last_log
    FROM recent s
    JOIN patients_exerciselog l ON l.session_id = s.id
    WHERE l.skipped AND l.skip_reason <> ''
      AND (s.reviewed_at IS NULL OR l.completed_at > s.reviewed_at)
    GROUP BY s.assignment_id
),
last_skip AS MATERIALIZED (
    SELECT sk.assignment_id, sk.n, ks.performed_on, ke.name, kl.skip_reason
    FROM skips sk
    JOIN patients_exerciselog kl ON kl.id = sk.last_log
    JOIN patients_session ks ON ks.id = kl.session_id
    LEFT JOIN patients_prescriptionitem ki ON ki.id = kl.item_id
    LEFT JOIN programs_exercise ke ON ke.id = ki.exercise_id
),
high_pain AS (
    SELECT s.assignment_id, MAX(l.pain) AS pain, MAX(s.performed_on) AS last_on
    FROM recent s
    JOIN patients_exerciselog l ON l.session_id = s.id
    WHERE l.pain >= %(high)s
      AND (s.reviewed_at IS NULL OR l.completed_at > s.reviewed_at)
    GROUP BY s.assignment_id
),
outcome_questionnaires AS (
    SELECT DISTINCT o.assignment_id, o.questionnaire_id
    FROM scoped JOIN patients_outcomeresponse o ON o.assignment_id = scoped.id
    WHERE o.status = %(submitted)s
),
outcome_ends AS (
    SELECT x.assignment_id, x.questionnaire_id,
           (SELECT o.id FROM patients_outcomeresponse o
            WHERE o.assignment_id = x.assignment_id AND o.questionnaire_id = x.questionnaire_id
              AND o.status = %(submitted)s
              AND NOT EXISTS (SELECT 1 FROM patients_outcomeresponse c
                              WHERE c.supersedes_id = o.id AND c.supersedes_id IS NOT NULL
                                AND c.status = %(submitted)s)
            ORDER BY o.occasion, o.submitted_at LIMIT 1) AS baseline_id,
           (SELECT o.id FROM patients_outcomeresponse o
            WHERE o.assignment_id = x.assignment_id AND o.questionnaire_id = x.questionnaire_id
              AND o.status = %(submitted)s
              AND NOT EXISTS (SELECT 1 FROM patients_outcomeresponse c
                              WHERE c.supersedes_id = o.id AND c.supersedes_id IS NOT NULL
                                AND c.status = %(submitted)s)
            ORDER BY o.occasion DESC, o.submitted_at DESC LIMIT 1) AS latest_id
    FROM outcome_questionnaires x
),
outcome_pairs AS (
    SELECT e.assignment_id, e.questionnaire_id, b.score AS baseline, l.score AS latest,
           v.higher_is_better, v.mcid, l.submitted_at AS latest_at, l.submitted_on AS latest_on
    FROM outcome_ends e
    JOIN patients_outcomeresponse b ON b.id = e.baseline_id
    JOIN patients_outcomeresponse l ON l.id = e.latest_id
    JOIN programs_questionnaireversion v ON v.id = l.version_id
    WHERE l.id <> b.id
),
outcome_worse AS (
    SELECT assignment_id, title, baseline, latest, last_on FROM (
        SELECT x.assignment_id, q.title, x.baseline, x.latest, x.latest_on AS last_on,
               ROW_NUMBER() OVER (PARTITION BY x.assignment_id
                                  ORDER BY x.latest_on DESC, q.title) AS nth
        FROM outcome_pairs x
        JOIN programs_questionnaire q ON q.id = x.questionnaire_id
        LEFT JOIN reviewed r ON r.assignment_id = x.assignment_id
        WHERE x.mcid IS NOT NULL
          AND (CASE WHEN x.higher_is_better THEN x.latest - x.baseline
                    ELSE x.baseline - x.latest END) < -x.mcid
          AND (r.reviewed_at IS NULL OR x.latest_at > r.reviewed_at)
    ) ranked
    WHERE nth = 1
),
flagged AS (
    SELECT a.id AS assignment_id,
           (SELECT MAX(c.answered_on)
            FROM patients_checkin c JOIN patients_session s ON s.id = c.session_id
            WHERE c.patient_id = a.patient_id AND s.assignment_id = a.id
              AND c.answer = %(painful)s AND c.answered_on >= %(since)s
              AND (r.reviewed_at IS NULL OR c.answered_at > r.reviewed_at)) AS last_on,
           (SELECT MAX(c.answered_on)
            FROM patients_checkin c JOIN patients_session s ON s.id = c.session_id
            WHERE c.patient_id = a.patient_id AND s.assignment_id = a.id
              AND c.answer = %(very_sore)s AND c.answered_on >= %(since)s
              AND (r.reviewed_at IS NULL OR c.answered_at > r.reviewed_at)) AS sore_on
    FROM scoped a LEFT JOIN reviewed r ON r.assignment_id = a.id
)
SELECT a.id, TRIM(p.first_name || ' ' || p.last_name), a.name,
       COALESCE(NULLIF(u.full_name, ''), u.email, ''),
       al.n, al.last_on, pf.last_on, hp.pain, hp.last_on,
       (SELECT MAX(s.performed_on) FROM patients_session s
         WHERE s.assignment_id = a.id AND s.status = %(completed)s
           AND s.performed_on < %(today)s),
       r.reviewed_at,
       p.id, pf.sore_on, sk.n, sk.performed_on, sk.name, sk.skip_reason,
       (SELECT COUNT(*) FROM patients_message m
         WHERE m.patient_id = p.id AND m.from_patient AND m.read_at IS NULL),
       (SELECT MAX(m.created_at) FROM patients_message m
         WHERE m.patient_id = p.id AND m.from_patient AND m.read_at IS NULL),
       ow.title, ow.baseline, ow.latest, ow.last_on
FROM scoped a
JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN clinic_staffmember sm ON sm.id = a.therapist_id
LEFT JOIN clinic_user u ON u.id = sm.user_id
LEFT JOIN reviewed r ON r.assignment_id = a.id
LEFT JOIN alerts al ON al.assignment_id = a.id
LEFT JOIN flagged pf ON pf.assignment_id = a.id
LEFT JOIN last_skip sk ON sk.assignment_id = a.id
LEFT JOIN high_pain hp ON hp.assignment_id = a.id
LEFT JOIN outcome_worse ow ON ow.assignment_id = a.id
WHERE al.assignment_id IS NOT NULL OR pf.last_on IS NOT NULL OR pf.sore_on IS NOT NULL
   OR sk.assignment_id IS NOT NULL OR hp.assignment_id IS NOT NULL
   OR ow.assignment_id IS NOT NULL
   OR a.id IN (SELECT assignment_id FROM candidates)
   OR EXISTS (SELECT 1 FROM patients_message m
              WHERE m.patient_id = p.id AND m.from_patient AND m.read_at IS NULL)
ORDER BY p.last_name, p.first_name, a.id
"""
)


_CANDIDATE_WEEKS_SQL = _literals(
    "WITH " + _SCOPED + ",\n" + _CANDIDATES + "\nSELECT * FROM candidates"
)


def _candidate_values(today: datetime.date) -> dict:
    return {
        "today": today,
        "recent": today - datetime.timedelta(days=4 * 7),
        "yesterday": today - datetime.timedelta(days=1),
    }


def _candidates_planned_days(
    assignments: QuerySet, today: datetime.date
) -> Iterator[tuple[int, list[str]]]:
    """Return (assignment id, ISO planned days) of each recent week of the candidates.

    Raw SQL: the ORM would decode each week through the model's JSONField, and the
    candidates' ids would travel back as a list of parameters.
    """
    sql, params = _bind(_CANDIDATE_WEEKS_SQL, _active(assignments), **_candidate_values(today))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # JSON text from PostgreSQL (Django loads jsonb as text) and SQLite alike: one parse
    # of all the weeks' arrays instead of one per week.
    days = json.loads("[" + ",".join(days for _id, days in rows) + "]")
    return zip((assignment_id for assignment_id, _days in rows), days, strict=True)


def needs_attention(
    assignments: QuerySet, today: datetime.date, tz_name: str | None = None
) -> list[Attention]:
    """Return the active assignments a therapist should look at, most recent reason first.

    Reasons: an unacknowledged pain alert, a sketchy/painful or very sore check-in in
    the last ATTENTION_DAYS days; pain >= 7 logged in that time; an exercise skipped
    with a reason in that time; two planned sessions missed in a row; the patient's
    unread messages; a questionnaire's latest score worse than its first by more than
    its MCID (the latest score's version says which way is better and the MCID).
    Reasons older than the assignment's last review are left out (unread messages leave
    the list when a therapist reads them).
    """
    since = today - datetime.timedelta(days=ATTENTION_DAYS)
    sql, params = _bind(
        _ATTENTION_SQL,
        _active(assignments),
        since=since,
        **_candidate_values(today),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            (
                *row[:5],
                _date(row[5]),
                _date(row[6]),
                row[7],
                _date(row[8]),
                _date(row[9]),
                _datetime(row[10]),
                row[11],
                _date(row[12]),
                row[13],
                _date(row[14]),
                row[15],
                row[16],
                row[17],
                _datetime(row[18]),
                *row[19:22],
                _date(row[22]),
            )
            for row in cursor.fetchall()
        ]
    zone = zoneinfo.ZoneInfo(tz_name or "UTC")
    # Two planned sessions missed in a row: the two latest planned days before today
    # (d1 < d2) had no completed session from d1 on. Only assignments with no session
    # since the day before yesterday can qualify, so only their planned days are read.
    # The days stay ISO text (which sorts and compares as the dates do) until the two
    # latest are known: the whole clinic's candidates plan thousands of days.
    before_today = today.isoformat()
    planned_days: dict[int, list[str]] = {}
    for assignment_id, days in _candidates_planned_days(assignments, today):
        planned_days.setdefault(assignment_id, []).extend(
            [day for day in days if day < before_today]
        )
    # Translated once for the whole list.
    painful_text = _("Sketchy or painful check-in on %(day)s")
    pain_text = _("Pain %(pain)d/10 on %(day)s")
    missed_text = _("Missed the planned sessions of %(first)s and %(second)s")
    sore_text = _("Very sore after a session (check-in of %(day)s)")
    skip_text = _("Skipped %(exercise)s on %(day)s: “%(reason)s”")
    skips_text = _(
        "%(n)d exercises skipped with a reason; the latest, %(exercise)s on %(day)s: “%(reason)s”"
    )
    worse_text = _("%(questionnaire)s worse by more than the MCID: %(baseline)s → %(latest)s")
    result = []
    for (
        assignment_id,
        patient,
        program,
        therapist,
        alerts,
        alert_on,
        painful_on,
        pain,
        pain_on,
        last_done,
        reviewed_at,
        patient_id,
        sore_on,
        skips,
        skip_on,
        skip_exercise,
        skip_reason,
        unread,
        unread_at,
        outcome,
        baseline,
        latest,
        outcome_on,
    ) in rows:
        reasons, dates = [], []
        if unread:
            reasons.append(
                ngettext("%(n)s unread message", "%(n)s unread messages", unread) % {"n": unread}
            )
            dates.append(unread_at.astimezone(zone).date())
        if alerts:
            reasons.append(
                ngettext(
                    "%(n)d pain alert not acknowledged",
                    "%(n)d pain alerts not acknowledged",
                    alerts,
                )
                % {"n": alerts}
            )
            dates.append(alert_on)
        if painful_on:
            reasons.append(painful_text % {"day": painful_on})
            dates.append(painful_on)
        if sore_on and not painful_on:
            reasons.append(sore_text % {"day": sore_on})
            dates.append(sore_on)
        if pain is not None:
            reasons.append(pain_text % {"pain": pain, "day": pain_on})
            dates.append(pain_on)
        if skips:
            skip = {"n": skips, "exercise": skip_exercise, "day": skip_on, "reason": skip_reason}
            reasons.append((skip_text if skips == 1 else skips_text) % skip)
            dates.append(skip_on)
        days = sorted(planned_days.get(assignment_id, ()))
        if len(days) >= 2:
            first, second = map(datetime.date.fromisoformat, days[-2:])
            reviewed_on = reviewed_at.astimezone(zone).date() if reviewed_at else None
            missed = last_done is None or last_done < first
            if missed and (reviewed_on is None or second > reviewed_on):
                reasons.append(missed_text % {"first": first, "second": second})
                dates.append(second)
        if outcome:
            reasons.append(
                worse_text
                % {
                    "questionnaire": outcome,
                    "baseline": number_text(baseline),
                    "latest": number_text(latest),
                }
            )
            dates.append(outcome_on)
        if reasons:
            result.append(
                Attention(
                    assignment_id,
                    patient,
                    program,
                    therapist,
                    tuple(reasons),
                    max(dates),
                    patient_id=patient_id,
                    unread=unread,
                    alerts=alerts or 0,
                )
            )
    result.sort(key=lambda attention: attention.latest, reverse=True)
    return result
