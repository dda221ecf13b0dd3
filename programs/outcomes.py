"""Outcome measures: questionnaire definitions, validation, scoring, schedules and trends.

Pure and typed, like the progression rule beside it: no Django. A definition is a dict
shaped like a FHIR Questionnaire (``item`` with ``linkId``, ``text``, ``type``,
``required``, ``answerOption``; a ``group`` item is one screen of several questions),
plus a ``scoring`` object that FHIR leaves to extensions:

    {"method": "single" | "mean" | "sum", "items": [linkId, ...],
     "reverse": [linkId, ...], "when": {linkId: linkId},
     "min": 0, "max": 10, "higherIsBetter": true, "mcid": 2}

- single: the one item's value;
- mean: the mean of the answered scored items (PSFS: of the activities named);
- sum: the sum of the scored items, each ``reverse`` item counted as (max + min − value)
  of its own answer range (EARS).

``when`` makes an item part of the score only when another item is answered (a PSFS
activity's rating counts when the activity is named).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

WEEK = datetime.timedelta(days=7)
# A due questionnaire stays on the today page this many days after its date.
DUE_WINDOW_DAYS = 7
MAX_TEXT = 200


class Method(StrEnum):
    SINGLE = "single"
    MEAN = "mean"
    SUM = "sum"


class ItemType(StrEnum):
    INTEGER = "integer"
    CHOICE = "choice"
    STRING = "string"
    GROUP = "group"


class DefinitionError(ValueError):
    """A questionnaire definition that cannot be used, with a message for its author."""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    type: ItemType
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    options: tuple[Option, ...] = ()
    # For integer items: what the two ends of the scale mean ("Unable", "Able").
    low_label: str = ""
    high_label: str = ""
    children: tuple[Item, ...] = ()

    @property
    def bounds(self) -> tuple[int, int]:
        if self.type is ItemType.CHOICE:
            values = [option.value for option in self.options]
            return min(values), max(values)
        assert self.minimum is not None and self.maximum is not None
        return self.minimum, self.maximum


@dataclass(frozen=True)
class Scoring:
    method: Method
    items: tuple[str, ...]
    minimum: float
    maximum: float
    higher_is_better: bool
    mcid: float | None
    reverse: frozenset[str] = frozenset()
    when: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Definition:
    code: str
    title: str
    screens: tuple[Item, ...]  # top-level items: one screen each
    scoring: Scoring
    licence: str = ""

    @property
    def questions(self) -> tuple[Item, ...]:
        """Every answerable item, in order (the children of groups in place of the group)."""
        return tuple(
            question
            for screen in self.screens
            for question in (screen.children if screen.type is ItemType.GROUP else (screen,))
        )


def _item(data: Mapping, where: str) -> Item:
    try:
        kind = ItemType(data.get("type"))
    except ValueError as error:
        raise DefinitionError(f"{where}: unknown type {data.get('type')!r}.") from error
    link_id = data.get("linkId")
    if not isinstance(link_id, str) or not link_id:
        raise DefinitionError(f"{where}: every item needs a linkId.")
    options = tuple(
        Option(int(option["value"]), str(option["display"]))
        for option in data.get("answerOption", ())
    )
    children = tuple(
        _item(child, f"{where}.{index}") for index, child in enumerate(data.get("item", ()))
    )
    if kind is ItemType.CHOICE and len(options) < 2:
        raise DefinitionError(f"{link_id}: a choice needs at least two answer options.")
    if kind is ItemType.INTEGER and not (
        isinstance(data.get("minValue"), int)
        and isinstance(data.get("maxValue"), int)
        and data["minValue"] < data["maxValue"]
    ):
        raise DefinitionError(f"{link_id}: a number needs minValue < maxValue.")
    if kind is ItemType.GROUP and (not children or any(c.type is ItemType.GROUP for c in children)):
        raise DefinitionError(f"{link_id}: a group holds questions, not groups.")
    return Item(
        link_id=link_id,
        text=str(data.get("text", "")),
        type=kind,
        required=bool(data.get("required", False)),
        minimum=data.get("minValue"),
        maximum=data.get("maxValue"),
        options=options,
        low_label=str(data.get("lowLabel", "")),
        high_label=str(data.get("highLabel", "")),
        children=children,
    )


def definition_parse(data: Mapping) -> Definition:
    """Read a stored definition; raise DefinitionError for anything that cannot be scored."""
    if not isinstance(data, Mapping):
        raise DefinitionError("A definition is a JSON object.")
    screens = tuple(_item(item, f"item {i}") for i, item in enumerate(data.get("item", ())))
    if not screens:
        raise DefinitionError("A questionnaire needs at least one item.")
    rule = data.get("scoring")
    if not isinstance(rule, Mapping):
        raise DefinitionError("A questionnaire needs a scoring rule.")
    try:
        method = Method(rule.get("method"))
    except ValueError as error:
        raise DefinitionError(f"Unknown scoring method {rule.get('method')!r}.") from error
    definition = Definition(
        code=str(data.get("name", "")),
        title=str(data.get("title", "")),
        screens=screens,
        licence=str(data.get("copyright", "")),
        scoring=Scoring(
            method=method,
            items=tuple(rule.get("items", ())),
            minimum=float(rule.get("min", 0)),
            maximum=float(rule.get("max", 0)),
            higher_is_better=bool(rule.get("higherIsBetter", True)),
            mcid=float(rule["mcid"]) if rule.get("mcid") is not None else None,
            reverse=frozenset(rule.get("reverse", ())),
            when=dict(rule.get("when", {})),
        ),
    )
    questions = {question.link_id: question for question in definition.questions}
    if len(questions) != len(definition.questions):
        raise DefinitionError("Two items share a linkId.")
    scored = definition.scoring.items
    if not scored or any(link_id not in questions for link_id in scored):
        raise DefinitionError("The scoring rule names items the questionnaire does not have.")
    if any(questions[link_id].type is ItemType.STRING for link_id in scored):
        raise DefinitionError("Only numbers and choices can be scored.")
    if method is Method.SINGLE and len(scored) != 1:
        raise DefinitionError("A single-item score names exactly one item.")
    if definition.scoring.minimum >= definition.scoring.maximum:
        raise DefinitionError("The score range needs min < max.")
    return definition


# --- answers -------------------------------------------------------------------------

Answers = Mapping[str, int | str]


def _problem(question: Item, raw) -> str | None:
    """Return what is wrong with one answer (None when it is fine or may stay empty)."""
    if raw is None or raw == "":
        return "required" if question.required else None
    if question.type is ItemType.STRING:
        if "\x00" in str(raw):
            return "invalid_text"  # PostgreSQL stores no NUL character in text or JSON
        return "too_long" if len(str(raw)) > MAX_TEXT else None
    if isinstance(raw, bool):
        return "not_a_number"
    try:
        value = int(str(raw).strip())
    except ValueError:
        return "not_a_number"
    low, high = question.bounds
    if question.type is ItemType.CHOICE and value not in {o.value for o in question.options}:
        return "not_an_option"
    if not low <= value <= high:
        return "out_of_range"
    return None


def answers_clean(questions: Iterable[Item], raw: Mapping[str, object]) -> tuple[dict, dict]:
    """Return (clean answers, problems by linkId) for the given questions.

    A problem is one of: required, not_a_number, not_an_option, out_of_range, too_long,
    invalid_text.
    Numbers come back as int, text stripped; empty optional answers are left out.
    """
    clean: dict[str, int | str] = {}
    problems: dict[str, str] = {}
    for question in questions:
        value = raw.get(question.link_id)
        if isinstance(value, str):
            value = value.strip()
        problem = _problem(question, value)
        if problem:
            problems[question.link_id] = problem
        elif value not in (None, ""):
            clean[question.link_id] = (
                str(value) if question.type is ItemType.STRING else int(str(value))
            )
    return clean, problems


def answers_complete(definition: Definition, answers: Answers) -> dict[str, str]:
    """Return the problems that stop a response from being sent (empty: it can be sent).

    Besides each item's own rule, a scored item whose ``when`` item is answered must be
    answered too (a named PSFS activity needs its rating), and at least one scored item
    must be answered.
    """
    _clean, problems = answers_clean(definition.questions, answers)
    when = definition.scoring.when or {}
    for link_id, condition in when.items():
        if answers.get(condition) not in (None, "") and answers.get(link_id) in (None, ""):
            problems.setdefault(link_id, "required")
        if answers.get(link_id) not in (None, "") and answers.get(condition) in (None, ""):
            problems.setdefault(condition, "required")
    if not problems and score(definition, answers) is None:
        problems[definition.scoring.items[0]] = "required"
    return problems


# --- scoring -------------------------------------------------------------------------


def _scored_values(definition: Definition, answers: Answers) -> list[float]:
    questions = {question.link_id: question for question in definition.questions}
    when = definition.scoring.when or {}
    values = []
    for link_id in definition.scoring.items:
        value = answers.get(link_id)
        if value in (None, "") or answers.get(when.get(link_id, link_id)) in (None, ""):
            continue
        number = int(value)
        if link_id in definition.scoring.reverse:
            low, high = questions[link_id].bounds
            number = low + high - number
        values.append(float(number))
    return values


def score(definition: Definition, answers: Answers) -> float | None:
    """Score clean answers by the definition's rule; None when no scored item is answered.

    Rounded to two decimals (a PSFS mean of three ratings is 5.67).
    """
    values = _scored_values(definition, answers)
    rule = definition.scoring
    if not values:
        return None
    if rule.method is Method.SUM:
        if len(values) != len(rule.items):
            return None  # a sum of some of the items would not be on the instrument's scale
        result = sum(values)
    elif rule.method is Method.MEAN:
        result = sum(values) / len(values)
    else:
        result = values[0]
    return round(result, 2)


# --- trends --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """From a baseline score to the latest: improvement counts the instrument's better way."""

    baseline: float
    latest: float
    improvement: float  # positive = better, whatever the direction of the scale
    mcid: float | None

    @property
    def reached_mcid(self) -> bool:
        return self.mcid is not None and self.improvement >= self.mcid

    @property
    def worse_than_mcid(self) -> bool:
        return self.mcid is not None and -self.improvement > self.mcid


