"""Progression engine: turn a patient's history into program weeks and stage changes.

Pure and deterministic: the result depends only on the scheme, the history and today, never on
the order of the history's entries, so the app can recompute it on every request instead of
storing derived state that could drift from what the patient actually did.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

DAY = timedelta(days=1)
WEEK_LENGTH = 7
# The product brief fixes these spreads for a full week; other counts are spaced evenly.
_SPREADS = {2: (0, 3), 3: (0, 2, 4), 4: (0, 2, 4, 6)}


class Answer(StrEnum):
    """Next-day check-in answers."""

    FINE = "fine"
    SORE = "sore"  # "a bit sore": normal, does not hold anyone back
    VERY_SORE = "very_sore"
    PAINFUL = "painful"  # "sketchy or painful"


class ChangeKind(StrEnum):
    """Why a stage change happened."""

    PROMOTION = "promotion"
    BACK_OFF = "back_off"
    OVERRIDE = "override"
    ALERT_ONLY = "alert"


@dataclass(frozen=True)
class StageSpec:
    """One stage of a scheme: how many sessions a week it plans and welcomes."""

    code: str
    name: str
    planned_sessions: int
    max_sessions: int
    requires_advanced: bool = False
    weeks_to_promote: int = 1


@dataclass(frozen=True)
class Scheme:
    """Ordered stages, lowest first; a clinic may define its own per program."""

    stages: tuple[StageSpec, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("A scheme needs at least one stage.")
        codes = [stage.code for stage in self.stages]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Stage codes must be unique: {codes}.")
        if self.stages[0].requires_advanced:
            # Every patient must have somewhere to start and to back off to.
            raise ValueError("The lowest stage cannot require the advanced flag.")
        for stage in self.stages:
            if not 1 <= stage.planned_sessions <= stage.max_sessions <= WEEK_LENGTH:
                raise ValueError(f"Stage {stage.code!r} needs 1 <= planned <= max <= 7.")
            if stage.weeks_to_promote < 1:
                raise ValueError(f"Stage {stage.code!r} needs weeks_to_promote >= 1.")

    def index(self, code: str) -> int:
        """Return the position of the stage with this code, or raise ValueError."""
        codes = [stage.code for stage in self.stages]
        if code not in codes:
            raise ValueError(f"Unknown stage code {code!r}.")
        return codes.index(code)


SEED_SCHEME = Scheme(
    (
        StageSpec("start", "Start", 2, 2),
        StageSpec("build", "Build", 3, 4, weeks_to_promote=2),
        StageSpec("daily", "Daily", 7, 7, requires_advanced=True),
    )
)


@dataclass(frozen=True)
class History:
    """Everything the engine needs to know about one assignment, in local dates."""

    start_date: date
    advanced: bool
    sessions: Collection[date]  # several a day allowed, so duplicates count
    checkins: Collection[tuple[date, Answer | str]]  # dated when answered, not when trained
    overrides: Collection[tuple[date, str]] = ()  # at most one stage code per day
    initial_stage: str | None = None
    preferred_weekdays: Collection[int] = ()  # 0 = Monday; only shapes Week.planned_days


@dataclass(frozen=True)
class Week:
    """One evaluation week: normally 7 days, shorter when a back-off or override cut it."""

    start: date
    end: date
    stage: StageSpec
    planned: int
    completed: int
    counted: int
    planned_days: tuple[date, ...]
    tolerated: bool | None
    in_progress: bool
    reason: str


@dataclass(frozen=True)
class StageChange:
    """A recorded stage change, with the plain-language reason shown to patient and therapist."""

    on: date
    from_stage: str
    to_stage: str
    kind: ChangeKind
    evaluated_week_start: date | None  # for back-offs: the week the check-in interrupted
    reason: str
    alert_therapist: bool


@dataclass(frozen=True)
class Progress:
    """The weeks from the start date through today, the changes, and where the patient is now."""

    weeks: tuple[Week, ...]
    changes: tuple[StageChange, ...]
    current_stage: StageSpec
    current_week: Week


# Patient-facing sentences live together so they can be translated in one place. The
# engine stays free of Django: these hooks are the identity until the programs app
# installs Django's gettext (``translations_use``), and makemessages finds the strings
# by the usual names ``_`` and ``ngettext``.
def adherence_streak(weeks: Sequence[Week]) -> int:
    """Count the ended weeks in a row, back from the last ended one, with completed >= planned.

    The week in progress is left aside; a week cut before it asked anything (planned 0) is
    met. The reports compute the same rule in SQL (reports/adherence.py, `streak`);
    tests/reports/test_streak.py holds the two together.
    """
    streak = 0
    for week in reversed(weeks):
        if week.in_progress:
            continue
        if week.completed < week.planned:
            break
        streak += 1
    return streak


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


_translate: Callable[[str], str] = str
_translate_plural: Callable[[str, str, int], str] = _english_plural


def translations_use(gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]):
    """Translate the reasons with these functions from now on."""
    global _translate, _translate_plural
    _translate, _translate_plural = gettext, ngettext


# Inside ``reasons_untranslated``: the reasons are written in English, never looked up.
_untranslated: ContextVar[bool] = ContextVar("progression_untranslated", default=False)


@contextmanager
def reasons_untranslated() -> Iterator[None]:
    """Write the reasons in English inside the block, for callers that never show them.

    The installed hooks look up the active language on every call, which costs as much as
    the rest of a short evaluation. The reminders decide many patients at once, each in
    their own language, and keep only the stages and weeks, not the reasons: inside this
    block nothing is translated, so no language can leak from one patient to another and
    nothing is paid for sentences nobody reads. Everything but the reasons' text is the
    same as outside the block. Other threads and tasks are not affected. Measured on the
    1,000-patient bench set, with its predecessor (a memo of translations for one language
    per batch, the same saving): deciding the reminders of 1,000 patients took 0.56 s with
    it against 0.91 s translating every reason.
    """
    token = _untranslated.set(True)
    try:
        yield
    finally:
        _untranslated.reset(token)


def _(message: str) -> str:
    return message if _untranslated.get() else _translate(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    if _untranslated.get():
        return _english_plural(singular, plural, count)
    return _translate_plural(singular, plural, count)


def _sessions(count: int) -> str:
    return ngettext("%(count)d session", "%(count)d sessions", count) % {"count": count}


def _per_week(count: int) -> str:
    return ngettext("%(count)d session a week", "%(count)d sessions a week", count) % {
        "count": count
    }


def _a_week(stage: StageSpec) -> str:
    if stage.max_sessions > stage.planned_sessions:
        return _("%(low)d\u2013%(high)d sessions a week") % {
            "low": stage.planned_sessions,
            "high": stage.max_sessions,
        }
    return _per_week(stage.planned_sessions)


def _did(completed: int, planned: int) -> str:
    if completed == 0:
        return _("none of the %(planned)d planned sessions") % {"planned": planned}
    if completed < planned:
        return _("%(completed)d of the %(planned)d planned sessions") % {
            "completed": completed,
            "planned": planned,
        }
    if completed == planned == 1:
        return _("your session")
    if completed == planned == 2:
        return _("both sessions")
    if completed == planned:
        return _("all %(count)d sessions") % {"count": completed}
    return _sessions(completed)


def _first_week_reason(stage: StageSpec) -> str:
    return _("%(per_week)s to start: your first week.") % {"per_week": _a_week(stage)}


def _promotion_reason(new: StageSpec, completed: int, planned: int) -> str:
    return _("%(sessions)s this week: last week you did %(did)s and felt fine the next day.") % {
        "sessions": _sessions(new.planned_sessions),
        "did": _did(completed, planned),
    }


def _hold_reason(stage: StageSpec, completed: int, worst: Answer | None) -> str:
    per_week = _per_week(stage.planned_sessions)
    if worst is Answer.PAINFUL:
        message = _("Staying at %(per_week)s: a session felt sketchy or painful last week.")
    elif worst is Answer.VERY_SORE:
        message = _("Staying at %(per_week)s: you were very sore after a session last week.")
    else:
        return _("Staying at %(per_week)s: last week you did %(did)s.") % {
            "per_week": per_week,
            "did": _did(completed, stage.planned_sessions),
        }
    return message % {"per_week": per_week}


def _keep_going_reason(stage: StageSpec, weeks_left: int) -> str:
    more = ngettext(
        "One more week like that and you move up.",
        "%(count)d more weeks like that and you move up.",
        weeks_left,
    ) % {"count": weeks_left}
    return _("Staying at %(per_week)s: last week went well. %(more)s") % {
        "per_week": _a_week(stage),
        "more": more,
    }


def _top_reason(stage: StageSpec, needs_advanced: bool) -> str:
    if needs_advanced:
        why = _("Your therapist decides when you are ready for more.")
    else:
        why = _("This is the top stage of your program.")
    return _("Staying at %(per_week)s: last week went well. %(why)s") % {
        "per_week": _a_week(stage),
        "why": why,
    }


def _back_off_reason(stage: StageSpec, backed_off: bool) -> str:
    per_week = _per_week(stage.planned_sessions)
    if backed_off:
        message = _(
            "Back to %(per_week)s from today: you told us a session felt sketchy or painful "
            "the next day. Your therapist has been told."
        )
    else:
        message = _(
            "Staying at %(per_week)s: you told us a session felt sketchy or painful the next "
            "day. Your therapist has been told."
        )
    return message % {"per_week": per_week}


def _override_reason(stage: StageSpec, requested: StageSpec) -> str:
    reason = _("Your therapist set this stage: %(per_week)s.") % {
        "per_week": _per_week(stage.planned_sessions)
    }
    if requested != stage:
        reason += " " + _("(%(stage)s is only for patients marked as advanced.)") % {
            "stage": requested.name
        }
    return reason


def therapist_reason(kind: ChangeKind, from_stage: StageSpec | None, to_stage: StageSpec) -> str:
    """The reason of a stored stage change as a therapist reads it (the patient's own
    reason speaks to the patient: "you told us…")."""
    to = _("%(stage)s (%(per_week)s)") % {"stage": to_stage.name, "per_week": _a_week(to_stage)}
    if kind is ChangeKind.PROMOTION:
        return _(
            "Moved up to %(to)s: the planned sessions of the week before were done and the "
            "next-day check-ins were fine."
        ) % {"to": to}
    if kind is ChangeKind.BACK_OFF:
        if from_stage is not None and from_stage != to_stage:
            return _(
                "Backed off from %(from)s to %(to)s: the patient answered a next-day check-in "
                "with “sketchy or painful”."
            ) % {"from": from_stage.name, "to": to}
        return _(
            "Kept at %(to)s: the patient answered a next-day check-in with “sketchy or "
            "painful” at the lowest stage."
        ) % {"to": to}
    if kind is ChangeKind.ALERT_ONLY:
        return _(
            "Pain alert at %(to)s: the patient answered a next-day check-in with “sketchy or "
            "painful”."
        ) % {"to": to}
    return _("Set to %(to)s by a therapist.") % {"to": to}


def planned_days(
    week_start: date, planned: int, preferred_weekdays: Collection[int] = (), length: int = 7
) -> tuple[date, ...]:
    """Return the planned session days among `length` days from `week_start`, sorted."""
    if planned < 0 or length < 1:
        raise ValueError("planned must be >= 0 and length >= 1.")
    if planned >= length:
        spread: tuple[int, ...] = tuple(range(length))
    elif planned in _SPREADS and _SPREADS[planned][-1] < length:
        spread = _SPREADS[planned]
    else:
        # Round half up in integers; Python's round() would round half to even.
        spread = tuple((2 * i * length + planned) // (2 * planned) for i in range(planned))
    if not preferred_weekdays:
        return tuple(week_start + offset * DAY for offset in spread)  # ascending, no repeats
    window = [week_start + offset * DAY for offset in range(length)]
    preferred = set(preferred_weekdays)
    chosen = [day for day in window if day.weekday() in preferred][:planned]
    for offset in spread:
        if len(chosen) >= planned:
            break
        if window[offset] not in chosen:
            chosen.append(window[offset])
    return tuple(sorted(chosen))


def cut_week_planned(stage: StageSpec, planned_days_kept: int, days_kept: int) -> int:
    """Return the sessions a week cut short after `days_kept` days plans (docs/adherence.md).

    Only what the plan had asked before the cut: the planned days it kept (the days the
    patient was reminded on), and no more than its share of the week's sessions, rounded
    down (a patient free to choose their days may have meant to train later in the week).
    So a back-off or an override never makes a patient who did what was asked look less
    adherent.
    """
    return min(planned_days_kept, stage.planned_sessions * days_kept // WEEK_LENGTH)


def _allowed(scheme: Scheme, advanced: bool, wanted: int) -> int:
    """Return the highest stage at or below `wanted` that the patient may be at."""
    while scheme.stages[wanted].requires_advanced and not advanced:
        wanted -= 1
    return wanted


def evaluate(scheme: Scheme, history: History, today: date) -> Progress:
    """Replay the history week by week and return the weeks, changes and current stage.

    Raise ValueError for an unknown stage code or two different overrides on one day. When
    today is before the start date, return the first week as the one in progress.
    """
    stages, start = scheme.stages, history.start_date

    def known(day: date) -> bool:
        return start <= day <= today

    overrides: dict[date, str] = {}
    for day, code in set(history.overrides):
        scheme.index(code)  # reject unknown codes even outside the window: they are bad data
        if overrides.setdefault(day, code) != code:
            raise ValueError(f"Conflicting overrides on {day}: pass only the last one of a day.")
    overrides = {day: code for day, code in overrides.items() if known(day)}
    # Sorted by day, so each week finds its sessions, check-ins and events by bisection.
    session_days = sorted(day for day in history.sessions if known(day))  # a day per session
    checkins = sorted({(day, Answer(answer)) for day, answer in history.checkins if known(day)})
    checkin_days = [day for day, _ in checkins]
    painful = {day for day, answer in checkins if answer is Answer.PAINFUL}
    events = sorted(painful | overrides.keys())

    level = 0
    if history.initial_stage is not None:
        level = _allowed(scheme, history.advanced, scheme.index(history.initial_stage))
    reason, streak = _first_week_reason(stages[level]), 0
    weeks: list[Week] = []
    changes: list[StageChange] = []
    # `interrupted` is the week an event on `week_start` broke into, recorded on back-offs.
    week_start = interrupted = start

    def move(kind: ChangeKind, to: int, evaluated: date | None, why: str) -> None:
        nonlocal level, reason, streak
        alert = kind in (ChangeKind.BACK_OFF, ChangeKind.ALERT_ONLY)
        from_code, to_code = stages[level].code, stages[to].code
        changes.append(StageChange(week_start, from_code, to_code, kind, evaluated, why, alert))
        level, reason, streak = to, why, 0

    while True:
        # A sketchy or painful answer on the first day of a week is acted on right here (a
        # back-off, or an alert at the lowest stage), so it does not count against the week
        # it starts: that week is judged on what comes after.
        acted_on = week_start in painful
        if acted_on:
            to = max(level - 1, 0)
            kind = ChangeKind.BACK_OFF if to < level else ChangeKind.ALERT_ONLY
            move(kind, to, interrupted, _back_off_reason(stages[to], to < level))
        if week_start in overrides:
            # After the back-off of the same day: the therapist has the last word.
            wanted = scheme.index(overrides[week_start])
            to = _allowed(scheme, history.advanced, wanted)
            move(ChangeKind.OVERRIDE, to, None, _override_reason(stages[to], stages[wanted]))

        stage = stages[level]
        after = bisect_right(events, week_start)
        cut = (
            events[after] if after < len(events) and events[after] <= week_start + 6 * DAY else None
        )
        end = cut - DAY if cut else week_start + 6 * DAY
        # The days the week was planned on (and reminded of) while it ran as a whole week.
        days = planned_days(week_start, stage.planned_sessions, history.preferred_weekdays)
        planned = stage.planned_sessions
        if cut:
            days = tuple(day for day in days if day <= end)
            planned = cut_week_planned(stage, len(days), (end - week_start).days + 1)
        completed = bisect_right(session_days, end) - bisect_left(session_days, week_start)
        first, last = bisect_left(checkin_days, week_start), bisect_right(checkin_days, end)
        answers = {
            answer
            for answered_on, answer in checkins[first:last]
            if not (acted_on and answered_on == week_start and answer is Answer.PAINFUL)
        }
        worst = next((a for a in (Answer.PAINFUL, Answer.VERY_SORE) if a in answers), None)
        in_progress = today <= end
        # A cut week is never tolerated: it was interrupted before it could be judged fairly.
        tolerated = cut is None and completed >= stage.planned_sessions and worst is None
        weeks.append(
            Week(
                start=week_start,
                end=end,
                stage=stage,
                planned=planned,
                completed=completed,
                counted=min(completed, planned),
                planned_days=days,
                tolerated=None if in_progress else tolerated,
                in_progress=in_progress,
                reason=reason,
            )
        )
        if in_progress:
            break

        interrupted = week_start if cut else end + DAY
        week_start = end + DAY
        if cut:
            continue  # the event that cut this week is applied at the top of the loop
        if not tolerated:
            reason, streak = _hold_reason(stage, completed, worst), 0
            continue
        streak += 1
        if streak < stage.weeks_to_promote:
            reason = _keep_going_reason(stage, stage.weeks_to_promote - streak)
        elif level + 1 == len(stages):
            reason = _top_reason(stage, needs_advanced=False)
        elif stages[level + 1].requires_advanced and not history.advanced:
            reason = _top_reason(stage, needs_advanced=True)
        else:
            why = _promotion_reason(stages[level + 1], completed, stage.planned_sessions)
            move(ChangeKind.PROMOTION, level + 1, weeks[-1].start, why)
    return Progress(tuple(weeks), tuple(changes), stages[level], weeks[-1])
