"""What the app shows in Slack: texts and Block Kit payloads, built in one place.

Everything that came from a person or from Hey Now goes through `escape` first, so a contact
named `<!channel>` pings nobody (Slack: `&`, `<`, `>` must be sent as entities).

Every payload stays within Slack's limits whatever it holds: texts are cut or spread over several
blocks, never inside an entity (`&amp;`), a mention or a character (an emoji with its skin tone, a
letter with its accent). Lengths are counted as Slack may count them (`slack_len`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.domain import Outcome, Reply, SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, PlatformRef
from bot.heynow.channels import Channel, platform_of
from bot.i18n import current, plural, say
from bot.services.lookups import AgendaPage, StatusAnswer

Block = dict[str, Any]

SECTION_LIMIT = 3000  # a section's text, and a context element's
# All the text of one message's blocks: Slack answers msg_blocks_too_long somewhere near 12-13k
# characters in total (the limit is not documented: bolt-js #2509, #2867), so stay well under.
MESSAGE_TEXT_BUDGET = 11_000
BUTTON_VALUE_LIMIT = 2000
ALT_TEXT_LIMIT = 2000
IMAGE_URL_LIMIT = 3000
NAME_LIMIT = 200  # a name or an id in a one-line summary: history, status, thread replies, lists
DETAIL_LIMIT = 500  # each detail of a contact card
NOTE_ROOM = 200  # of a post's budget, kept for the note that says how much of its text is not shown

STATUS_EMOJI = {
    Status.UNKNOWN: ":hourglass_flowing_sand:",
    Status.ONE_TICK: ":heavy_check_mark:",
    Status.DELIVERED: ":heavy_check_mark::heavy_check_mark:",
    Status.READ: ":ballot_box_with_check::ballot_box_with_check:",
}
SEND_STATE_EMOJI = {
    SendState.QUEUED: ":outbox_tray:",
    SendState.SENDING: ":outbox_tray:",
    SendState.REJECTED: ":x:",
    SendState.UNKNOWN: ":grey_question:",
    SendState.EXPIRED: ":x:",
}
# The words of each status and send state are catalogue keys: `status.<code>.<channel>` (each
# channel says it its own way: only WhatsApp has ticks), `send_state.<state>`, `outcome.<end>`.
STATUS_KEYS = {
    Status.UNKNOWN: "unknown",
    Status.ONE_TICK: "one_tick",
    Status.DELIVERED: "delivered",
    Status.READ: "read",
}
OUTCOMES_SHOWN = (Outcome.STUCK, Outcome.LOST, Outcome.UNTRACKED)


def channel_kind(channel: Channel) -> str:
    """The part of a key that says which channel's words it holds: `whatsapp`, `messenger`..."""
    return channel.name.lower()


def status_words(status: Status, channel: Channel) -> str:
    """A Hey Now status in the words of the channel: ticks on WhatsApp, none elsewhere."""
    return say(f"status.{STATUS_KEYS[status]}.{channel_kind(channel)}")


def send_state_words(state: SendState) -> str:
    """Where a send that has no Hey Now status yet (or never will) is."""
    return say(f"send_state.{state.value}")


def outcome_words(outcome: Outcome | None) -> str:
    """What the status line adds when the following ended without a reading, or nothing."""
    return f" · {say(f'outcome.{outcome.value}')}" if outcome in OUTCOMES_SHOWN else ""


def escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}]}