def change(scoring: Scoring, baseline: float, latest: float) -> Change:
    sign = 1 if scoring.higher_is_better else -1
    return Change(baseline, latest, round(sign * (latest - baseline), 2), scoring.mcid)


def number_text(value: float) -> str:
    """3.0 → "3", 5.67 → "5.67": how a score reads in a sentence."""
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0")


# --- schedules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a questionnaire is due in a program: at the start, every N weeks, at the end."""

    at_start: bool = True
    every_weeks: int = 0  # 0: no repeats
    end_after_weeks: int | None = None  # the program's planned length, for "at the end"

    def occasions(self, start: datetime.date, until: datetime.date) -> list[datetime.date]:
        """The due dates from `start` up to and including `until`, in order, no duplicates."""
        days = set()
        if self.at_start:
            days.add(start)
        end = start + WEEK * self.end_after_weeks if self.end_after_weeks else None
        if self.every_weeks > 0:
            step, day = WEEK * self.every_weeks, start + WEEK * self.every_weeks
            while day <= until and (end is None or day <= end):
                days.add(day)
                day += step
        if end is not None:
            days.add(end)
        return sorted(day for day in days if start <= day <= until)


def due_occasion(
    schedule: Schedule,
    start: datetime.date,
    today: datetime.date,
    answered: Iterable[datetime.date],
    window_days: int = DUE_WINDOW_DAYS,
) -> datetime.date | None:
    """The occasion due today: the latest one on or before today, at most `window_days` old
    and not answered yet (None when there is none)."""
    occasions = schedule.occasions(start, today)
    if not occasions:
        return None
    latest = occasions[-1]
    if latest in set(answered) or (today - latest).days > window_days:
        return None
    return latest
