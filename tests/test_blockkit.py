"""Every Block Kit payload the app builds, checked as Slack checks it, over generated inputs.

slack_sdk's own model classes validate each payload (check_blocks and check_view of
tests/listeners/harness.py); on top of them come the limits slack_sdk does not check: 50 blocks,
a message's total block text (Slack answers `msg_blocks_too_long` around 13k characters), button
values as Slack counts them, and entities (`&amp;`) and characters (emoji, accents) never cut in
half. Texts are at each channel's limit (bot/heynow/channels.py), names 2,000 characters long.
Every test runs in both languages: Spanish texts are longer, and must fit as well.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Outcome, Reply, SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, PlatformRef
from bot.heynow.channels import Channel
from bot.i18n import LANGUAGES, Texts, plural, say, speaking
from bot.services.lookups import AGENDA_PAGE_SIZE, AgendaPage, StatusAnswer
from bot.slack import forms, render
from handlers.actions import agenda_state
from tests.history_fakes import history_of
from tests.listeners.harness import check_blocks, check_view
from tests.test_render import MESSAGE

# Modest example counts keep the whole suite fast (each test runs once per language, so 25
# each is 50 a test); database=None leaves no .hypothesis/ behind.
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(EXAMPLES, max_examples=10)

MESSAGE_TEXT_LIMIT = 12_000  # well under the ~13k where Slack answers msg_blocks_too_long
SECTION_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000
ALT_TEXT_LIMIT = 2000
IMAGE_URL_LIMIT = 3000
WHATSAPP, MESSENGER, TWITTER = (
    Channel.WHATSAPP.text_limit,
    Channel.MESSENGER.text_limit,
    Channel.TWITTER.text_limit,
)

ZONES = {"es": "America/Montevideo", "en": "America/New_York"}


@pytest.fixture(autouse=True, params=LANGUAGES)
def language(request: pytest.FixtureRequest, english: None) -> Iterator[str]:
    """Each test once in each language (and a reader's zone of it), after conftest's English."""
    with speaking(Texts.of(request.param, ZONES[request.param])):
        yield request.param


# -- inputs -------------------------------------------------------------------------------------

ZWJ = "\u200d"
PIECES = [
    "Hola",
    " ",
    "  ",
    "señor Núñez",
    "Ñandú",
    "ação",
    "e\u0301",  # e + combining acute: one character on screen
    "&",
    "<",
    ">",
    "&amp;",
    "<!channel>",
    "<!here>",
    "<@U0123>",
    "<#C0123|general>",
    "😀",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "🇺🇾",
    "❤️",
    "中文",
    "*bold*",
    "`code`",
    "> quoted",
    "https://example.com/a?b=1&c=2",
    "\n",
    "\n\n",
    "\t",
    "x" * 700,  # a long run without spaces
]


@st.composite
def text_of(draw: Any, size: int) -> str:
    """A text of exactly `size` characters built from PIECES, as a person could type it
    (trimmed, as Inputs.send_request trims it; whole emoji only)."""
    chosen = draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12))
    out, length, turn = ["a"], 1, 0
    while True:
        piece = chosen[turn % len(chosen)]
        turn += 1
        if length + len(piece) > size - 1:
            break
        out.append(piece)
        length += len(piece)
    out.append("a" * (size - length))
    return "".join(out)


def texts_up_to(size: int) -> st.SearchStrategy[str]:
    return st.integers(1, size).flatmap(text_of)


names = st.one_of(
    st.none(),
    texts_up_to(40),
    text_of(2000),
    st.just("&" * 2000),
    st.just("😀" * 2000),
)
any_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300)
platform_ids = st.from_regex(r"[A-Za-z0-9_.\-]{1,64}", fullmatch=True)
refs = st.builds(PlatformRef, st.sampled_from(list(Channel)), platform_ids)
moments = st.one_of(st.none(), st.floats(1_500_000_000, 2_000_000_000))


@st.composite
def messages(draw: Any, text: st.SearchStrategy[str] | None = None) -> Message:
    channel = draw(st.sampled_from([Channel.WHATSAPP, Channel.MESSENGER, Channel.TWITTER]))
    return replace(
        MESSAGE,
        channel_id=int(channel),
        client_name=draw(names),
        text=draw(text if text is not None else texts_up_to(channel.text_limit)),
        send_state=draw(st.sampled_from(list(SendState))),
        status=draw(st.sampled_from(list(Status))),
        outcome=draw(st.one_of(st.none(), st.sampled_from(list(Outcome)))),
        id_message_hey=draw(st.one_of(st.none(), st.from_regex(r"[a-f0-9]{1,40}", fullmatch=True))),
        ru_at=draw(moments),
        lu_at=draw(moments),
    )


# -- what Slack would refuse or show badly -----------------------------------------------------


def slack_len(text: str) -> int:
    """Characters as Slack may count them: UTF-16 units (an emoji counts twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def texts(payload: Any) -> list[str]:
    """Every text of a payload (sections, context elements, buttons)."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(texts(value))
    elif isinstance(payload, list):
        for value in payload:
            found.extend(texts(value))
    return found


SAFE_MARKUP = re.compile(r"&(?:amp|lt|gt);|<@U[A-Z0-9]+>|<#C[A-Z0-9]+>")


def assert_no_broken_markup(text: str) -> None:
    """Only whole entities and the app's own control sequences: no cut `&am`, no `<!channel>`."""
    rest = SAFE_MARKUP.sub("", text)
    for bad in ("&", "<"):
        at = rest.find(bad)
        assert at < 0, f"a bare {bad!r} (or a cut entity) near {rest[max(0, at - 20) : at + 20]!r}"
    assert ">" not in re.sub(r"(?m)^> ", "", rest), f"a bare '>' in {text[:200]!r}"
    assert "\u200d…" not in text, "an emoji cut after its joiner"


def assert_message(blocks: list[dict[str, Any]]) -> None:
    """A message's blocks as Slack takes them, and as a person should see them."""
    check_blocks(blocks)  # slack_sdk's models, with 50 blocks at most
    shown = texts(blocks)
    total = sum(slack_len(t) for t in shown)
    assert total <= MESSAGE_TEXT_LIMIT, f"{total} characters of block text"
    for block in blocks:
        if block["type"] == "section":
            assert slack_len(block["text"]["text"]) <= SECTION_LIMIT
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "image":
                assert slack_len(accessory["alt_text"]) <= ALT_TEXT_LIMIT
                assert len(accessory["image_url"]) <= IMAGE_URL_LIMIT
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button" and "value" in element:
                assert len(element["value"].encode()) <= BUTTON_VALUE_LIMIT
    for text in shown:
        assert_no_broken_markup(text)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


EXTENDING = {ZWJ, "\ufe0e", "\ufe0f"}


def _extends(char: str) -> bool:
    return (
        char in EXTENDING
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # tag characters (subdivision flags)
    )


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def is_boundary(text: str, at: int) -> bool:
    """Whether cutting `text` at `at` leaves every character on screen whole."""
    if at <= 0 or at >= len(text):
        return True
    if _extends(text[at]) or text[at - 1] == ZWJ:
        return False
    if _regional(text[at]):
        run = 0
        while at - run - 1 >= 0 and _regional(text[at - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def left_out_said(note: str) -> int | None:
    """How many characters a tracking post's note says it leaves out (`post.not_shown`), in
    the language spoken; None for another note."""
    if note == ":scissors: " + say("post.not_shown_one"):
        return 1
    pattern = re.escape(":scissors: " + say("post.not_shown_other", count="\0"))
    found = re.fullmatch(pattern.replace("\0", r"([\d.,\u00a0\u202f]+)"), note)
    return int(re.sub(r"\D", "", found.group(1))) if found else None


def head_start(message: Message) -> str:
    """How a tracking post's head begins: the sender, then the words before the recipient."""
    head = say("post.head", sender=f"<@{message.slack_user}>", recipient="\0", platform="")
    return head.split("\0")[0]


def shown_text(message: Message, blocks: list[dict[str, Any]]) -> tuple[str, list[int], int]:
    """What a tracking post quotes of the message, its block boundaries (as positions in the
    text) and how many characters it says it leaves out."""
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    # The head ends where the quote begins: a `>` of the name or text is sent as `&gt;`.
    quote_at = sections[0].find("\n> ")
    head = sections[0] if quote_at < 0 else sections[0][:quote_at]
    assert head.startswith(head_start(message)), head[:200]
    first = sections[0][len(head) :]
    parts = []
    for number, text in enumerate([first, *sections[1:]]):
        if number == 0:
            if not text:
                continue  # the head alone in the first section
            assert text.startswith("\n")
            text = text[1:]
        lines = text.split("\n")
        assert all(line.startswith("> ") for line in lines), f"a line not quoted in {text[:300]!r}"
        parts.append(unescape("\n".join(line[2:] for line in lines)))
    notes = [
        count
        for b in blocks
        if b["type"] == "context"
        for count in [left_out_said(b["elements"][0]["text"])]
        if count is not None
    ]
    assert len(notes) <= 1
    left_out = notes[0] if notes else 0
    whole = "\n".join(message.text.splitlines())
    if left_out:
        assert parts and parts[-1].endswith("…"), "a cut quote must end with …"
        parts[-1] = parts[-1][:-1]
    # Put the parts back together: each one goes on where the last stopped, or on the next line.
    at, boundaries = 0, []
    for part in parts:
        # After an earlier part (even an empty first line), the text may go on at a new line.
        if boundaries and whole.startswith("\n" + part, at):
            at += 1
        assert whole.startswith(part, at), f"block {len(boundaries)} does not go on at {at}"
        boundaries.append(at)
        at += len(part)
    return whole[:at], boundaries[1:] + [at], left_out


def whole_cost(text: str) -> int:
    """Block text the whole quote needs: escaped, each line behind `> `."""
    return slack_len(render.escape(text)) + 3 * len(text.splitlines())


# -- the channel post and its thread ------------------------------------------------------------


@EXAMPLES
@given(messages())
def test_tracking_posts_show_the_whole_text_or_say_what_they_leave_out(message):
    text, blocks = render.tracking_message(message)
    assert_message(blocks)
    assert 0 < slack_len(text) <= 4000, "a notification text is short (Slack cuts at 40,000)"
    shown, boundaries, left_out = shown_text(message, blocks)
    whole = "\n".join(message.text.splitlines())
    assert len(shown) + left_out == len(whole), "the note must count what is left out"
    for at in boundaries:
        assert is_boundary(whole, at), (
            f"a character cut in half at {at}: {whole[at - 3 : at + 3]!r}"
        )
    if whole_cost(message.text) <= 9_000 and len(recipient_name(message)) <= 200:
        assert left_out == 0, "a text that fits must be shown whole"
    assert blocks[-1]["type"] == "context" and render.status_line(message) in texts(blocks[-1])[0]


def recipient_name(message: Message) -> str:
    return render.escape(message.client_name or "")


@EXAMPLES
@given(messages(text=st.sampled_from([WHATSAPP, MESSENGER, TWITTER]).flatmap(text_of)))
def test_texts_at_each_channels_limit(message):
    _, blocks = render.tracking_message(message)
    assert_message(blocks)
    shown, boundaries, left_out = shown_text(message, blocks)
    for at in boundaries:
        assert is_boundary(message.text, at)
    if whole_cost(message.text) <= 9_000 and len(recipient_name(message)) <= 200:
        assert left_out == 0 and shown == "\n".join(message.text.splitlines())


@EXAMPLES
@given(messages(text=any_text))
def test_any_characters_are_quoted_whole(message):
    _, blocks = render.tracking_message(message)
    assert_message(blocks)
    shown, _, left_out = shown_text(message, blocks)
    assert left_out == 0 and shown == "\n".join(message.text.splitlines())


@EXAMPLES
@given(st.sampled_from(list(Reply)), messages(text=st.just("hi")))
def test_thread_updates_for_every_reply(kind, message):
    text = render.thread_update(kind, message)
    check_blocks([render.section(text)])
    assert 0 < slack_len(text) <= SECTION_LIMIT, "a thread reply is one short paragraph"
    assert_no_broken_markup(text)


# -- answers to the one who asked ---------------------------------------------------------------


@EXAMPLES
@given(st.lists(messages(text=texts_up_to(300)), max_size=20), st.booleans())
def test_history(sent, everyone):
    sent = [replace(message, id=number) for number, message in enumerate(sent, 1)]
    blocks = history_of(sent, **({"sender": None} if everyone else {}))
    assert_message(blocks)
    shown = " ".join(texts(blocks))
    assert all(f"`#{message.id}`" in shown for message in sent[:5])


@EXAMPLES
@given(
    st.sampled_from(list(Status)),
    refs,
    st.one_of(texts_up_to(60), text_of(3000)),
    st.one_of(st.none(), messages(text=st.just("hi"))),
)
def test_status_report(status, ref, typed_id, message):
    blocks = render.status_report(StatusAnswer(status, ref, typed_id, message))
    assert_message(blocks)
    words = render.status_line(message) if message else render.status_words(status, ref.channel)
    assert words in blocks[0]["text"]["text"], "a long name or id leaves room for the status"


pictures = st.one_of(
    st.none(),
    st.just("http://example.com/plain.png"),
    st.integers(0, 3100).map(lambda n: "https://example.com/p/" + "a" * n + ".png"),
    st.integers(0, 1000).map(lambda n: "https://example.com/ñ/" + "é" * n),
)


@EXAMPLES
@given(
    st.builds(
        Contact,
        client_id=st.one_of(st.from_regex(r"[0-9]{6,15}", fullmatch=True), texts_up_to(80)),
        name=names,
        phones=st.lists(st.from_regex(r"\+?[0-9]{6,15}", fullmatch=True), max_size=5).map(tuple),
        locale=st.one_of(st.none(), texts_up_to(30)),
        timezone=st.one_of(st.none(), texts_up_to(300)),
        gender=st.one_of(st.none(), texts_up_to(20)),
        profile_pic=pictures,
    ),
    refs,
)
def test_contact_cards(contact, ref):
    blocks = render.contact_card(contact, ref)
    assert_message(blocks)
    image = blocks[0].get("accessory")
    pic = contact.profile_pic or ""
    assert bool(image) == (pic.startswith("https://") and len(pic) <= IMAGE_URL_LIMIT)
    name = render.escape(contact.name or say("card.no_name"))
    card = "\n".join(t for b in blocks[:-1] for t in texts(b))
    if slack_len(name) <= 2000:
        assert f"*{name}*" in card, "a name that fits is shown whole"
    client_id = f"*\n*{say('card.client_id')}:* `"
    assert card.startswith(":bust_in_silhouette: *") and client_id in card, "bold closed"
    for label, value in (
        (say("card.phones"), contact.phones),
        (say("card.locale"), contact.locale),
        (say("card.timezone"), contact.timezone),
        (say("card.gender"), contact.gender),
    ):
        assert (f"\n*{label}:* " in card) == bool(value), f"{label} is shown where there is one"


def fits_a_button(query: str) -> bool:
    return len(json.dumps(query, ensure_ascii=False).encode()) <= 1_800


@EXAMPLES
@given(
    st.lists(
        st.builds(Contact, client_id=st.from_regex(r"[0-9]{6,15}", fullmatch=True), name=names),
        min_size=1,
        max_size=AGENDA_PAGE_SIZE,
    ),
    refs,
    st.one_of(st.just(""), texts_up_to(40), text_of(700), st.just("😀" * 1000)),
    st.integers(1, 5),
    st.integers(0, 4),
)
def test_agenda_pages_and_their_buttons(contacts, ref, query, page, more):
    assert_agenda_page(contacts, ref, query, page, page + more)


def assert_agenda_page(
    contacts: list[Contact], ref: PlatformRef, query: str, page: int, pages: int
) -> None:
    found = AgendaPage(contacts, ref, query, page, pages, pages * AGENDA_PAGE_SIZE)
    blocks = render.agenda_page(found)
    assert_message(blocks)
    listed = " ".join(texts(blocks))
    assert all(f"`{c.client_id}`" in listed for c in contacts), "every contact is listed"
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == (["agenda_page_prev"] if page > 1 else []) + (
        ["agenda_page_next"] if page < pages else []
    )
    for button in buttons:
        state = agenda_state(button["value"])
        assert state is not None, "the action handler must read back what the button holds"
        turned_ref, kept, to = state
        step = 1 if button["action_id"] == "agenda_page_next" else -1
        assert turned_ref == str(ref) and to == page + step
        assert query.startswith(kept) and is_boundary(query, len(kept))
        if fits_a_button(query):
            assert kept == query, "a query that fits is kept whole"
        # fits_a_button leaves room to spare, so a longer query may still be kept whole: the note
        # goes with what was cut, not with that margin.
        note = plural("agenda.buttons_cut", len(kept))
        if kept == query:
            assert note not in listed, "a query kept whole is not said to be cut"
            continue
        assert note in listed, "say they search for less"
        after = next(at for at in range(len(kept) + 1, len(query) + 1) if is_boundary(query, at))
        more_bytes = len(json.dumps(query[:after], ensure_ascii=False).encode()) - len(
            json.dumps(kept, ensure_ascii=False).encode()
        )
        assert len(button["value"].encode()) + more_bytes > BUTTON_VALUE_LIMIT, "cut no shorter"


def test_a_query_that_fits_the_buttons_whole_is_not_said_to_be_cut():
    """Found by hypothesis: 1,920 bytes of query, more than `fits_a_button` promises to keep
    whole, yet within what a button holds: kept whole, and no note says otherwise."""
    query = "a " + "👍🏽\n " * 174 + "aa"
    assert len(query) == 700 and not fits_a_button(query)
    ref = PlatformRef(Channel.WHATSAPP, "0")
    assert_agenda_page([Contact(client_id="000000", name=None)], ref, query, 1, 2)


@FEW
@given(
    refs,
    st.one_of(st.just(""), texts_up_to(40), text_of(2000)),
)
def test_empty_agendas(ref, query):
    assert_message(render.agenda_page(AgendaPage([], ref, query, 1, 1, 0)))


@EXAMPLES
@given(st.one_of(texts_up_to(100), text_of(3000), text_of(5000)))
def test_errors(typed):
    # As explain() builds them: the app's words around escaped user input.
    text = f"`{render.escape(typed)}` is not a valid phone number: write it with its country code"
    blocks = render.error(text)
    assert_message(blocks)
    assert render.plain(blocks) and len(render.plain(blocks)) <= 300
    assert_no_broken_markup(render.plain(blocks))


# -- the help and the form ----------------------------------------------------------------------


@FEW
@given(st.one_of(st.none(), refs))
def test_help(default):
    blocks = forms.help_blocks(default)
    assert_message(blocks)
    if default:
        assert f"`{default}`" in " ".join(texts(blocks))


@FEW
@given(st.one_of(st.none(), refs), st.from_regex(r"[CDGU][A-Z0-9]{8,20}", fullmatch=True))
def test_send_form(default, channel):
    view = forms.send_form(default, channel)
    check_view(view)
    assert json.loads(view["private_metadata"]) == {"channel": channel}
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["platform"].get("initial_value") == (str(default) if default else None)
    assert inputs["text"]["max_length"] <= 3000


def test_an_empty_first_line_then_a_line_in_the_next_section_is_quoted_whole():
    """Found by hypothesis: a head so long that only the empty first line fits under it."""
    message = replace(MESSAGE, client_name="n" * 2_925, text="\n0", validate=1)
    _, blocks = render.tracking_message(message)
    shown, _, left_out = shown_text(message, blocks)
    assert left_out == 0 and shown == "\n0"