def slack_len(text: str) -> int:
    """Characters as Slack may count them: UTF-16 units, so an emoji counts twice. A text within
    a limit by this count is within it by a count of code points too."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# An entity or a control sequence (`<@U123>`, `<#C123|general>`) in mrkdwn the app built.
_MARKUP = re.compile(r"(&(?:amp|lt|gt);|<[^<>\n]*>)")
_ZWJ = "\u200d"


def _units(text: str, *, markup: bool = False) -> list[str]:
    """`text` in the pieces no cut may split: characters as a person sees them (an emoji with its
    skin tone or its joined family, a flag, a letter with its accents), close to Unicode's
    grapheme clusters; with `markup`, entities and control sequences too."""
    found: list[str] = []
    for number, piece in enumerate(_MARKUP.split(text) if markup else [text]):
        if number % 2:
            found.append(piece)
            continue
        for char in piece:
            if found and _joins(found[-1], char):
                found[-1] += char
            else:
                found.append(char)
    return found


def _joins(before: str, char: str) -> bool:
    if before.endswith(_ZWJ) or _extends(char):
        return True
    return _regional(char) and len(before) == 1 and _regional(before)  # a flag is a pair


def _extends(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")  # accents, keycaps, vowel signs
        or char == _ZWJ
        or "\ufe00" <= char <= "\ufe0f"  # variation selectors: ❤️
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # tags of subdivision flags
        or "\U000e0100" <= char <= "\U000e01ef"
        or "\u1160" <= char <= "\u11ff"  # Hangul vowels and finals of a decomposed syllable
    )


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _fit(pieces: list[str], limit: int) -> str:
    """The pieces that fit in `limit` characters with a final `…`."""
    kept, used = [], 1
    for piece in pieces:
        used += slack_len(piece)
        if used > limit:
            break
        kept.append(piece)
    return "".join(kept) + "…"


def _cut(text: str, limit: int) -> str:
    """mrkdwn the app built, cut to `limit` characters (with …) between whole pieces."""
    return text if slack_len(text) <= limit else _fit(_units(text, markup=True), limit)


def shorten(raw: object, limit: int) -> str:
    """A person's or Hey Now's text escaped, and cut (with …) to `limit` characters."""
    text = escape(raw)
    if slack_len(text) <= limit:
        return text
    return _fit([escape(unit) for unit in _units(str(raw))], limit)


def sections(lines: list[str]) -> list[Block]:
    """Lines of mrkdwn in as few sections as they fit, each line whole where it fits one."""
    texts: list[str] = []
    for line in (_cut(line, SECTION_LIMIT) for line in lines):
        if texts and slack_len(texts[-1]) + 1 + slack_len(line) <= SECTION_LIMIT:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return [section(text) for text in texts]


def status_line(message: Message) -> str:
    """The message's state in plain words with its tick emoji."""
    return f"{status_emoji(message)} {_status_words(message)}" + outcome_words(message.outcome)


def status_emoji(message: Message) -> str:
    if message.send_state is not SendState.SENT:
        return SEND_STATE_EMOJI[message.send_state]
    return STATUS_EMOJI[message.status]


def _status_words(message: Message) -> str:
    if message.send_state is not SendState.SENT:
        return send_state_words(message.send_state)
    return status_words(message.status, platform_of(message).channel)


def recipient(message: Message, limit: int | None = None) -> str:
    """The client's name (cut to `limit`, if given) and id, or their id alone."""
    client = escape(message.client_id) if limit is None else shorten(message.client_id, limit)
    if not message.client_name:
        return f"*{client}*"
    name = escape(message.client_name) if limit is None else shorten(message.client_name, limit)
    return f"*{name}* ({client})"


def platform_label(message: Message) -> str:
    return escape(platform_of(message).label)


def reference(message: Message) -> str:
    hey = f" · idMessageHey `{escape(message.id_message_hey)}`" if message.id_message_hey else ""
    return f"#{message.id}{hey}"


def tracking_message(message: Message) -> tuple[str, list[Block]]:
    """The visible channel post of a send; its status line is updated as the status moves."""
    head = say(
        "post.head",
        sender=f"<@{message.slack_user}>",
        recipient=recipient(message),
        platform=platform_label(message),
    )
    if not message.validate:  # in the head, which is never cut away by a long text
        head += "\n:information_source: " + say("post.not_validated")
    status = context(f"{status_line(message)} · {reference(message)}")
    shown_head = _cut(head, SECTION_LIMIT)
    room = SECTION_LIMIT - slack_len(shown_head) - 1
    budget = MESSAGE_TEXT_BUDGET - slack_len(shown_head) - _text_len(status) - NOTE_ROOM
    quoted, left_out = _quote(message.text, room, budget)
    # The quote begins under the head, or (no room left there) in a section of its own.
    first = f"{shown_head}\n{quoted[0]}" if quoted[0] else shown_head
    blocks = [section(text) for text in (first, *quoted[1:])]
    blocks[0]["accessory"] = follow_up_button(message.id)
    if left_out:
        blocks.append(context(_not_shown(left_out)))
    blocks.append(status)
    who = shorten(message.client_name or message.client_id, NAME_LIMIT)
    return say("post.notification", who=who, status=status_line(message)), blocks


