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

Texts are written in English and carry their other languages FHIR's way: beside
``"text": "..."`` an ``"_text"`` element holds one ``translation`` extension per language
(the same for ``title``, ``description``, an option's ``display`` and the non-FHIR
``lowLabel``/``highLabel``). ``definition_parse(data, language)`` reads each text in that
language, else in English.
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
TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
# The keys of a definition's texts a patient reads, each translatable by its "_" element.
TEXT_KEYS = ("title", "description", "text", "display", "lowLabel", "highLabel")


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


def _translations(data: Mapping, key: str, where: str) -> dict[str, str]:
    """The translations of one text (``data["_" + key]``) by language; raise when malformed."""
    element = data.get(f"_{key}")
    if element is None:
        return {}
    problem = DefinitionError(
        f"{where}: _{key} must hold translation extensions "
        f'({{"url": "{TRANSLATION_URL}", "extension": [lang, content]}}).'
    )
    if not isinstance(element, Mapping) or not isinstance(element.get("extension", []), list):
        raise problem
    found = {}
    for extension in element.get("extension", []):
        if not isinstance(extension, Mapping) or extension.get("url") != TRANSLATION_URL:
            continue  # another extension on the text: not ours to read
        parts = extension.get("extension")
        if not isinstance(parts, list) or not all(isinstance(part, Mapping) for part in parts):
            raise problem
        values = {part.get("url"): part for part in parts}
        language = values.get("lang", {}).get("valueCode")
        content = values.get("content", {}).get("valueString")
        if not isinstance(language, str) or not language or not isinstance(content, str):
            raise problem
        found[language.lower()] = content
    return found


def _text(data: Mapping, key: str, language: str | None, where: str) -> str:
    """The text of ``data[key]`` in ``language`` (a code such as "de" or "de-CH"), else as written.

    A translation into the language's region ("de-CH") is preferred to its base ("de").
    """
    translations = _translations(data, key, where)
    if language:
        language = language.lower()
        for code in (language, language.split("-")[0]):
            if translations.get(code):
                return translations[code]
    return str(data.get(key, ""))


def _text_paths(data: Mapping) -> tuple[set[str], dict[str, set[str]]]:
    """The paths of a definition's written texts ("item0 text"), and of those translated, by
    language. Raise DefinitionError for a malformed translation anywhere."""
    written: set[str] = set()
    translated: dict[str, set[str]] = {}

    def walk(node, path: str) -> None:
        if not isinstance(node, Mapping):
            return
        for key in TEXT_KEYS:
            if node.get(key):
                written.add(f"{path} {key}")
            for code in _translations(node, key, path or "definition"):
                translated.setdefault(code, set()).add(f"{path} {key}")
        for key in ("item", "answerOption"):
            children = node.get(key) or ()
            for index, child in enumerate(children if isinstance(children, list) else ()):
                walk(child, f"{path}.{key}{index}")

    walk(data, "")
    return written, translated


def missing_languages(data: Mapping, languages: Iterable[str]) -> list[str]:
    """The languages (codes) in which some text of a definition has no translation."""
    written, translated = _text_paths(data)
    return [code for code in languages if written - translated.get(code, set())]


def definition_translate(data: Mapping, catalogues: Mapping[str, Mapping[str, str]]) -> dict:
    """A copy of a definition with each text's translations added from catalogues.

    ``catalogues`` maps a language to ``{English text: translation}``; a text a catalogue
    lacks gets no translation in that language (it reads in English).
    """

    def walk(node):
        if isinstance(node, list):
            return [walk(child) for child in node]
        if not isinstance(node, Mapping):
            return node
        result = {key: walk(value) for key, value in node.items()}
        for key in TEXT_KEYS:
            text = node.get(key)
            if not isinstance(text, str) or not text:
                continue
            extensions = [
                {
                    "url": TRANSLATION_URL,
                    "extension": [
                        {"url": "lang", "valueCode": code},
                        {"url": "content", "valueString": catalogue[text]},
                    ],
                }
                for code, catalogue in catalogues.items()
                if catalogue.get(text)
            ]
            if extensions:
                result[f"_{key}"] = {"extension": extensions}
        return result

    return walk(data)


def _item(data: Mapping, where: str, language: str | None = None) -> Item:
    try:
        kind = ItemType(data.get("type"))
    except ValueError as error:
        raise DefinitionError(f"{where}: unknown type {data.get('type')!r}.") from error
    link_id = data.get("linkId")
    if not isinstance(link_id, str) or not link_id:
        raise DefinitionError(f"{where}: every item needs a linkId.")
    options = tuple(
        Option(int(option["value"]), _text(option, "display", language, f"{link_id} option"))
        for option in data.get("answerOption", ())
    )
    children = tuple(
        _item(child, f"{where}.{index}", language)
        for index, child in enumerate(data.get("item", ()))
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
        text=_text(data, "text", language, link_id),
        type=kind,
        required=bool(data.get("required", False)),
        minimum=data.get("minValue"),
        maximum=data.get("maxValue"),
        options=options,
        low_label=_text(data, "lowLabel", language, link_id),
        high_label=_text(data, "highLabel", language, link_id),
        children=children,
    )


def definition_parse(data: Mapping, language: str | None = None) -> Definition:
    """Read a stored definition with its texts in `language` (else as written, English).

    Raise DefinitionError for anything that cannot be scored or a malformed translation.
    """
    if not isinstance(data, Mapping):
        raise DefinitionError("A definition is a JSON object.")
    _text_paths(data)  # every translation well formed, also of texts not read here
    screens = tuple(
        _item(item, f"item {i}", language) for i, item in enumerate(data.get("item", ()))
    )
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
        title=_text(data, "title", language, "title"),
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
