"""The German catalog translates every template string, and the shipped .mo is the compiled .po."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from fithub.core.notifications import catalogs
from fithub.core.notifications.rendering import TEMPLATES, catalog_path


def template_msgids() -> set[str | tuple[str, str]]:
    """Every string in the templates, read straight with Jinja2's Babel extractor."""
    found: set[str | tuple[str, str]] = set()
    for path in sorted(TEMPLATES.glob("*.j2")):
        with path.open("rb") as fp:
            for _, message, _, _ in extract(babel_extract, fp, options=catalogs.EXTRACT_OPTIONS):
                found.add(message)
    return found


def test_the_templates_have_strings_to_translate() -> None:
    msgids = template_msgids()
    assert len(msgids) > 50
    assert "Hi %(name)s," in msgids
    assert ("%(count)s workout completed", "%(count)s workouts completed") in msgids


def test_every_template_string_has_a_german_translation() -> None:
    with catalog_path("de", ".po").open("rb") as fp:
        german = read_po(fp, locale="de")
    untranslated = []
    for msgid in template_msgids():
        message = german.get(msgid)
        forms = () if message is None else message.string
        forms = forms if isinstance(forms, tuple | list) else (forms,)
        if message is None or message.fuzzy or not forms or not all(forms):
            untranslated.append(msgid)
    assert untranslated == [], "run `python -m fithub.core.notifications.catalogs` and translate"
    assert catalogs.missing_translations("de") == []


def test_the_catalog_has_no_stale_or_inconsistent_entries() -> None:
    german = catalogs.load_po("de")
    assert {message.id for message in german if message.id} == template_msgids()
    assert german.plural_forms == "nplurals=2; plural=(n != 1);"
    problems = [(message.id, errors) for message, errors in german.check()]
    assert problems == []  # placeholders match between msgid and msgstr


def test_the_shipped_mo_is_the_compiled_po() -> None:
    with catalog_path("de", ".po").open("rb") as fp:
        catalog = read_po(fp, locale="de")
    compiled = BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == catalog_path("de", ".mo").read_bytes(), (
        "run `python -m fithub.core.notifications.catalogs` to recompile messages.mo"
    )


def test_a_new_untranslated_string_is_reported(tmp_path: Path) -> None:
    (tmp_path / "extra.txt.j2").write_text(
        "{% trans %}Hi,{% endtrans %} {% trans %}A sentence nobody translated{% endtrans %}\n"
        "{{ _('Nor this one') }}\n",
        encoding="utf-8",
    )
    assert catalogs.missing_translations("de", tmp_path) == [
        "A sentence nobody translated",
        "Nor this one",
    ]