def follow_up_button(message_id: int) -> Block:
    """Beside a channel post: the send form for the same client and platform."""
    return {
        "type": "button",
        "action_id": "follow_up",
        "text": {"type": "plain_text", "text": say("post.follow_up")},
        "value": json.dumps({"message": message_id}),
    }


def _not_shown(left_out: int) -> str:
    return ":scissors: " + plural("post.not_shown", left_out)


def _text_len(block: Block) -> int:
    return sum(slack_len(e["text"]) for e in block.get("elements", ()))


def _quote(text: str, first: int, budget: int) -> tuple[list[str], int]:
    """`text` escaped and quoted line by line (`> `), spread over section texts: the first holds
    at most `first` characters (it may stay empty), the others SECTION_LIMIT, all of them
    together `budget`.

    A line stays whole in one section when it fits one; a longer line goes on in the next
    section, quoted again, between words where it can. Returns the texts and how many characters
    of the text (as `splitlines` leaves it) did not fit; then the last text ends with `…`.
    """
    lines = text.splitlines() or [""]
    quoter = _Quoter(first, budget)
    for number, line in enumerate(lines):
        words = _words(line)
        if not quoter.line(1 if number else 0, 2 + sum(cost for _, _, cost in words)):
            break
        if not all(quoter.word(*word) for word in words):
            break
    return quoter.texts(len("\n".join(lines)))


@dataclass
class _Line:
    text: str
    newline: int  # 1 if it begins a line of the text (after its line break), 0 if it goes on
    cost: int  # what opening it took: `> `, and the `\n` before it in the same section


class _Quoter:
    """Fills _quote()'s sections; each keeps one character free for a final `…`, and so does
    the budget."""

    def __init__(self, first: int, budget: int) -> None:
        self.sections: list[list[_Line]] = [[]]
        self.room, self.size, self.used, self.shown, self.budget = first - 1, 0, 0, 0, budget

    def _fits(self, cost: int) -> bool:
        return self.size + cost <= self.room

    def _affords(self, cost: int) -> bool:
        return self.used + cost + 1 <= self.budget

    def _next_section(self) -> None:
        if self.sections[-1] or len(self.sections) == 1:
            self.sections.append([])
        self.room, self.size = SECTION_LIMIT - 1, 0

    def _open(self, newline: int) -> bool:
        cost = 3 if self.sections[-1] else 2
        if not self._fits(cost):
            self._next_section()
            cost = 2
        if not self._affords(cost):
            return False
        self.sections[-1].append(_Line("", newline, cost))
        self.size, self.used, self.shown = self.size + cost, self.used + cost, self.shown + newline
        return True

    def _put(self, piece: str, cost: int, chars: int) -> bool:
        if not self._affords(cost):
            return False
        self.sections[-1][-1].text += piece
        self.size, self.used, self.shown = self.size + cost, self.used + cost, self.shown + chars
        return True

    def _go_on_in_next_section(self) -> bool:
        line = self.sections[-1].pop()
        if line.text:  # the line goes on, quoted again
            self.sections[-1].append(line)
            self._next_section()
            return self._open(0)
        # Nothing of it here yet: open it in the next section instead.
        self.size, self.used, self.shown = (
            self.size - line.cost,
            self.used - line.cost,
            self.shown - line.newline,
        )
        self._next_section()
        return self._open(line.newline)

    def line(self, newline: int, cost: int) -> bool:
        """Open a line of the text that takes `cost` characters quoted."""
        opening = 1 if self.sections[-1] else 0
        if not self._fits(opening + cost) and cost <= SECTION_LIMIT - 1:
            self._next_section()  # it fits a section of its own: keep it whole
        return self._open(newline)

    def word(self, raw: list[str], shown: str, cost: int) -> bool:
        """Add a word (its units, with the spaces after it; escaped; its cost) to the open line."""
        fits_a_section = cost + 2 <= SECTION_LIMIT - 1
        if not self._fits(cost) and fits_a_section and not self._go_on_in_next_section():
            return False  # it would fit a section of its own: it moves there whole, if it may
        if self._fits(cost) and self._put(shown, cost, sum(len(unit) for unit in raw)):
            return True
        for unit in raw:  # too long for a section, or for what is left of the budget
            piece = escape(unit)
            if not self._fits(slack_len(piece)) and not self._go_on_in_next_section():
                return False
            if not self._put(piece, slack_len(piece), len(unit)):
                return False
        return True

    def texts(self, whole: int) -> tuple[list[str], int]:
        sections = self.sections
        while len(sections) > 1 and not sections[-1]:
            sections.pop()
        left_out = whole - self.shown
        if left_out:  # end with … right after the last character shown
            while sections[-1] and not sections[-1][-1].text:
                left_out += sections[-1].pop().newline
                if not sections[-1] and len(sections) > 1:
                    sections.pop()
            if not sections[-1]:
                sections[-1].append(_Line("", 0, 0))
            sections[-1][-1].text += "…"
        return ["\n".join("> " + line.text for line in lines) for lines in sections], left_out


