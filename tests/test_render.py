from dataclasses import replace

from bot.domain import Outcome, Reply, SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, PlatformRef
from bot.services.lookups import AgendaPage, StatusAnswer
from bot.slack import render as blocks

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
    shown += everything(blocks.history([MESSAGE])) + everything(
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


def test_dates_have_a_readable_fallback():
    assert (
        blocks.slack_date(1700000000, "{time}") == "<!date^1700000000^{time}|2023-11-14 22:13 UTC>"
    )


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
