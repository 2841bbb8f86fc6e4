"""The mass-send form, and its problems in the reader's words under the fields they concern."""

from __future__ import annotations

import json
from typing import Any

from bot.config import AllowedPlatform
from bot.i18n import current, plural, say
from bot.mrkdwn import as_plain
from bot.services.mass_intake import Problem
from bot.services.recipients import Invalid, Source
from bot.services.template import RowError

MASS_FORM_ID = "heynow_mass_form"
FIELD_ERROR_LIMIT = 300
FILE_TYPES = ["csv", "txt", "tsv", "xlsx"]


def mass_form(platforms: tuple[AllowedPlatform, ...], origin_channel: str) -> dict[str, Any]:
    """Platform (only those that do not validate contacts), recipients pasted and/or a file,
    the text with its placeholders, and when to send at the earliest."""
    options = [
        {"text": {"type": "plain_text", "text": p.label[:75]}, "value": str(p.ref)}
        for p in platforms
    ]
    platform: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if len(options) == 1:
        platform["initial_option"] = options[0]
    return {
        "type": "modal",
        "callback_id": MASS_FORM_ID,
        "private_metadata": json.dumps({"channel": origin_channel}),
        "title": {"type": "plain_text", "text": say("mass.form.title")},
        "submit": {"type": "plain_text", "text": say("mass.form.submit")},
        "close": {"type": "plain_text", "text": say("mass.form.cancel")},
        "blocks": [
            _input("platform", "mass.form.platform", platform, hint="mass.form.platform_hint"),
            _input(
                "recipients",
                "mass.form.recipients",
                {"type": "plain_text_input", "action_id": "value", "multiline": True},
                hint="mass.form.recipients_hint",
                optional=True,
            ),
            _input(
                "file",
                "mass.form.file",
                {
                    "type": "file_input",
                    "action_id": "value",
                    "filetypes": FILE_TYPES,
                    "max_files": 1,
                },
                hint="mass.form.file_hint",
                optional=True,
            ),
            _input(
                "text",
                "mass.form.text",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 3000,
                },
                hint="mass.form.text_hint",
            ),
            _input(
                "not_before",
                "mass.form.not_before",
                {"type": "datetimepicker", "action_id": "value"},
                hint="mass.form.not_before_hint",
                optional=True,
            ),
        ],
    }


def _input(
    block_id: str, label: str, element: dict[str, Any], *, hint: str, optional: bool = False
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": say(label)},
        "hint": {"type": "plain_text", "text": say(hint)},
        "element": element,
    }
    if optional:
        block["optional"] = True
    return block


def field_errors(problems: list[Problem]) -> dict[str, str]:
    """`response_action: errors` for the form: each field's problems, in plain words."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.block, []).append(problem_words(problem))
    return {block: as_plain(" ".join(said), FIELD_ERROR_LIMIT) for block, said in errors.items()}


def problem_words(problem: Problem) -> str:
    params = {k: _shown(v) for k, v in problem.params.items()}
    if "count" in problem.params:
        count = int(problem.params["count"])  # type: ignore[call-overload]
        said = plural(
            f"mass.problem.{problem.code}",
            count,
            **{k: v for k, v in params.items() if k != "count"},
        )
    else:
        said = say(f"mass.problem.{problem.code}", **params)
    rows = [_row_words(row) for row in problem.rows]
    return " ".join([said, *rows])


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return current().number(value)
    return str(value)


def _row_words(row: Invalid | RowError) -> str:
    if isinstance(row, Invalid):
        where = "mass.row.line" if row.source is Source.PASTED else "mass.row.row"
        return say(where, row=row.row, typed=row.typed[:40], why=say(f"mass.row.why.{row.reason}"))
    recipient = row.recipient
    where = "mass.row.line" if recipient.source is Source.PASTED else "mass.row.row"
    why = say(f"mass.row.why.{row.code}", **{k: _shown(v) for k, v in row.params.items()})
    return say(where, row=recipient.row, typed=recipient.typed[:40], why=why)
