"""The CSV report of a mass send: every recipient's outcome, one row each.

Written as a spreadsheet in the reader's locale opens it: a locale whose decimal mark is a comma
(Spanish) lists with `;`, others with `,`; UTF-8 with a BOM so that Excel reads the accents.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol

from bot.domain.mass import MassRecipient
from bot.i18n import current, say
from bot.slack.mass_blocks import failure_words

COLUMNS = ("position", "client", "outcome", "id_message_hey", "reason", "status", "sent_at")


def report_csv(recipients: list[MassRecipient]) -> str:
    texts = current()
    delimiter = ";" if get_decimal_symbol(texts.locale) == "," else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([say(f"mass.report.column.{c}") for c in COLUMNS])
    zone = ZoneInfo(texts.zone)
    for r in recipients:
        sent_at = (
            datetime.fromtimestamp(r.sent_at, UTC).astimezone(zone).isoformat(timespec="seconds")
            if r.sent_at
            else ""
        )
        writer.writerow(
            [
                r.position,
                r.client_id,
                say(f"mass.report.outcome.{r.state}"),
                r.id_message_hey or "",
                failure_words(r.error) if r.error else "",
                str(r.status) if r.id_message_hey else "",
                sent_at,
            ]
        )
    return "\ufeff" + out.getvalue()