def _words(line: str) -> list[tuple[list[str], str, int]]:
    """A line as words, each with the spaces after it: its units, escaped, and its cost."""
    found: list[list[str]] = []
    for unit in _units(line):
        if found and (unit.isspace() or not found[-1][-1].isspace()):
            found[-1].append(unit)
        else:
            found.append([unit])
    escaped = [escape("".join(word)) for word in found]
    return [(word, shown, slack_len(shown)) for word, shown in zip(found, escaped, strict=True)]


def thread_update(kind: Reply, message: Message) -> str:
    """The thread reply owed for a reply kind, in the words of the message's channel."""
    who = shorten(message.client_name or message.client_id, NAME_LIMIT)
    channel = channel_kind(platform_of(message).channel)
    if kind is Reply.DELIVERED:
        said = _at(f"reply.delivered.{channel}", message.ru_at, who=who)
        return f":heavy_check_mark::heavy_check_mark: {said}"
    if kind is Reply.READ:
        said = _at(f"reply.read.{channel}", message.lu_at, who=who)
        return f":ballot_box_with_check::ballot_box_with_check: {said}"
    if kind is Reply.STUCK:
        words = status_words(message.status, platform_of(message).channel)
        still = words[:1].lower() + words[1:]  # in the middle of a sentence; keep "WhatsApp"
        return f":warning: {say(f'reply.stuck.{channel}', who=who, status=still)}"
    if kind is Reply.LOST:
        return f":grey_question: {say('reply.lost', who=who)}"
    if message.ru_at:
        return f":information_source: {say(f'reply.gave_up_delivered.{channel}', who=who)}"
    return f":x: {say('reply.gave_up', who=who)}"


def _at(key: str, at: float | None, **params: str) -> str:
    """A reply that says when it happened (`key_at`, the reader's time), or `key` without."""
    if at is None:
        return say(key, **params)
    return say(f"{key}_at", when=current().when(at), **params)


def status_report(answer: StatusAnswer) -> list[Block]:
    message = answer.message
    if message is not None:
        text = say(
            "report.ours",
            recipient=recipient(message, NAME_LIMIT),
            platform=platform_label(message),
            status=status_line(message),
        )
        return [section(text), context(reference(message))]
    emoji, words = STATUS_EMOJI[answer.status], status_words(answer.status, answer.ref.channel)
    where = escape(answer.ref.label)
    typed = shorten(answer.message_id, NAME_LIMIT)
    return [section(say("report.any", id=typed, platform=where, status=f"{emoji} {words}"))]


CARD_DETAILS = ("phones", "locale", "timezone", "gender")  # each labelled `card.<detail>`


def contact_card(contact: Contact, ref: PlatformRef) -> list[Block]:
    """A contact's card: the name whole where it fits a section, every detail cut to
    DETAIL_LIMIT, the picture only where Slack takes its address."""
    name = contact.name or say("card.no_name")
    client = shorten(contact.client_id, DETAIL_LIMIT)
    details = [
        f"*{say('card.client_id')}:* `{client}`",
        f"*{say('card.platform')}:* {escape(ref.label)}",
    ]
    for attr in CARD_DETAILS:
        value = getattr(contact, attr)
        if value:
            shown = shorten(", ".join(value) if isinstance(value, tuple) else value, DETAIL_LIMIT)
            details.append(f"*{say(f'card.{attr}')}:* {shown}")
    title = f":bust_in_silhouette: *{shorten(name, SECTION_LIMIT - 30)}*"
    card = sections([title, *details])
    picture = contact.profile_pic
    if picture and picture.startswith("https://") and slack_len(picture) <= IMAGE_URL_LIMIT:
        alt_text = shorten(name, ALT_TEXT_LIMIT)
        card[0]["accessory"] = {"type": "image", "image_url": picture, "alt_text": alt_text}
    return [*card, context(say("card.in_agenda", ref=str(ref), client=client))]


