"""A mass send's text with placeholders: checked once, then rendered for each recipient.

`Hola {nombre}, tu pedido {pedido} está listo`: a placeholder is `first_name` or a column of
the recipients' file (by its normalised name, compared without accents or case). Only plain
names are placeholders: attribute and index access, conversions and format specs would make
the text depend on Python's formatting rather than on what the person wrote. Rendering only
joins strings, so the same template and rows always give the same texts: the caller freezes
them, and what is approved is exactly what is sent. Problems are codes and parameters for the
gettext catalogues, never sentences.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.services.recipients import Params, Recipient, column_name, fold

FIRST_NAME = "first_name"
FIRST_NAME_COLUMNS = ("first_name", "nombre")  # file columns that give {first_name}, in order


class TemplateProblem(StrEnum):
    """Why a template is refused as a whole; TemplateRefused.params says more."""

    EMPTY = "empty_template"  # nothing but spaces
    UNBALANCED_BRACES = "unbalanced_braces"  # a lone `{` or `}` (write `{{` `}}` for braces)
    BAD_PLACEHOLDER = "bad_placeholder"  # placeholder: as written (`{a.b}`, `{a!r}`, `{}`, `{0}`)
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"  # names: as written; known: what may be used
    TOO_LONG = "too_long"  # length, limit: the fixed text alone is over the channel's limit


class RenderProblem(StrEnum):
    """Why one recipient's text cannot be sent; RowError.params says more."""

    MISSING_VALUE = "missing_value"  # placeholder: the name with no (or an empty) value
    TOO_LONG = "too_long"  # length, limit: the rendered text is over the channel's limit


class TemplateRefused(ValueError):
    """A template-level problem: the code for the catalogue and its parameters."""

    def __init__(self, code: TemplateProblem, **params: str | int | tuple[str, ...]) -> None:
        super().__init__(code.value)
        self.code = code
        self.params: Params = params


@dataclass(frozen=True)
class Slot:
    """One placeholder: its name as normalised, and the file column that fills it (None:
    `first_name` from the agenda's names only)."""

    name: str
    column: str | None
    first_name: bool


@dataclass(frozen=True)
class Template:
    """A checked template: literal pieces and slots, in order."""

    text: str
    parts: tuple[str | Slot, ...]

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names used, each once, in the order they first appear."""
        return tuple(dict.fromkeys(p.name for p in self.parts if isinstance(p, Slot)))


@dataclass(frozen=True)
class Rendered:
    recipient: Recipient
    text: str


@dataclass(frozen=True)
class RowError:
    recipient: Recipient
    code: RenderProblem
    params: Params = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Rendering:
    """Every recipient's text, or why it has none, each in the recipients' order."""

    texts: tuple[Rendered, ...]
    errors: tuple[RowError, ...]


def parse_template(
    text: str, columns: Iterable[str] = (), *, text_limit: int | None = None
) -> Template:
    """Check `text` against the file's `columns` (normalised names); raise TemplateRefused.

    Surrounding spaces are dropped, as a single send drops them. All unknown names are
    reported at once, so the person fixes them in one go.
    """
    text = text.strip()
    if not text:
        raise TemplateRefused(TemplateProblem.EMPTY)
    by_fold: dict[str, str] = {}
    for column in columns:
        by_fold.setdefault(fold(column), column)
    first_name_column = next((by_fold[n] for n in FIRST_NAME_COLUMNS if n in by_fold), None)
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateRefused(TemplateProblem.UNBALANCED_BRACES) from None
    parts: list[str | Slot] = []
    unknown: list[str] = []
    for literal, name, spec, conversion in pieces:
        if literal and parts and isinstance(parts[-1], str):
            parts[-1] += literal  # `{{` splits a literal in two: kept as one piece
        elif literal:
            parts.append(literal)
        if name is None:
            continue
        if spec or conversion or not _plain(name):
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise TemplateRefused(TemplateProblem.BAD_PLACEHOLDER, placeholder="{" + written + "}")
        key = fold(name)
        if key == FIRST_NAME:
            parts.append(Slot(FIRST_NAME, first_name_column, True))
        elif key in by_fold:
            parts.append(Slot(by_fold[key], by_fold[key], False))
        elif name.strip() not in unknown:
            unknown.append(name.strip())
    if unknown:
        known = tuple(dict.fromkeys((*by_fold.values(), FIRST_NAME)))
        raise TemplateRefused(
            TemplateProblem.UNKNOWN_PLACEHOLDER, names=tuple(unknown), known=known
        )
    fixed = sum(len(p) for p in parts if isinstance(p, str))
    if text_limit is not None and fixed > text_limit:
        raise TemplateRefused(TemplateProblem.TOO_LONG, length=fixed, limit=text_limit)
    return Template(text, tuple(parts))


def _plain(name: str) -> bool:
    """A name, not `{}`, `{0}`, `{a.b}` or `{a[0]}` (positional, attribute and index access)."""
    normalised = column_name(name)
    return bool(normalised) and not normalised.isdigit() and not set(".[]") & set(normalised)


def render(
    template: Template,
    recipient: Recipient,
    *,
    text_limit: int,
    known_names: Mapping[str, str] | None = None,
) -> Rendered | RowError:
    """`recipient`'s text. `first_name` is the file's first_name/nombre cell and, where that
    is empty (or there is no such column), `known_names[client_id]` (Hey Now's agenda)."""
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = recipient.fields.get(part.column, "") if part.column else ""
        if not value.strip() and part.first_name and known_names:
            value = known_names.get(recipient.client_id, "")
        value = value.strip()
        if not value:
            return RowError(recipient, RenderProblem.MISSING_VALUE, {"placeholder": part.name})
        out.append(value)
    text = "".join(out)
    if len(text) > text_limit:
        return RowError(
            recipient, RenderProblem.TOO_LONG, {"length": len(text), "limit": text_limit}
        )
    return Rendered(recipient, text)


def render_all(
    template: Template,
    recipients: Iterable[Recipient],
    *,
    text_limit: int,
    known_names: Mapping[str, str] | None = None,
) -> Rendering:
    """Every recipient's text or row error (see `render`)."""
    texts: list[Rendered] = []
    errors: list[RowError] = []
    for recipient in recipients:
        result = render(template, recipient, text_limit=text_limit, known_names=known_names)
        if isinstance(result, Rendered):
            texts.append(result)
        else:
            errors.append(result)
    return Rendering(tuple(texts), tuple(errors))
