"""The patient site's templates keep to what a strict Content-Security-Policy allows."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(
    [
        Path(settings.BASE_DIR) / "templates" / "base.html",
        Path(settings.BASE_DIR) / "templates" / "404.html",
        *(Path(settings.BASE_DIR) / "templates" / "patients").glob("*.html"),
    ]
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_a_patient_template_has_no_inline_script_style_or_handler(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
