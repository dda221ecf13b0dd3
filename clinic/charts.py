"""The geometry of Flexion's server-rendered SVG charts: a plot frame and its two scales.

The admin's reports and the patient's history page draw different charts at different
sizes, but both place a value and a slot with this one frame. Templates draw the result
with CSS classes: no script and no style attributes, so a strict Content-Security-Policy
allows them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """A chart of ``width`` × ``height`` SVG units, its plot inside the four margins."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def baseline(self) -> float:
        """The y of the plot's bottom edge: where zero sits."""
        return self.height - self.bottom

    @property
    def right_edge(self) -> float:
        """The x of the plot's right edge."""
        return self.width - self.right

    def y(self, value: float, top_value: float) -> float:
        """Return the y of ``value`` on a scale from 0 (at the baseline) to ``top_value``."""
        plot = self.height - self.top - self.bottom
        return self.top + plot * (1 - value / top_value)

    def slot(self, count: int) -> float:
        """Return the width of one of ``count`` equal slots across the plot."""
        return (self.width - self.left - self.right) / max(count, 1)

    def x(self, index: int, count: int) -> float:
        """Return the x of the middle of slot ``index`` of ``count``."""
        slot = self.slot(count)
        return self.left + index * slot + slot / 2
