"""Adherence exports: CSV streamed from a server-side cursor, XLSX in openpyxl's write-only mode.

Both write through ``clinic.spreadsheets``, which makes every text cell inert.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import IO

from clinic import spreadsheets

from . import adherence, outcomes
from .adherence import PatientRow, ReportScope, WeekRow
from .models import ExportRows

PATIENT_HEADER = [
    "patient_id",
    "patient",
    "program",
    "assignment_status",
    "therapist",
    "range_start",
    "range_end",
    "planned",
    "completed",
    "counted",
    "adherence_percent",
    "current_stage",
    "current_week_planned",
    "current_week_completed",
    "streak_weeks",
    "last_session",
    "mean_pain",
    "checkin_flags",
    "stage_changes",
]
WEEK_HEADER = [
    "assignment_id",
    "patient",
    "program",
    "week_start",
    "week_end",
    "stage",
    "planned",
    "completed",
    "counted",
    "adherence_percent",
    "in_progress",
]


OUTCOME_HEADER = [
    "level",
    "name",
    "program",
    "questionnaire",
    "range_start",
    "range_end",
    "pairs",
    "baseline_mean",
    "latest_mean",
    "improvement_mean",
    "reached_mcid",
    "with_mcid",
    "reached_mcid_percent",
    "planned",
    "counted",
    "adherence_percent",
]


def _outcome_values(row: outcomes.OutcomeRow, scope: ReportScope) -> list:
    return [
        row.level,
        row.name,
        row.program,
        row.questionnaire,
        scope.start,
        scope.end,
        row.pairs,
        row.baseline,
        row.latest,
        row.improvement,
        row.reached,
        row.with_mcid,
        row.reached_share,
        row.planned,
        row.counted,
        row.adherence,
    ]


def _patient_values(row: PatientRow, scope: ReportScope) -> list:
    return [
        row.patient_id,
        row.patient,
        row.program,
        row.status,
        row.therapist,
        scope.start,
        scope.end,
        row.planned,
        row.completed,
        row.counted,
        row.adherence,
        row.stage,
        row.current_planned,
        row.current_completed,
        row.streak,
        row.last_session,
        row.mean_pain,
        row.checkin_flags,
        row.stage_changes,
    ]


def _week_values(row: WeekRow, scope: ReportScope) -> list:
    return [
        row.assignment_id,
        row.patient,
        row.program,
        row.starts_on,
        row.ends_on,
        row.stage,
        row.planned,
        row.completed,
        row.counted,
        row.adherence,
        row.in_progress,
    ]


def export_rows(scope: ReportScope, rows: str) -> tuple[list[str], Iterator[list]]:
    """Return the header and the (lazily fetched) value lists of an export."""
    if rows == ExportRows.OUTCOME:
        return OUTCOME_HEADER, (
            _outcome_values(row, scope) for row in outcomes.outcome_rows_stream(scope)
        )
    if rows == ExportRows.WEEK:
        return WEEK_HEADER, (_week_values(row, scope) for row in adherence.week_rows_stream(scope))
    return PATIENT_HEADER, (
        _patient_values(row, scope) for row in adherence.patient_rows_stream(scope)
    )


def csv_chunks(scope: ReportScope, rows: str, rows_per_chunk: int = 500) -> Iterator[str]:
    """Yield the CSV text a few hundred rows at a time (dates in ISO 8601: str(date))."""
    header, values = export_rows(scope, rows)
    buffer = io.StringIO()
    writer = spreadsheets.csv_writer(buffer)
    writer.writerow(header)
    for count, row in enumerate(values, start=1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_write(scope: ReportScope, rows: str, output: IO[bytes]) -> None:
    """Write the export as an XLSX workbook; write-only mode keeps memory flat."""
    header, values = export_rows(scope, rows)
    spreadsheets.xlsx_write(output, "Adherence", itertools.chain([header], values))


def csv_write(scope: ReportScope, rows: str, output: IO[str]) -> None:
    for chunk in csv_chunks(scope, rows):
        output.write(chunk)
