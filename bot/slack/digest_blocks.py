"""The daily digest's post: the day's totals, per agent and per platform, the mass sends that
ran, the new contacts; and one sentence when nothing happened (a digest still comes then: a
team that gets none cannot tell a quiet day from an app that stopped).

Built like bot.slack.render: every text from the catalogues, within Slack's limits whatever the
number of agents (each list is cut, "… and N more"), so the post stays far under 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_percent

from bot.domain.digest import Counts, DayDigest, MassOfDay, NewContacts
from bot.heynow import PlatformRef
from bot.i18n import current, say
from bot.slack.render import Block, context, escape, sections, shorten

AGENTS_SHOWN = 15
PLATFORMS_SHOWN = 10
MASS_SHOWN = 10
CONTACT_PLATFORMS_SHOWN = 10
HEADER_LIMIT = 150  # a header block's plain text

Labels = dict[str, str]  # a platform (`1:59899000001`) -> what people call it


def post(digest: DayDigest, labels: Labels, until: float | None) -> tuple[str, list[Block]]:
    """The digest of `digest.day` with its figures up to `until` (None: the whole day)."""
    zone = escape(current().zone)
    when = (
        say("digest.until", time=_clock(until), zone=zone)
        if until is not None
        else say("digest.whole_day", zone=zone)
    )
    blocks: list[Block] = [header(say("digest.header", date=_date(digest))), context(when)]
    if digest.quiet:
        blocks.extend(sections([say("digest.quiet")]))
    else:
        blocks.extend(sections(_totals(digest.totals)))
        if digest.agents:
            rows = [_row(f"<@{a.user}>", a.counts) for a in digest.agents]
            blocks.extend(sections([say("digest.by_agent"), *_cut(rows, AGENTS_SHOWN)]))
        if digest.platforms:
            rows = [_row(label(p.ref, labels), p.counts) for p in digest.platforms]
            blocks.extend(sections([say("digest.by_platform"), *_cut(rows, PLATFORMS_SHOWN)]))
        if digest.mass:
            rows = [_mass_row(m, labels) for m in digest.mass]
            blocks.extend(sections([say("digest.mass_title"), *_cut(rows, MASS_SHOWN)]))
        blocks.extend(sections([_new_contacts(digest.new_contacts, labels)]))
    blocks.append(context(say("digest.chart_in_thread")))
    return _notification(digest), blocks


def header(text: str) -> Block:
    cut = text if len(text) <= HEADER_LIMIT else text[: HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": cut, "emoji": True}}


def label(ref: PlatformRef, labels: Labels) -> str:
    """The platform as HEYNOW_PLATFORMS or HEYNOW_MASS_PLATFORMS name it, escaped."""
    return shorten(labels.get(str(ref), ref.label), 100)


def pct(value: int | None) -> str:
    """A percent in the reader's locale; "—" when there is none (nothing was sent)."""
    if value is None:
        return say("digest.no_percent")
    return format_percent(value / 100, locale=current().locale)


def _date(digest: DayDigest) -> str:
    return format_date(digest.day, "full", locale=current().locale)


def _clock(at: float) -> str:
    texts = current()
    moment = datetime.fromtimestamp(at, UTC)
    return format_time(moment, "short", tzinfo=ZoneInfo(texts.zone), locale=texts.locale)


def _totals(totals: Counts) -> list[str]:
    number = current().number
    return [
        say(
            "digest.totals",
            sent=number(totals.sent),
            delivered=number(totals.delivered),
            delivered_pct=pct(totals.delivered_pct),
            read=number(totals.read),
            read_pct=pct(totals.read_pct),
        ),
        say("digest.problems", failures=number(totals.failures), unknowns=number(totals.unknowns)),
    ]


def _row(who: str, counts: Counts) -> str:
    number = current().number
    line = say(
        "digest.row",
        who=who,
        sent=number(counts.sent),
        delivered=number(counts.delivered),
        delivered_pct=pct(counts.delivered_pct),
        read=number(counts.read),
        read_pct=pct(counts.read_pct),
    )
    if counts.problems:
        line += say(
            "digest.row_problems",
            failures=number(counts.failures),
            unknowns=number(counts.unknowns),
        )
    return line


def _mass_row(mass: MassOfDay, labels: Labels) -> str:
    number = current().number
    return say(
        "digest.mass_row",
        id=mass.id,
        requester=f"<@{mass.requester}>",
        platform=label(mass.ref, labels),
        state=say(f"mass.state.{mass.state}"),
        sent=number(mass.sent),
        total=number(mass.total),
        failed=number(mass.failed),
        unknown=number(mass.unknown),
        delivered=number(mass.delivered),
        delivered_pct=pct(mass.delivered_pct),
        read=number(mass.read),
        read_pct=pct(mass.read_pct),
    )


def _new_contacts(contacts: NewContacts, labels: Labels) -> str:
    number = current().number
    line = say("digest.new_contacts", count=number(contacts.total), taken=number(contacts.taken))
    parts = [
        say("digest.new_contacts_on", platform=_platform_text(raw, labels), count=number(n))
        for raw, n in contacts.by_platform
    ]
    if parts:
        line += "\n" + " · ".join(_cut(parts, CONTACT_PLATFORMS_SHOWN))
    return line


def _platform_text(raw: str, labels: Labels) -> str:
    """A platform as new_contacts stores it (`1:59899000001`), in people's words."""
    try:
        return label(PlatformRef.parse(raw), labels)
    except ValueError:
        return shorten(labels.get(raw, raw), 100)


def _cut(lines: Sequence[str], shown: int) -> list[str]:
    """The first `shown` lines, and how many more there are."""
    if len(lines) <= shown:
        return list(lines)
    more = say("digest.more", count=current().number(len(lines) - shown))
    return [*lines[:shown], more]


def _notification(digest: DayDigest) -> str:
    totals = digest.totals
    return say(
        "digest.notification",
        date=_date(digest),
        sent=current().number(totals.sent),
        delivered_pct=pct(totals.delivered_pct),
        read_pct=pct(totals.read_pct),
    )
