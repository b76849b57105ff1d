"""The translation catalogs of the notification templates: extract, check and compile them.

``python -m fithub.core.notifications.catalogs`` merges the strings of the templates into each
language's ``messages.po`` (new ones untranslated, gone ones dropped), compiles the ``.mo`` the
renderer loads, and exits 1 while a template string lacks a translation.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from fithub.core.notifications.rendering import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    TEMPLATES,
    catalog_path,
)

#: How Babel reads the templates: the i18n extension as the renderer configures it.
EXTRACT_OPTIONS = {"trimmed": "true", "newstyle_gettext": "true", "silent": "false"}
TRANSLATED = tuple(locale for locale in SUPPORTED_LOCALES if locale != DEFAULT_LOCALE)

Msgid = str | tuple[str, ...]  # a plain message, or (singular, plural)


def extract_messages(templates: Path = TEMPLATES) -> Catalog:
    """Every translatable string in the templates, as a catalog template (no translations)."""
    catalog = Catalog(project="fithub", fuzzy=False)
    found = extract_from_dir(
        str(templates),
        method_map=[("**.j2", "jinja2.ext:babel_extract")],
        options_map={"**.j2": EXTRACT_OPTIONS},
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def load_po(locale: str) -> Catalog:
    """The source catalog (``.po``) of a translated language."""
    with catalog_path(locale, ".po").open("rb") as fp:
        return read_po(fp, locale=locale)


def compile_mo(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of a catalog, fuzzy entries left out (as ``pybabel compile`` does)."""
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def missing_translations(locale: str, templates: Path = TEMPLATES) -> list[Msgid]:
    """The template strings that ``locale``'s catalog leaves untranslated (empty or fuzzy)."""
    catalog = load_po(locale)
    missing: list[Msgid] = []
    for message in extract_messages(templates):
        if not message.id:
            continue  # the header
        translated = catalog.get(message.id)
        strings = translated.string if translated is not None else ""
        forms = strings if isinstance(strings, tuple | list) else (strings,)
        if translated is None or translated.fuzzy or not forms or not all(forms):
            missing.append(message.id if isinstance(message.id, str) else tuple(message.id))
    return missing


def update(locale: str) -> list[Msgid]:
    """Merge the template strings into ``locale``'s ``.po``, recompile its ``.mo``; the missing."""
    catalog = load_po(locale)
    created = catalog.creation_date  # update() would stamp it with now: keep the file stable
    catalog.update(extract_messages(), no_fuzzy_matching=True)
    catalog.creation_date = created
    catalog.obsolete.clear()
    with catalog_path(locale, ".po").open("wb") as fp:
        write_po(fp, catalog, width=100, sort_output=True, include_lineno=False)
    catalog_path(locale, ".mo").write_bytes(compile_mo(load_po(locale)))
    return missing_translations(locale)


def main() -> int:
    """Update every translated language; 1 while any template string lacks a translation."""
    status = 0
    for locale in TRANSLATED:
        for msgid in update(locale):
            sys.stderr.write(f"{locale}: missing translation for {msgid!r}\n")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
