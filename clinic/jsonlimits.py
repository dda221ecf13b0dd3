"""How deep a JSON text nests, found before a (recursive) parser reads it.

Python's json module recurses once per level: a body of 100,000 "[" raises RecursionError,
which no caller expects. The exercise import and the API refuse such texts first.
"""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the text's arrays and objects nest more than ``limit`` levels deep."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if bracket[0] in "[{" else -1
        if depth > limit:
            return True
    return False
