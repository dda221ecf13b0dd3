"""FHIR search: the query string read into filters per source, and one page of matches.

Every parameter a client can send is either understood or refused with ``SearchError``
(a 400 OperationOutcome): an unknown name, a malformed date or count. Ids that name
nothing (another clinic's patient, an id out of range) simply match nothing.

A page reads the same number of queries whatever its size: one count, one query for the
page's (source, id) pairs across every source of the type (a UNION, ordered by date and
id), then one query (and its prefetches) per source for the rows themselves.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import operator
import re
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, Value

from . import codes
from .registry import MAX_ROW_ID, ResourceType, Source

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 1_000_000
MAX_VALUES = 20
# Parameters every search accepts; _format is read by the content negotiation.
COMMON = {
    "_id": "A resource id.",
    "_lastUpdated": "When the resource last changed (an instant or a date, with a prefix).",
}
PAGING = ("_count", "_offset", "_format")

DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|gt|le|ge|sa|eb|ap)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,9})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
NOTHING = Q(pk__in=[])


class SearchError(ValueError):
    """A search parameter the interface cannot read: answered 400."""


@dataclass(frozen=True)
class DateRange:
    """A FHIR date value: the interval it names, [start, end), and its prefix."""

    prefix: str
    start: datetime.datetime
    end: datetime.datetime | None  # None: past the last representable instant

    def q(self, column: str, *, dates: bool) -> Q:
        start, end = self.start, self.end
        if dates:
            start = start.date()
            # A date column holds a day: a day that began before the end is in the range.
            end = _day_after_or_at(end) if end is not None else None
        within = Q(**{f"{column}__gte": start})
        if end is not None:
            within &= Q(**{f"{column}__lt": end})
        before = Q(**{f"{column}__lt": start})
        after = Q(**{f"{column}__gte": end}) if end is not None else NOTHING
        return {
            "eq": within,
            "ap": within,
            "ne": ~within,
            "lt": before,
            "eb": before,
            "le": Q(**{f"{column}__lt": end}) if end is not None else Q(),
            "gt": after,
            "sa": after,
            "ge": Q(**{f"{column}__gte": start}),
        }[self.prefix]


def _day_after_or_at(moment: datetime.datetime) -> datetime.date:
    day = moment.date()
    if moment.time() != datetime.time(0) and day < datetime.date.max:
        day += datetime.timedelta(days=1)
    return day


def date_range(value: str) -> DateRange:
    match = DATE.match(value)
    if match is None:
        raise SearchError(
            f"{value[:40]!r} is not a FHIR date: use YYYY, YYYY-MM, YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm:ss+zz:zz, optionally after a prefix such as ge or lt."
        )
    part = {
        name: int(text) for name, text in match.groupdict().items() if text and text[0].isdigit()
    }
    tz = _tz(match["tz"])
    try:
        start = datetime.datetime(
            part["year"],
            part.get("month", 1),
            part.get("day", 1),
            part.get("hour", 0),
            part.get("minute", 0),
            part.get("second", 0),
            tzinfo=tz,
        )
    except ValueError as error:
        raise SearchError(f"{value[:40]!r} is not a real date or time ({error}).") from None
    end = _end_of(start, part)
    return DateRange(match["prefix"] or "eq", start, end)


def _tz(text: str | None) -> datetime.tzinfo:
    if text is None or text == "Z":
        return datetime.UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise SearchError(f"{text!r} is not a time zone offset.")
    offset = datetime.timedelta(hours=hours, minutes=minutes)
    return datetime.timezone(-offset if text[0] == "-" else offset)


def _end_of(start: datetime.datetime, part: dict) -> datetime.datetime | None:
    """The first instant after the precision of the value (a year, a day, a minute...)."""
    try:
        if "second" in part:
            return start + datetime.timedelta(seconds=1)
        if "minute" in part:
            return start + datetime.timedelta(minutes=1)
        if "day" in part:
            return start + datetime.timedelta(days=1)
        if "month" in part:
            days = calendar.monthrange(start.year, start.month)[1]
            return start + datetime.timedelta(days=days)
        return start.replace(year=start.year + 1)
    except (OverflowError, ValueError):
        return None  # the end of year 9999: no end


def token_matches(value: str, codings: tuple[dict, ...]) -> bool:
    """``system|code``, ``|code`` (no system) or ``code`` against a source's categories."""
    if "|" in value:
        system, _bar, code = value.partition("|")
        return any(
            coding["code"] == code and (system == "" or coding["system"] == system)
            for coding in codings
        )
    return any(coding["code"] == value for coding in codings)


def patient_pk(value: str) -> int | None:
    """The patient id in ``123``, ``Patient/123`` or a full URL ending so; None if none."""
    if "/" in value:
        parts = value.split("/")
        if parts[-2] != "Patient":
            raise SearchError("A patient reference is `123` or `Patient/123`.")
        value = parts[-1]
    if not value or not (value.isascii() and value.isdigit()):
        raise SearchError(f"{value[:40]!r} is not a patient id.")
    if len(value) > 19 or not 0 < int(value) <= MAX_ROW_ID:
        return None
    return int(value)


