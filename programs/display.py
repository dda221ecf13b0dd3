"""How an exercise's dosage reads to a patient ("1 set × 2 reps each side, hold 20 s")."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Intensity, Side


def _seconds_range(low: int | None, high: int | None) -> str:
    if high and low and high != low:
        return f"{low}–{high} s"
    return f"{low} s"


def dosage_text(dosage: dict) -> str:
    """Return a full dosage (as ``Dosage.dosage()`` or ``resolved_dosage()``) in plain words."""
    sets, reps = dosage.get("sets"), dosage.get("reps")
    parts = []
    if sets and reps:
        text = ngettext("%(sets)s set", "%(sets)s sets", sets) % {"sets": sets}
        text += " × " + ngettext("%(reps)s rep", "%(reps)s reps", reps) % {"reps": reps}
        side = dosage.get("side")
        if side == Side.PER_SIDE:
            text += " " + _("each side")
        elif side == Side.EACH_WAY:
            text += " " + _("each way")
        parts.append(text)
    if dosage.get("hold_seconds"):
        hold = _seconds_range(dosage["hold_seconds"], dosage.get("hold_seconds_max"))
        parts.append(_("hold %(hold)s") % {"hold": hold})
    if dosage.get("contraction_seconds"):
        squeeze = _seconds_range(
            dosage["contraction_seconds"], dosage.get("contraction_seconds_max")
        )
        parts.append(_("contract %(squeeze)s") % {"squeeze": squeeze})
    if dosage.get("rest_seconds"):
        parts.append(_("rest %(rest)s s") % {"rest": dosage["rest_seconds"]})
    intensity = dosage.get("intensity")
    if intensity:
        parts.append(str(Intensity(intensity).label).lower())
    return ", ".join(parts)
