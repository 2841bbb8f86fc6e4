"""The catalogues, read once from their .po files (no compiled .mo to keep in step)."""

from __future__ import annotations

import functools
import string
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "heynow"


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """key -> template of one language; entries left untranslated (empty) are not in it."""
    with po_path(language).open("rb") as po:
        read = read_po(po, locale=language)
    return {str(m.id): str(m.string) for m in read if m.id and m.string}


def placeholders(template: str) -> set[str]:
    """The named fields of a template: `{who}` and `{count}` in "{count} for {who}"."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
