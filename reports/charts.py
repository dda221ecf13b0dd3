"""The reports' SVG charts: adherence bars and a pain line, on the shared frame.

Drawn by ``admin/reports/_chart.html`` with CSS classes (see ``clinic.charts``).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from clinic.charts import Frame

FRAME = Frame(width=720, height=220, left=40, right=10, top=10, bottom=40)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    lines: tuple[str, ...] = ()  # polyline point lists
    dots: tuple[tuple[float, float, str], ...] = ()
    baseline: float = FRAME.baseline
    left: int = FRAME.left
    right: float = FRAME.right_edge


def band(percent: float | None) -> str:
    if percent is None:
        return "bar-none"
    if percent >= 80:
        return "bar-good"
    if percent >= 50:
        return "bar-fair"
    return "bar-low"


@functools.lru_cache(maxsize=4096)
def adherence_bar(index: int, count: int, percent: float | None) -> tuple[float, ...]:
    """Return (x, y, width, height) of bar ``index`` of ``count`` at ``percent`` adherence.

    Cached: the home draws a hundred small bars a page from a few hundred combinations.
    """
    slot = FRAME.slot(count)
    top = FRAME.y(percent or 0, 100)
    return (
        round(FRAME.x(index, count) - slot * 0.4, 1),
        round(top, 1),
        round(slot * 0.8, 1),
        round(FRAME.baseline - top, 1),
    )


def adherence_chart(points: Sequence[tuple[datetime.date, float | None, str]]) -> Chart:
    """Bars of adherence percent, one per (day, percent, title); every label fits at 26 bars."""
    every = max(1, len(points) // 13)
    bars = tuple(
        Bar(
            *adherence_bar(index, len(points), percent),
            css=band(percent),
            label=day.strftime("%d %b") if index % every == 0 else "",
            title=title,
        )
        for index, (day, percent, title) in enumerate(points)
    )
    ticks = tuple(Tick(round(FRAME.y(value, 100), 1), f"{value}%") for value in (0, 50, 100))
    return Chart(FRAME.width, FRAME.height, bars, ticks)


def pain_chart(points: Sequence[tuple[datetime.date, float | None]]) -> Chart:
    """A line of mean pain (0–10) per week; weeks without a pain rating break the line."""
    every = max(1, len(points) // 13)
    lines, segment, dots, labels = [], [], [], []
    for index, (day, pain) in enumerate(points):
        x = round(FRAME.x(index, len(points)), 1)
        labels.append(Bar(x, 0, 0, 0, "", day.strftime("%d %b") if index % every == 0 else "", ""))
        if pain is None:
            if segment:
                lines.append(" ".join(segment))
            segment = []
            continue
        y = round(FRAME.y(pain, 10), 1)
        segment.append(f"{x},{y}")
        dots.append((x, y, f"{day:%Y-%m-%d}: {pain}/10"))
    if segment:
        lines.append(" ".join(segment))
    ticks = tuple(Tick(round(FRAME.y(value, 10), 1), str(value)) for value in (0, 5, 10))
    return Chart(FRAME.width, FRAME.height, tuple(labels), ticks, tuple(lines), tuple(dots))


def outcome_chart(
    points: Sequence[tuple[datetime.date, float]],
    score_min: float,
    score_max: float,
    mcid: float | None,
) -> Chart:
    """A questionnaire's scores over time on its own scale, with the MCID band around the first.

    The band (first score ± MCID, clipped to the scale) is where a change is smaller than
    the minimal clinically important difference: a dot outside it changed importantly.
    """
    span = (score_max - score_min) or 1
    every = max(1, len(points) // 13)
    labels, coordinates, dots = [], [], []
    for index, (day, value) in enumerate(points):
        x = round(FRAME.x(index, len(points)), 1)
        labels.append(Bar(x, 0, 0, 0, "", day.strftime("%d %b") if index % every == 0 else "", ""))
        y = round(FRAME.y(value - score_min, span), 1)
        coordinates.append(f"{x},{y}")
        dots.append((x, y, f"{day:%Y-%m-%d}: {value:g}"))
    bars = list(labels)
    if mcid is not None and points:
        first = points[0][1]
        low = max(score_min, first - mcid)
        high = min(score_max, first + mcid)
        top, bottom = FRAME.y(high - score_min, span), FRAME.y(low - score_min, span)
        bars.insert(
            0,
            Bar(
                x=FRAME.left,
                y=round(top, 1),
                width=round(FRAME.right_edge - FRAME.left, 1),
                height=round(bottom - top, 1),
                css="chart-band",
                label="",
                title=f"{first:g} ± {mcid:g}",
            ),
        )
    middle = score_min + span / 2
    ticks = tuple(
        Tick(round(FRAME.y(value - score_min, span), 1), f"{value:g}")
        for value in (score_min, middle, score_max)
    )
    return Chart(
        FRAME.width, FRAME.height, tuple(bars), ticks, (" ".join(coordinates),), tuple(dots)
    )
