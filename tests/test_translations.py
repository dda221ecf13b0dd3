"""German and Spanish beside English: the catalogs are complete, exact and up to date.

The catalogs are read with polib (pinned in constraints.txt). A string added in the code or
a template without its German and Spanish translation fails here, listed with its source.
To fix: `make messages`, translate the new and fuzzy entries in locale/*/LC_MESSAGES/
django.po (terms: docs/glossary.md), `make compilemessages`.
"""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from tests.test_architecture import ORDER

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Where Flexion's strings are: the packages that run in production and the templates.
SOURCES = [*(package for package in ORDER if package != "bench"), "templates"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>")


def catalog(language: str, root: Path = ROOT / "locale") -> polib.POFile:
    return polib.pofile(str(root / language / "LC_MESSAGES" / "django.po"))


def translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def untranslated(po: polib.POFile) -> list[str]:
    return [
        f"{entry.msgid!r} ({', '.join(f'{path}:{line}' for path, line in entry.occurrences)})"
        for entry in po
        if not entry.obsolete and not translated(entry)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_catalog_translates_every_msgid_with_no_fuzzy_entry(language):
    po = catalog(language)
    assert len(po) > 600
    assert untranslated(po) == []
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_and_markup_of_its_msgid(language):
    wrong = []
    for entry in catalog(language):
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append((source, text))
    assert wrong == []


def test_every_msgid_of_the_code_and_templates_is_in_both_catalogs_translated(
    tmp_path, monkeypatch
):
    """makemessages into a copy: a new or changed string shows up untranslated or fuzzy.

    It runs in a directory of links to the sources, so the committed catalogs are not touched.
    """
    for source in SOURCES:
        (tmp_path / source).symlink_to(ROOT / source)
    locale = tmp_path / "locale"
    for language in LANGUAGES:
        target = locale / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(ROOT / "locale" / language / "LC_MESSAGES" / "django.po", target)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command("makemessages", locale=LANGUAGES, no_obsolete=True, symlinks=True, verbosity=0)
    missing = {language: untranslated(catalog(language, locale)) for language in LANGUAGES}
    assert missing == {language: [] for language in LANGUAGES}


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Heutige Einheit starten"), ("es", "Empezar la sesión de hoy")],
)
def test_the_compiled_catalogs_are_what_django_reads(language, expected):
    with translation.override(language):
        assert translation.gettext("Start today's session") == expected


# The PDF handout's stylesheet, read by WeasyPrint only: WeasyPrint ignores the logical
# properties (the test below holds it), so this one says left and right.
PRINT_STYLESHEETS = {"handout.css"}


def test_the_stylesheets_say_start_and_end_never_left_and_right():
    """Logical properties: a right-to-left language later needs no layout rework."""
    physical = re.compile(
        r"(margin|padding|border)-(left|right)\s*:|text-align:\s*(left|right)|float:\s*(left|right)"
    )
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "static").rglob("*.css")
        if "vendor" not in path.parts and path.name not in PRINT_STYLESHEETS
        for match in physical.finditer(path.read_text())
    ]
    assert found == []


def test_weasyprint_still_ignores_logical_properties_so_the_handout_says_left():
    """When this fails, WeasyPrint reads them: convert handout.css and drop the exception."""
    from weasyprint import HTML

    def padding_left(style: str) -> float:
        page = HTML(string=f'<div style="{style}"><p>x</p></div>').render().pages[0]
        return page._page_box.children[0].children[0].children[0].padding_left

    assert padding_left("padding-left: 10mm") > 0
    assert padding_left("padding-inline-start: 10mm") == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_gettext_compiles_the_catalog_with_its_format_checks(language):
    """What `make install` runs: msgfmt refuses a broken catalog or a placeholder mismatch."""
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
