"""Form fields every floor's admin uses."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import validate_timezone


@cache
def _zone_names() -> tuple[str, ...]:
    # The IANA names people pick (Region/City and UTC), not the legacy aliases
    # ("US/Pacific", "Etc/GMT+5") that make up a third of the list.
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if name == "UTC" or ("/" in name and name.split("/")[0] not in {"Etc", "SystemV"})
            if not name.startswith(("US/", "Canada/", "Brazil/", "Chile/", "Mexico/"))
        )
    )


class TimeZoneInput(forms.TextInput):
    """A text box that suggests zone names as one types (a datalist), the clinic's first."""

    def __init__(self, attrs=None, first: str | None = None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.first = first

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {})}
        list_id = f"{attrs.get('id') or 'id_' + name}_zones"
        attrs["list"] = list_id
        names = _zone_names()
        if self.first:
            names = (self.first, *(n for n in names if n != self.first))
        options = format_html_join("", '<option value="{}">', ((n,) for n in names))
        return format_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),
            list_id,
            options,
        )


class TimeZoneField(forms.CharField):
    """A time zone, typed with suggestions; any name Python's zoneinfo knows is accepted."""

    widget = TimeZoneInput

    def __init__(self, *, first: str | None = None, **kwargs):
        kwargs.setdefault("label", _("Time zone"))
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", _("Type a city or region, for example Europe/London."))
        kwargs.pop("choices", None)
        super().__init__(**kwargs)
        self.widget.first = first
        self.validators.append(validate_timezone)

    def to_python(self, value):
        return super().to_python(value).strip()


class AutocompleteSelectMultiple(admin_widgets.AutocompleteSelectMultiple):
    """The admin's search-as-you-type picker, shown again safely with values sent by hand.

    Django's widget looks the submitted values up to show them again, and a value that is
    not an id ("x", a NUL byte, a 30-digit number) made that lookup a server error.
    """

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if _is_an_id(v)], attr)


def _is_an_id(value) -> bool:
    try:
        number = int(str(value))
    except ValueError:
        return False
    return 0 < number < 2**63
