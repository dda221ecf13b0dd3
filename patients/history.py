"""What the history page shows: the adherence streak and the pain trend chart.

Both are pure functions of data already loaded, so the page costs the same
number of queries however long the history is.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from programs.progression import Week

CHART_WIDTH = 320
CHART_HEIGHT = 140
CHART_PAD = 24
MAX_CHART_POINTS = 30


def adherence_streak(weeks: Sequence[Week]) -> int:
    """Count the program weeks in a row, back from the last ended one, with every plan met."""
    streak = 0
    for week in reversed(weeks):
        if week.in_progress:
            continue
        if week.counted < week.planned:
            break
        streak += 1
    return streak


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    day: datetime.date
    pain: float


@dataclass(frozen=True)
class PainChart:
    """An SVG line chart in plain coordinates, drawn by the template."""

    points: tuple[ChartPoint, ...]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    pad: int = CHART_PAD

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)

    @property
    def gridlines(self) -> list[tuple[int, float]]:
        return [(level, self.y_of(level)) for level in (0, 5, 10)]

    @property
    def bottom(self) -> int:
        return self.height - self.pad

    @property
    def right(self) -> int:
        return self.width - 4

    def y_of(self, pain: float) -> float:
        return self.height - self.pad - pain / 10 * (self.height - 2 * self.pad)


def pain_chart(sessions: Sequence[tuple[datetime.date, float]]) -> PainChart | None:
    """Lay out the mean pain of the latest sessions (oldest first); None without any."""
    recent = list(sessions)[-MAX_CHART_POINTS:]
    if not recent:
        return None
    chart = PainChart(points=())
    left, right = chart.pad + 8, chart.width - 8
    step = (right - left) / (len(recent) - 1) if len(recent) > 1 else 0
    points = tuple(
        ChartPoint(
            x=left + index * step if step else (left + right) / 2,
            y=chart.y_of(pain),
            day=day,
            pain=round(pain, 1),
        )
        for index, (day, pain) in enumerate(recent)
    )
    return PainChart(points=points)
