"""`/heynow history --csv`: the window's messages as a spreadsheet, one row each.

Written as bot.slack.mass_report writes its report, for the reader's locale: a locale whose
decimal mark is a comma (Spanish) lists with `;`, others with `,`; UTF-8 with a BOM so that
Excel reads the accents; times in the reader's zone. A client's name and a message's text are
anyone's words: a cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab
or a carriage return first) starts with `'`, so opening the file runs nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol

from bot.domain import SendState
from bot.domain.history import HistoryEntry
from bot.heynow.channels import platform_of
from bot.i18n import current, say
from bot.slack.render import outcome_words, send_state_words, status_words

COLUMNS = (
    "when",
    "sender",
    "platform",
    "client_id",
    "client_name",
    "text",
    "send_state",
    "status",
    "delivered_at",
    "read_at",
    "id_message_hey",
    "mass_id",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def history_csv(entries: Iterable[HistoryEntry], labels: dict[str, str]) -> tuple[str, int]:
    """The file, and how many messages it holds."""
    texts = current()
    delimiter = ";" if get_decimal_symbol(texts.locale) == "," else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([say(f"history.csv.column.{c}") for c in COLUMNS])
    zone = ZoneInfo(texts.zone)
    written = 0
    for entry in entries:
        writer.writerow([inert(cell) for cell in _row(entry, labels, zone)])
        written += 1
    return "\ufeff" + out.getvalue(), written


def inert(cell: str) -> str:
    """A cell as text, never as a formula (OWASP's CSV injection advice)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _row(entry: HistoryEntry, labels: dict[str, str], zone: ZoneInfo) -> list[str]:
    ref = platform_of(entry)
    return [
        _moment(entry.at, zone),
        entry.sender,
        labels.get(str(ref), ref.label),
        entry.client_id,
        entry.client_name or "",
        entry.text,
        send_state_words(entry.send_state),
        _status(entry),
        _moment(entry.delivered_at, zone),
        _moment(entry.read_at, zone),
        entry.id_message_hey or "",
        str(entry.mass_id) if entry.mass_id else "",
    ]


def _status(entry: HistoryEntry) -> str:
    """Hey Now's status in the tracking post's words (and how its following ended); none
    for a message that was never sent."""
    if entry.send_state is not SendState.SENT:
        return ""
    said = status_words(entry.status, platform_of(entry).channel)
    return said + outcome_words(entry.outcome)


def _moment(at: float | None, zone: ZoneInfo) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).astimezone(zone).isoformat(sep=" ", timespec="seconds")


def file_date(at: float) -> str:
    """The day of the ask in the reader's zone, for the file's name."""
    return datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(current().zone)).date().isoformat()