def questionnaire_q(value: str, column: str) -> Q | None:
    """``123`` or ``Questionnaire/123`` (one version), or a canonical URL of ours with an
    optional ``|version``; None when it names none of ours."""
    if value.startswith(f"{codes.QUESTIONNAIRES}/"):
        url, _bar, number = value.partition("|")
        path = url[len(codes.QUESTIONNAIRES) + 1 :].split("/")
        where = Q(**{f"{column}__questionnaire__code": path[-1]})
        if len(path) == 1:
            where &= Q(**{f"{column}__questionnaire__clinic__isnull": True})
        elif len(path) == 2 and path[0].startswith("clinic-"):
            clinic = path[0].removeprefix("clinic-")
            if not (clinic.isascii() and clinic.isdigit()) or len(clinic) > 18:
                return None
            where &= Q(**{f"{column}__questionnaire__clinic_id": int(clinic)})
        else:
            return None
        if number:
            if not (number.isascii() and number.isdigit()) or len(number) > 9:
                raise SearchError(f"{number[:40]!r} is not a questionnaire version.")
            where &= Q(**{f"{column}__number": int(number)})
        return where
    if "://" in value:
        return None  # another server's questionnaire
    if "/" in value:
        parts = value.split("/")
        if parts[-2] != "Questionnaire":
            raise SearchError("A questionnaire is `123`, `Questionnaire/123` or its canonical URL.")
        value = parts[-1]
    if not value or not (value.isascii() and value.isdigit()):
        raise SearchError(f"{value[:40]!r} is not a questionnaire id.")
    if len(value) > 19 or not 0 < int(value) <= MAX_ROW_ID:
        return None
    return Q(**{column: int(value)})


def count_of(request_params) -> int:
    return _integer(request_params, "_count", DEFAULT_COUNT, MAX_COUNT)


def offset_of(request_params) -> int:
    offset = _integer(request_params, "_offset", 0, None)
    if offset > MAX_OFFSET:
        raise SearchError(f"_offset is at most {MAX_OFFSET}.")
    return offset


def _integer(params, name: str, default: int, cap: int | None) -> int:
    values = params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise SearchError(f"Give {name} once.")
    text = values[0]
    if not (text.isascii() and text.isdigit()) or len(text) > 100:
        raise SearchError(f"{name} is a whole number of at least 0.")
    number = int(text)
    return min(number, cap) if cap is not None else number


def filters_of(resource_type: ResourceType, params) -> dict[int, Q]:
    """The filter of each source of the type; sources that can match nothing are left out.

    ``params`` is a QueryDict: a repeated parameter ANDs, commas inside one value OR.
    """
    allowed = {*COMMON, *resource_type.search}
    unknown = sorted(name for name in params if name not in allowed and name not in PAGING)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise SearchError(
            f"Unknown search parameter {names} for {resource_type.name}; "
            f"supported: {', '.join(sorted(allowed))}."
        )
    filters: dict[int, Q] = {index: Q() for index in range(len(resource_type.sources))}
    for name in sorted(allowed & set(params)):
        for value in params.getlist(name):
            alternatives = value.split(",")
            if len(alternatives) > MAX_VALUES or not value:
                raise SearchError(f"{name} takes 1 to {MAX_VALUES} comma-separated values.")
            for index, source in enumerate(resource_type.sources):
                # Every value is read for every source, so a bad one is refused whatever
                # the other parameters leave.
                found = [_filter(name, alternative, source) for alternative in alternatives]
                matches = [match for match in found if match is not None]
                if not matches:
                    filters.pop(index, None)
                elif index in filters:
                    filters[index] &= functools.reduce(operator.or_, matches)
    return filters


def _filter(name: str, value: str, source: Source) -> Q | None:
    """The rows of the source one value matches; None when it can match none of them."""
    if name == "_id":
        pk = source.row_pk(value)
        return Q(pk=pk) if pk is not None else None
    if name == "_lastUpdated":
        return date_range(value).q("_last_updated", dates=False)
    if name in ("patient", "subject"):
        pk = patient_pk(value)
        return Q(**{source.patient: pk}) if pk is not None and source.patient else None
    if name == "date":
        return date_range(value).q(source.date, dates=True)
    if name == "category":
        return Q() if token_matches(value, source.categories) else None
    if name == "questionnaire":
        return questionnaire_q(value, source.questionnaire) if source.questionnaire else None
    raise SearchError(f"Unknown search parameter {name!r}.")  # pragma: no cover


def matching(source: Source, user, where: Q) -> models.QuerySet:
    return source.rows(user).annotate(_last_updated=source.last_updated()).filter(where)


@dataclass(frozen=True)
class Page:
    total: int
    rows: list  # the page's rows, in order: (source, row)


def search_page(
    resource_type: ResourceType, user, filters: dict[int, Q], *, offset: int, count: int
) -> Page:
    if not filters:
        return Page(0, [])
    sources = resource_type.sources
    by_date = all(source.date for source in sources)
    names = ("_source", "_date", "_pk") if by_date else ("_source", "_pk")
    keyed = []
    for index, where in filters.items():
        columns = {"_source": Value(index), "_pk": models.F("pk")}
        if by_date:
            columns["_date"] = models.F(sources[index].date)
        rows = matching(sources[index], user, where).order_by().annotate(**columns)
        keyed.append(rows.values_list(*names))
    union = keyed[0].union(*keyed[1:], all=True) if len(keyed) > 1 else keyed[0]
    total = union.count()
    if count == 0 or offset >= total:
        return Page(total, [])
    order = ("_date", "_source", "_pk") if by_date else ("_source", "_pk")
    keys = [(row[0], row[-1]) for row in union.order_by(*order)[offset : offset + count]]
    loaded = {}
    for index in sorted({source for source, _pk in keys}):
        source = sources[index]
        pks = [pk for number, pk in keys if number == index]
        for row in source.loaded(source.rows(user).filter(pk__in=pks)):
            loaded[(index, row.pk)] = row
    return Page(total, [(sources[index], loaded[(index, pk)]) for index, pk in keys])
