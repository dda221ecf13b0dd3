"""Server-rendered SVG charts: geometry computed here, drawn by templates with CSS classes.

No script and no style attributes, so a strict Content-Security-Policy allows them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40


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
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT
    right: float = WIDTH - RIGHT


def _band(percent: float | None) -> str:
    if percent is None:
        return "bar-none"
    if percent >= 80:
        return "bar-good"
    if percent >= 50:
        return "bar-fair"
    return "bar-low"


def _y(value: float, top_value: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - value / top_value)


def adherence_chart(points: Sequence[tuple[datetime.date, float | None, str]]) -> Chart:
    """Bars of adherence percent, one per (day, percent, title); every label fits at 26 bars."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    every = max(1, len(points) // 13)
    bars = []
    for index, (day, percent, title) in enumerate(points):
        top = _y(percent or 0, 100)
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.1, 1),
                y=round(top, 1),
                width=round(slot * 0.8, 1),
                height=round(HEIGHT - BOTTOM - top, 1),
                css=_band(percent),
                label=day.strftime("%d %b") if index % every == 0 else "",
                title=title,
            )
        )
    ticks = tuple(Tick(round(_y(value, 100), 1), f"{value}%") for value in (0, 50, 100))
    return Chart(WIDTH, HEIGHT, tuple(bars), ticks)


def pain_chart(points: Sequence[tuple[datetime.date, float | None]]) -> Chart:
    """A line of mean pain (0–10) per week; weeks without a pain rating break the line."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    every = max(1, len(points) // 13)
    lines, segment, dots, labels = [], [], [], []
    for index, (day, pain) in enumerate(points):
        x = round(LEFT + index * slot + slot / 2, 1)
        labels.append(Bar(x, 0, 0, 0, "", day.strftime("%d %b") if index % every == 0 else "", ""))
        if pain is None:
            if segment:
                lines.append(" ".join(segment))
            segment = []
            continue
        y = round(_y(pain, 10), 1)
        segment.append(f"{x},{y}")
        dots.append((x, y, f"{day:%Y-%m-%d}: {pain}/10"))
    if segment:
        lines.append(" ".join(segment))
    ticks = tuple(Tick(round(_y(value, 10), 1), str(value)) for value in (0, 5, 10))
    return Chart(WIDTH, HEIGHT, tuple(labels), ticks, tuple(lines), tuple(dots))
