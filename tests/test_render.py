import re
from dataclasses import replace

from bot.domain import Outcome, Reply, SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, PlatformRef
from bot.services.lookups import AgendaPage, StatusAnswer
from bot.slack import render as blocks
from handlers.actions import agenda_state
from tests.history_fakes import history_of
from tests.listeners.harness import check_blocks

MESSAGE = Message(
    id=7,
    request_key="k",
    team_id="T",
    slack_channel="C",
    slack_user="U1",
    response_url=None,
    posted_channel="C",
    slack_ts="1.2",
    channel_id=1,
    platform_id="59899000001",
    client_id="59891000001",
    client_name="<!here> Bob & Co",
    text="<@U2> hello & bye",
    validate=1,
    id_message_hey="abc",
    send_state=SendState.SENT,
    error=None,
    status=Status.DELIVERED,
    created_at=1700000000.0,
    sent_at=1700000000.0,
    rs_at=None,
    ru_at=1700000100.0,
    lu_at=None,
    checked_at=None,
    next_poll_at=None,
    poll_interval=None,
    poll_failures=0,
    not_found=0,
    outcome=None,
    lease_owner=None,
    lease_expires=None,
    shown_line=None,
)


def everything(payload) -> str:
    return repr(payload)


def test_names_and_texts_are_escaped_everywhere_they_are_shown():
    shown = everything(blocks.tracking_message(MESSAGE)) + blocks.thread_update(
        Reply.DELIVERED, MESSAGE
    )
    shown += everything(history_of([MESSAGE])) + everything(
        blocks.status_report(
            StatusAnswer(Status.DELIVERED, PlatformRef.parse("1:1"), "abc", MESSAGE)
        )
    )
    assert "<!here>" not in shown and "<@U2>" not in shown
    assert "&lt;!here&gt; Bob &amp; Co" in shown and "&lt;@U2&gt; hello &amp; bye" in shown


def test_the_sender_is_mentioned_on_purpose():
    text, _ = blocks.tracking_message(MESSAGE)
    assert "<@U1>" in everything(blocks.tracking_message(MESSAGE)[1])
    assert "Delivered" in text


def test_status_words_follow_the_state():
    assert "Delivered (two ticks" in blocks.status_line(MESSAGE)
    assert "Unknown" in blocks.status_line(replace(MESSAGE, send_state=SendState.UNKNOWN))
    assert "no longer checked" in blocks.status_line(replace(MESSAGE, outcome=Outcome.STUCK))


def test_times_are_the_readers_own():
    reply = blocks.thread_update(Reply.DELIVERED, MESSAGE)  # ru_at: 2023-11-14 22:15 UTC
    assert reply.endswith(
        "Delivered to &lt;!here&gt; Bob &amp; Co (two ticks) on Nov 14, 2023, 10:15\u202fPM."
    )
    assert "<!date" not in everything(history_of([MESSAGE])) + reply
    row = history_of([MESSAGE])[1]["text"]["text"]
    assert row.startswith("`#7` · Nov 14, 2023, 10:13\u202fPM · to ")


