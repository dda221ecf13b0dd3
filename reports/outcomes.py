"""Outcome reports: first score against latest and the share reaching the MCID, by patient,
program, therapist and clinic, beside adherence — one SQL query for all four levels.

Definitions (also in docs/adherence.md):

- A patient's *current* responses are the sent ones no sent correction supersedes.
- Over a range (start, end): the **baseline** is an assignment's first current response
  to a questionnaire due on or before the end; the **latest** is its last one due in the
  range, when that is not the baseline itself. Only such pairs are counted.
- **improvement** = latest − baseline, turned round when lower is better, so it is
  positive when the patient got better; **reached the MCID** = improvement ≥ the MCID of
  the latest response's version (scales without an MCID are not counted in the share).
- **adherence** beside it is the report's own (Σ counted / Σ planned over the ended
  weeks whose last day is in the range) over the same assignments (each group is one
  questionnaire's, where an assignment has at most one pair, so none counts twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from patients.models import Assignment, ResponseStatus
from patients.outcomes import Trend, trends_by_assignment
from programs.outcomes import number_text

from . import charts
from .adherence import _WEEKS, ReportScope, _bind, _values, stream


class Level:
    PATIENT = "patient"
    PROGRAM = "program"
    THERAPIST = "therapist"
    CLINIC = "clinic"


@dataclass(frozen=True)
class OutcomeRow:
    level: str
    name: str  # the patient, program or therapist; empty for the clinic
    program: str  # for a patient's row, their program
    questionnaire: str
    pairs: int
    baseline: float
    latest: float
    improvement: float
    reached: int
    with_mcid: int
    planned: int
    counted: int

    @property
    def reached_share(self) -> float | None:
        return round(100 * self.reached / self.with_mcid, 1) if self.with_mcid else None

    @property
    def adherence(self) -> float | None:
        return round(100 * self.counted / self.planned, 1) if self.planned else None


# The same totals at each level (GROUPING SETS where SQLite has none): a level's own
# columns, then the questionnaire's title and the totals, grouped by the level's keys.
_TOTALS = """COUNT(*), AVG(baseline), AVG(latest), AVG(improvement),
       COUNT(*) FILTER (WHERE mcid IS NOT NULL AND improvement >= mcid),
       COUNT(*) FILTER (WHERE mcid IS NOT NULL), SUM(planned), SUM(counted)"""
_LEVEL_SELECTS = "\nUNION ALL\n".join(
    f"SELECT {columns}, title,\n       {_TOTALS}\nFROM named GROUP BY {keys}"
    for columns, keys in (
        (
            "3 AS level, assignment_id, MAX(patient) AS patient, MAX(assignment_name),\n"
            "       NULL AS pr_name, NULL AS therapist",
            "title, assignment_id",
        ),
        ("5, NULL, NULL, NULL, pr_name, NULL", "title, pr_name"),
        ("6, NULL, NULL, NULL, NULL, therapist", "title, therapist"),
        ("7, NULL, NULL, NULL, NULL, NULL", "title"),
    )
)

_OUTCOME_SQL = (
    """
WITH """
    + _WEEKS
    + """,
adherence AS (
    SELECT assignment_id,
           SUM(CASE WHEN ends_on <= %(end)s AND ends_on < %(today)s THEN planned ELSE 0 END)
               AS planned,
           SUM(CASE WHEN ends_on <= %(end)s AND ends_on < %(today)s
                    THEN CASE WHEN completed < planned THEN completed ELSE planned END
                    ELSE 0 END) AS counted
    FROM weeks GROUP BY assignment_id
),
current_outcomes AS (
    SELECT o.assignment_id, o.questionnaire_id, o.occasion, o.score, v.mcid,
           v.higher_is_better,
           ROW_NUMBER() OVER (PARTITION BY o.assignment_id, o.questionnaire_id
                              ORDER BY o.occasion, o.submitted_at) AS from_first,
           ROW_NUMBER() OVER (PARTITION BY o.assignment_id, o.questionnaire_id
                              ORDER BY o.occasion DESC, o.submitted_at DESC) AS from_last
    FROM patients_outcomeresponse o
    JOIN programs_questionnaireversion v ON v.id = o.version_id
    WHERE o.assignment_id IN ({scoped}) AND o.status = %(submitted)s
      AND o.occasion <= %(end)s
      AND NOT EXISTS (SELECT 1 FROM patients_outcomeresponse c
                      WHERE c.supersedes_id = o.id AND c.status = %(submitted)s)
),
pairs AS (
    SELECT assignment_id, questionnaire_id,
           MAX(score) FILTER (WHERE from_first = 1) AS baseline,
           MAX(score) FILTER (WHERE from_last = 1) AS latest,
           MAX(CASE WHEN higher_is_better THEN 1 ELSE 0 END) FILTER (WHERE from_last = 1)
               AS higher_is_better,
           MAX(mcid) FILTER (WHERE from_last = 1) AS mcid
    FROM current_outcomes
    GROUP BY assignment_id, questionnaire_id
    HAVING COUNT(*) > 1 AND MAX(occasion) >= %(start)s
),
scored AS (
    SELECT assignment_id, questionnaire_id, baseline, latest, mcid,
           CASE WHEN higher_is_better = 1 THEN latest - baseline ELSE baseline - latest END
               AS improvement
    FROM pairs
),
named AS (
    SELECT x.assignment_id, x.baseline, x.latest, x.improvement, x.mcid,
           TRIM(p.first_name || ' ' || p.last_name) AS patient, a.name AS assignment_name,
           COALESCE(pr.name, a.name) AS pr_name,
           COALESCE(NULLIF(u.full_name, ''), u.email, '') AS therapist, q.title,
           COALESCE(ad.planned, 0) AS planned, COALESCE(ad.counted, 0) AS counted
    FROM scored x
    JOIN patients_assignment a ON a.id = x.assignment_id
    JOIN patients_patient p ON p.id = a.patient_id
    JOIN programs_questionnaire q ON q.id = x.questionnaire_id
    LEFT JOIN programs_program pr ON pr.id = a.program_id
    LEFT JOIN clinic_staffmember sm ON sm.id = a.therapist_id
    LEFT JOIN clinic_user u ON u.id = sm.user_id
    LEFT JOIN adherence ad ON ad.assignment_id = a.id
)
"""
    + _LEVEL_SELECTS
    + """
