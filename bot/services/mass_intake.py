"""A mass-send request as the form submits it, checked whole before anything is stored.

Every recipient is checked (phonenumbers on WhatsApp), repeats and opted-out numbers are left
out and counted, each text is rendered now and frozen, and every problem is returned at once,
for the field it belongs to: nothing is stored until the request is valid. Problems are codes
with parameters; the form shows them in the reader's words (bot.slack.mass_form).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bot.heynow import PlatformRef
from bot.services.mass import MassDraft
from bot.services.recipients import (
    Checked,
    ClientIds,
    Entry,
    FileRefused,
    Invalid,
    check,
    parse_pasted,
    read_file,
)
from bot.services.template import RowError, TemplateRefused, parse_template, render_all

SHOWN_ROWS = 3  # the first few bad rows an error names
PAST_GRACE_SECONDS = 300  # a send-not-before a few minutes ago is "now", not a mistake


@dataclass(frozen=True)
class Problem:
    """One thing to fix, for the form field whose block id is `block`."""

    block: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict)
    rows: tuple[Invalid | RowError, ...] = ()  # the first few rows it is about


@dataclass(frozen=True)
class MassForm:
    """What the form holds, as typed."""

    ref: PlatformRef | None
    pasted: str
    file: tuple[str, bytes] | None  # (name, content), downloaded from Slack
    text: str
    not_before: float | None


def check_request(
    form: MassForm,
    *,
    region: str,
    max_recipients: int,
    opted_out: Collection[str],
    known_names: Mapping[str, str] | None,
    now: float,
) -> MassDraft | list[Problem]:
    problems: list[Problem] = []
    if form.ref is None:
        return [Problem("platform", "no_platform")]
    ids = ClientIds(form.ref.channel, region)
    entries, columns = _entries(form, ids, max_recipients, problems)
    limit = form.ref.channel.text_limit
    try:
        template = parse_template(form.text, columns, text_limit=limit)
    except TemplateRefused as exc:
        problems.append(Problem("text", f"template.{exc.code}", exc.params))
        template = None
    if form.not_before is not None and form.not_before < now - PAST_GRACE_SECONDS:
        problems.append(Problem("not_before", "not_before_past"))
    checked = check(entries, ids, max_recipients=max_recipients, opted_out=opted_out)
    problems.extend(_recipient_problems(checked, form))
    if problems or template is None:
        return problems
    rendering = render_all(template, checked.recipients, text_limit=limit, known_names=known_names)
    if rendering.errors:
        errors = rendering.errors
        return [Problem("text", "rows_not_rendered", {"count": len(errors)}, errors[:SHOWN_ROWS])]
    left_out = {"duplicate": checked.duplicates, "opted_out": len(checked.opted_out)}
    return MassDraft(
        ref=form.ref,
        template=template.text,
        recipients=tuple((r.recipient.client_id, r.text) for r in rendering.texts),
        left_out={reason: count for reason, count in left_out.items() if count},
        not_before=form.not_before,
    )


def _entries(
    form: MassForm, ids: ClientIds, max_recipients: int, problems: list[Problem]
) -> tuple[list[Entry], tuple[str, ...]]:
    entries = list(parse_pasted(form.pasted, ids)) if form.pasted.strip() else []
    columns: tuple[str, ...] = ()
    if form.file is not None:
        name, data = form.file
        try:
            table = read_file(data, name, max_recipients=max_recipients)
        except FileRefused as exc:
            problems.append(Problem("file", f"file.{exc.code}", exc.params))
        else:
            entries.extend(table.entries)
            columns = table.columns
    return entries, columns


def _recipient_problems(checked: Checked, form: MassForm) -> list[Problem]:
    where = "file" if form.file is not None and not form.pasted.strip() else "recipients"
    if checked.invalid:
        bad = checked.invalid
        return [Problem(where, "rows_invalid", {"count": len(bad)}, bad[:SHOWN_ROWS])]
    if checked.too_many:
        return [
            Problem(
                where,
                "too_many",
                {"count": len(checked.recipients), "limit": checked.max_recipients},
            )
        ]
    if not checked.recipients and checked.opted_out:
        return [Problem(where, "all_opted_out", {"count": len(checked.opted_out)})]
    if not checked.recipients:
        return [Problem("recipients", "no_recipients")]
    return []