def test_agenda_pages_have_buttons_only_where_there_is_somewhere_to_go():
    ref = PlatformRef.parse("1:59899000001")
    contacts = [Contact(client_id=str(n), name=f"C{n}") for n in range(3)]
    first = blocks.agenda_page(AgendaPage(contacts, ref, "q" * 3000, 1, 3, 40))
    buttons = first[-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["agenda_page_next"]
    assert len(buttons[0]["value"]) <= 2000
    middle = blocks.agenda_page(AgendaPage(contacts, ref, "", 2, 3, 40))
    assert [b["action_id"] for b in middle[-1]["elements"]] == [
        "agenda_page_prev",
        "agenda_page_next",
    ]
    only = blocks.agenda_page(AgendaPage(contacts, ref, "", 1, 1, 3))
    assert all(b["type"] != "actions" for b in only)


def test_sections_are_cut_to_slacks_limit():
    assert len(blocks.section("x" * 5000)["text"]["text"]) == 3000


# -- what Slack refused, or showed cut ---------------------------------------------------------

WHATSAPP = PlatformRef.parse("1:59899000001")


def quoted(blocks_: list) -> str:
    """The quote of a tracking post, its `> ` and entities undone, blocks joined."""
    text = "\n".join(b["text"]["text"] for b in blocks_ if b["type"] == "section")
    lines = [line[2:] for line in text.split("\n") if line.startswith("> ")]
    return "\n".join(lines).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def bare_ampersands(text: str) -> int:
    """`&` that begin no whole entity: an entity cut in half shows as `&am…`."""
    return re.sub(r"&(?:amp|lt|gt);", "", text).count("&")


def test_a_whatsapp_message_at_its_limit_is_shown_whole_over_several_sections():
    text = ("Tom & Jerry <3 " * 300)[:4096].strip()
    _, shown = blocks.tracking_message(replace(MESSAGE, text=text))
    sections = [b for b in shown if b["type"] == "section"]
    assert len(sections) >= 2 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert quoted(shown).replace("\n", "") == text
    assert shown[-1]["type"] == "context" and "Delivered" in shown[-1]["elements"][0]["text"]


def test_long_lines_are_split_between_words_and_every_block_quotes():
    words = " ".join(f"w{n}" for n in range(1500))  # one line of 7,889 characters
    _, shown = blocks.tracking_message(replace(MESSAGE, channel_id=3, text=words))
    parts = [b["text"]["text"] for b in shown if b["type"] == "section"]
    assert quoted(shown).replace("\n", "") == words
    for part in parts[1:]:
        assert part.startswith("> w")  # a continuation is quoted too, and starts with a word


def test_a_split_never_falls_inside_an_entity_or_a_character():
    for unit in ("&", "👨\u200d👩\u200d👧", "e\u0301", "🇺🇾", "👍🏽", "❤️"):
        text = unit * (4000 // len(unit))  # one line of 4,000: longer than a section
        _, shown = blocks.tracking_message(replace(MESSAGE, channel_id=3, text=text))
        sections = [b["text"]["text"] for b in shown if b["type"] == "section"]
        assert len(sections) >= 2
        for part in sections:
            body = part.split("\n> ", 1)[-1].removeprefix("> ")  # after the head, if any
            assert body.replace(blocks.escape(unit), "") in ("", "…"), f"{unit!r} cut in two"


def test_a_twitter_message_of_prose_is_shown_whole():
    line = "The order left the store today and arrives tomorrow, before noon. "
    text = "\n".join([line] * 200)[:10_000].strip()
    _, shown = blocks.tracking_message(replace(MESSAGE, channel_id=3, text=text))
    assert quoted(shown) == "\n".join(text.splitlines())
    assert sum(len(t) for t in _texts(shown)) <= 12_000


def test_a_twitter_message_too_long_for_one_post_shows_its_start_and_says_what_is_missing():
    text = "&" * 10_000  # 50,000 characters once escaped: no Slack message holds them
    _, shown = blocks.tracking_message(replace(MESSAGE, channel_id=3, text=text))
    total = sum(len(t) for t in _texts(shown))
    assert total <= 12_000 and len(shown) <= 50
    start = quoted(shown).replace("\n", "")  # the sections, put back together
    assert start.endswith("…") and set(start[:-1]) == {"&"} and len(start) > 1500
    note = shown[-2]["elements"][0]["text"]
    assert f"the last {10_000 - len(start) + 1:,} characters are not shown" in note
    assert "Delivered" in shown[-1]["elements"][0]["text"]  # the status line stays last


def test_cuts_keep_entities_and_mentions_whole():
    assert blocks.section("x" * 2998 + "&amp;")["text"]["text"] == "x" * 2998 + "…"
    assert blocks.section("x" * 2996 + "<@U123>")["text"]["text"] == "x" * 2996 + "…"
    assert blocks.plain([blocks.section("y" * 297 + "&lt;b")]) == "y" * 297 + "…"


def _texts(payload) -> list[str]:
    if isinstance(payload, dict):
        return [
            t
            for k, v in payload.items()
            for t in ([v] if k == "text" and isinstance(v, str) else _texts(v))
        ]
    if isinstance(payload, list):
        return [t for v in payload for t in _texts(v)]
    return []


def test_a_contact_with_a_2000_character_name_and_a_long_picture_gets_a_card_slack_accepts():
    long_pic = "https://example.com/" + "p" * 3000
    for name, pic in (("&" * 2000, "https://example.com/a.png"), ("Ana " * 500, long_pic)):
        card = blocks.contact_card(Contact("59891000001", name, profile_pic=pic), WHATSAPP)
        check_blocks(card)
        shown = card[0]["text"]["text"]
        assert len(shown) <= 3000 and bare_ampersands(shown) == 0
        image = card[0].get("accessory")
        assert (image is None) == (pic is long_pic)
        if image:
            assert len(image["alt_text"]) <= 2000 and image["image_url"] == pic
    whole = blocks.contact_card(Contact("1", "Ana " * 500), WHATSAPP)
    assert f"*{('Ana ' * 500)}*" in whole[0]["text"]["text"]  # 2,000 plain characters fit whole


def test_agenda_buttons_with_an_emoji_query_fit_and_the_handler_reads_them_back():
    query = "Pérez 😀😀😀😀 " * 200  # 2,200 characters, 11,800 once json.dumps escapes them
    page = blocks.agenda_page(AgendaPage([Contact("1", "Ana")], WHATSAPP, query, 2, 3, 40))
    check_blocks(page)
    for button in page[-1]["elements"]:
        assert len(button["value"].encode()) <= 2000
        ref, kept, to = agenda_state(button["value"])
        assert ref == "1:59899000001" and query.startswith(kept) and len(kept) > 200
        assert to == (3 if button["action_id"] == "agenda_page_next" else 1)
    short = blocks.agenda_page(AgendaPage([Contact("1", "Ana")], WHATSAPP, "Pérez 😀", 1, 3, 40))
    assert agenda_state(short[-1]["elements"][0]["value"]) == ("1:59899000001", "Pérez 😀", 2)


def test_an_agenda_page_of_long_names_lists_every_contact():
    contacts = [Contact(f"5989100{n:04}", "Ñandú & Co " * 200) for n in range(15)]
    page = blocks.agenda_page(AgendaPage(contacts, WHATSAPP, "", 1, 2, 20))
    check_blocks(page)
    listed = " ".join(_texts(page))
    assert all(f"`{c.client_id}`" in listed for c in contacts)
    assert sum(len(t) for t in _texts(page)) <= 12_000


def test_summaries_cut_long_names_without_breaking_entities():
    named = replace(MESSAGE, client_name="&" * 2000)
    for kind in Reply:
        text = blocks.thread_update(kind, named)
        assert len(text) <= 3000 and bare_ampersands(text) == 0
    ten = history_of([replace(named, id=n) for n in range(1, 11)])
    assert all(f"`#{n}`" in " ".join(_texts(ten)) for n in range(1, 11))
    for shown in (
        ten,
        blocks.status_report(StatusAnswer(Status.DELIVERED, WHATSAPP, "abc", named)),
    ):
        check_blocks(shown)
        for text in _texts(shown):
            assert bare_ampersands(text) == 0
        assert "WhatsApp 59899000001" in " ".join(_texts(shown))  # the name left room for the rest
