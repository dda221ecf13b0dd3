"""What the history page shows beside the weeks: the pain trend chart.

A pure function of data already loaded, so the page costs the same
number of queries however long the history is.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from clinic.charts import Frame

# The same frame as the reports' charts (clinic.charts), at the size of a phone's card.
FRAME = Frame(width=320, height=140, left=24, right=4, top=24, bottom=24)
MAX_CHART_POINTS = 30


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
    frame: Frame = FRAME

    @property
    def width(self) -> int:
        return self.frame.width

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def pad(self) -> int:
        return self.frame.left

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)

    @property
    def gridlines(self) -> list[tuple[int, float]]:
        return [(level, self.y_of(level)) for level in (0, 5, 10)]

    @property
    def bottom(self) -> float:
        return self.frame.baseline

    @property
    def right(self) -> float:
        return self.frame.right_edge

    def y_of(self, pain: float) -> float:
        return self.frame.y(pain, 10)


def pain_chart(sessions: Sequence[tuple[datetime.date, float]]) -> PainChart | None:
    """Lay out the mean pain of the latest sessions (oldest first); None without any."""
    recent = list(sessions)[-MAX_CHART_POINTS:]
    if not recent:
        return None
    points = tuple(
        ChartPoint(x=FRAME.x(index, len(recent)), y=FRAME.y(pain, 10), day=day, pain=round(pain, 1))
        for index, (day, pain) in enumerate(recent)
    )
    return PainChart(points=points)