def agenda_page(found: AgendaPage) -> list[Block]:
    query = shorten(found.query, NAME_LIMIT) if found.query else ""
    where = escape(found.ref.label)
    if found.total == 0:
        if query:
            return [section(say("agenda.empty_matching", platform=where, query=query))]
        return [section(say("agenda.empty", platform=where))]
    lines = [
        f"• *{shorten(c.name or say('card.no_name'), NAME_LIMIT)}* `{shorten(c.client_id, NAME_LIMIT)}`"
        for c in found.contacts
    ]
    ref, button_query = str(found.ref), _button_query(found)
    buttons = []
    if found.page > 1:
        buttons.append(_page_button("prev", ref, button_query, found.page - 1))
    if found.page < found.pages:
        buttons.append(_page_button("next", ref, button_query, found.page + 1))
    number = current().number
    pages = say("agenda.pages", page=number(found.page), pages=number(found.pages), ref=ref)
    if buttons and button_query != found.query:
        pages += " · " + plural("agenda.buttons_cut", len(button_query))
    if query:
        total = plural("agenda.matching", found.total, platform=where, query=query)
    else:
        total = plural("agenda.total", found.total, platform=where)
    blocks = [section(total), *sections(lines), context(pages)]
    if buttons:
        blocks.append({"type": "actions", "block_id": "agenda_pages", "elements": buttons})
    return blocks


def _page_button(direction: str, ref: str, query: str, page: int) -> Block:
    """The button to the previous (`prev`) or the next (`next`) page."""
    return {
        "type": "button",
        "action_id": f"agenda_page_{direction}",
        "text": {"type": "plain_text", "text": say(f"agenda.{direction}")},
        "value": _page_value(ref, query, page),
    }


def _page_value(ref: str, query: str, page: int) -> str:
    """A page button's value, as handlers.actions.agenda_state reads it back. Not ASCII-only:
    json.dumps would make each emoji 12 characters (`\\ud83d\\ude00`)."""
    state = {"ref": ref, "query": query, "page": page}
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def _encoded_len(text: str) -> int:
    """UTF-8 bytes: as much as any count of Slack's can make of a text (an emoji is 4)."""
    return len(text.encode("utf-8", "surrogatepass"))


def _button_query(found: AgendaPage) -> str:
    """The longest start of the query, in whole characters, with which the page buttons'
    values stay within Slack's 2,000 characters, counted as UTF-8 bytes."""
    room = BUTTON_VALUE_LIMIT - _encoded_len(_page_value(str(found.ref), "", found.page + 1))
    kept: list[str] = []
    for unit in _units(found.query):
        room -= _encoded_len(json.dumps(unit, ensure_ascii=False)) - 2  # without its quotes
        if room < 0:
            break
        kept.append(unit)
    return "".join(kept)


def error(text: str) -> list[Block]:
    return [section(f":warning: {text}")]


def plain(body: list[Block]) -> str:
    """The notification text of a blocks answer: its first section."""
    for block in body:
        if block.get("type") == "section":
            return _cut(str(block["text"]["text"]), 300)
    return say("app.name")


def simulated_mark() -> str:
    """The last line of a post of a workspace that uses the built-in Hey Now simulator."""
    return ":test_tube: " + say("simulated.mark")


def simulated(fields: dict[str, Any]) -> dict[str, Any]:
    """A post's fields, marked as coming from the simulator: a last line under what it shows."""
    marked = dict(fields)
    if fields.get("blocks"):
        marked["blocks"] = [*fields["blocks"], context(simulated_mark())]
    else:  # a text-only post (a thread reply): its text, already escaped, then the mark
        marked["blocks"] = [section(str(fields.get("text", ""))), context(simulated_mark())]
    return marked