ORDER BY level DESC, title, pr_name, therapist, patient, assignment_id
"""
)

# The level's number: a bit set for each of (patient, program, therapist) *not* grouped by.
_LEVELS = {0b011: Level.PATIENT, 0b101: Level.PROGRAM, 0b110: Level.THERAPIST, 0b111: Level.CLINIC}


def outcome_rows_sql(scope: ReportScope) -> tuple[str, list]:
    return _bind(_OUTCOME_SQL, scope, **_values(scope), submitted=ResponseStatus.SUBMITTED.value)


def _row(row) -> OutcomeRow:
    grouping, _id, patient, assignment_name, program, therapist, title, *figures = row
    level = _LEVELS[grouping]
    name = {
        Level.PATIENT: patient,
        Level.PROGRAM: program,
        Level.THERAPIST: therapist,
        Level.CLINIC: "",
    }[level]
    pairs, baseline, latest, improvement, reached, with_mcid, planned, counted = figures
    return OutcomeRow(
        level=level,
        name=name or "",
        program=assignment_name if level == Level.PATIENT else "",
        questionnaire=title,
        pairs=pairs,
        baseline=round(float(baseline), 2),
        latest=round(float(latest), 2),
        improvement=round(float(improvement), 2),
        reached=reached,
        with_mcid=with_mcid,
        planned=int(planned),
        counted=int(counted),
    )


def outcome_rows(scope: ReportScope) -> list[OutcomeRow]:
    sql, params = outcome_rows_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_row(row) for row in cursor.fetchall()]


def outcome_rows_stream(scope: ReportScope) -> Iterator[OutcomeRow]:
    sql, params = outcome_rows_sql(scope)
    for chunk in stream(sql, params):
        yield from (_row(row) for row in chunk)


def assignment_outcomes(assignment: Assignment) -> list[dict]:
    """What the therapist's trend section shows of one program: per questionnaire, the
    chart with its MCID band, the scores, and the change from the first in words."""
    return assignments_outcomes([assignment]).get(assignment.pk, [])


def assignments_outcomes(assignments: Iterable[Assignment]) -> dict[int, list[dict]]:
    """`assignment_outcomes` of several programs in one query: assignment id -> sections
    (a program without a sent response is left out)."""
    return {
        assignment_id: [_section(trend) for trend in program_trends]
        for assignment_id, program_trends in trends_by_assignment(assignments).items()
    }


def _section(trend: Trend) -> dict:
    change = trend.change
    if change is None:
        summary = _("One score so far.")
    elif change.reached_mcid:
        summary = _("Better by %(n)s: more than the MCID (%(mcid)s).")
    elif change.worse_than_mcid:
        summary = _("Worse by %(n)s: more than the MCID (%(mcid)s).")
    elif change.mcid is None:
        summary = _("Changed by %(n)s (this scale has no MCID).")
    else:
        summary = _("Changed by %(n)s: within the MCID (%(mcid)s).")
    values = {
        "n": number_text(abs(change.improvement)) if change else "",
        "mcid": number_text(trend.mcid) if trend.mcid is not None else "",
    }
    return {
        "trend": trend,
        "summary": summary % values if change else summary,
        "chart": charts.outcome_chart(trend.points, trend.score_min, trend.score_max, trend.mcid),
        "label": _("%(title)s over time; the band is the first score ± the MCID")
        % {"title": trend.questionnaire.title},
    }
