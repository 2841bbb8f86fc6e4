"""status, history, contact and agenda: acked at once, answered through response_url."""

from __future__ import annotations

import json

from bot.domain.records import Message
from bot.heynow import PlatformRef
from bot.slack.explain import oops
from tests.e2e.harness import APP_TEXTS, EVIL_CLIENT, app_says
from tests.listeners.harness import OTHER_TEAM, TWITTER, wait_for

WA = "WhatsApp 59899000001"


def sent(slack, runtime, text: str, client: str = "091000002", **command) -> Message:
    """Send and wait until Hey Now took it; the message as stored."""
    ack = slack.command(f"send {client} {text}", **command)
    assert "Sending to" in ack.text, ack.text

    def taken() -> Message | None:
        rows = runtime.store.messages.recent_for_user(command.get("team", slack.team), slack.user)
        return next((m for m in rows if m.text == text and m.send_state == "sent"), None)

    return wait_for(taken)


def test_status_of_one_of_ours_by_number_and_by_hey_id(slack, runtime):
    message = sent(slack, runtime, "status check")
    for typed in (f"#{message.id}", str(message.id), message.id_message_hey):
        said = slack.answer(f"status {typed}")
        status = app_says("status.unknown.whatsapp")
        recipient = "*Bruno Díaz* (59891000002)"
        assert app_says("report.ours", recipient=recipient, platform=WA, status="") in said
        assert status in said
        assert f"#{message.id} · idMessageHey `{message.id_message_hey}`" in said


def test_status_follows_hey_now(slack, runtime, sim):
    message = sent(slack, runtime, "read me")
    sim.force_status(message.id_message_hey, "LU")
    assert app_says("status.read.whatsapp") in slack.answer(f"status #{message.id}")


def test_status_of_another_teams_number_is_no_message_of_this_app(slack, runtime):
    theirs = sent(slack, runtime, "from elsewhere", team=OTHER_TEAM)
    said = slack.answer(f"status #{theirs.id}")
    assert f"There is no message #{theirs.id} of this app." in said
    assert "Bruno" not in said and "from elsewhere" not in said


def test_status_of_an_unknown_number(slack):
    assert "There is no message #999999 of this app." in slack.answer("status #999999")


def test_status_by_platform_of_any_message(slack, runtime):
    ref = PlatformRef.parse("1:59899000001")
    hey_id = runtime.heynow.send_message(ref, "59891000004", "not from Slack")
    said = slack.answer(f"status 1:59899000001 {hey_id}")
    status = f":hourglass_flowing_sand: {app_says('status.unknown.whatsapp')}"
    assert app_says("report.any", id=hey_id, platform=WA, status=status) in said


def test_status_by_platform_of_a_message_hey_now_does_not_know(slack):
    said = slack.answer("status 1:59899000001 no-such-message")
    assert "Hey Now knows no message `no-such-message` on WhatsApp 59899000001" in said


def test_history_lists_the_callers_last_messages_of_this_team(slack, runtime):
    assert app_says("history.empty") in slack.answer("history")
    mine = sent(slack, runtime, "first of mine")
    sent(slack, runtime, "same person, other team", team=OTHER_TEAM)
    listed = slack.answer("status")
    assert f"`#{mine.id}`" in listed and "first of mine" in listed
    assert "other team" not in listed
    assert listed == slack.answer("history")


def test_contact_in_the_agenda(slack):
    card = slack.answer("contact +59891000005")
    assert "Lucía Rodríguez" in card and "`59891000005`" in card
    assert f"*{app_says('card.timezone')}:* -3" in card


def test_contact_card_shows_the_profile_picture(slack):
    ack = slack.command("contact 2:104857600123456 2458811223344556")
    card = slack.response(ack.ref)
    assert card["blocks"][0]["accessory"]["image_url"] == "https://example.com/martin.png"


def test_a_contact_named_like_a_mention_pings_nobody(slack):
    ack = slack.command(f"contact {EVIL_CLIENT}")
    card = json.dumps(slack.response(ack.ref)["blocks"])
    assert "&lt;!channel&gt;" in card and "Eve &amp; &lt;@U0BOSS&gt;" in card
    assert "<!channel>" not in card and "<@U0BOSS>" not in card


def test_contact_not_in_the_agenda(slack):
    said = slack.answer("contact 091999999")
    assert "091999999 is not in the agenda of WhatsApp 59899000001: they never wrote to it" in said


def test_contact_of_another_accounts_platform(slack):
    said = slack.answer("contact 1:59899000009 59891000001")
    assert "WhatsApp 59899000009 does not belong to this app's Hey Now account" in said


def test_agenda_search_is_accent_and_case_blind(slack):
    shown = slack.answer("agenda PEREZ")
    one = APP_TEXTS.plural("agenda.matching", 1, platform=WA, query="PEREZ")
    assert "Ana Pérez" in shown and "Bruno" not in shown and one in shown
    none = app_says("agenda.empty_matching", platform=WA, query="nobody-like-this")
    assert none in slack.answer("agenda nobody-like-this")


def test_a_failing_look_up_is_answered_in_plain_words(slack, monkeypatch, caplog):
    from bot.services.history import MessageHistory

    def broken(self, query, size=20):
        raise RuntimeError("a bug in history")

    monkeypatch.setattr(MessageHistory, "page", broken)
    assert oops() in slack.answer("history")
    failed = [r for r in caplog.records if r.getMessage() == "/heynow history failed"]
    assert failed and failed[0].exc_info


def shown_of(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False)


def page(number: int) -> str:
    return app_says("agenda.pages", page=number, pages=3, ref=TWITTER)


def agenda_button(body: dict, action_id: str) -> dict:
    buttons = body["blocks"][-1]["elements"]
    return next(b for b in buttons if b["action_id"] == action_id)


def test_agenda_pages_turn_with_the_buttons_and_hey_now_is_asked_once(slack, sim):
    ack = slack.command(f"agenda {TWITTER}")
    first = slack.response(ack.ref)
    twitter = "Twitter 1460000000000000001"
    assert APP_TEXTS.plural("agenda.total", 34, platform=twitter) in shown_of(first)
    assert page(1) in shown_of(first)
    assert [b["action_id"] for b in first["blocks"][-1]["elements"]] == ["agenda_page_next"]

    two = slack.click(agenda_button(first, "agenda_page_next"), block_id="agenda_pages")
    assert two.status == 200 and two.body == ""
    second = slack.response(two.ref)
    assert second["replace_original"] is True
    assert page(2) in shown_of(second)
    shown = json.dumps(second, ensure_ascii=False)
    assert "Cliente 16" in shown and "Cliente 30" in shown and "Cliente 15" not in shown

    three = slack.click(agenda_button(second, "agenda_page_next"), block_id="agenda_pages")
    third = slack.response(three.ref)
    assert page(3) in shown_of(third)
    assert "Valentina Núñez" in json.dumps(third, ensure_ascii=False)
    assert [b["action_id"] for b in third["blocks"][-1]["elements"]] == ["agenda_page_prev"]

    back = slack.click(agenda_button(third, "agenda_page_prev"), block_id="agenda_pages")
    assert page(2) in shown_of(slack.response(back.ref))

    downloads = [r for r in sim.requests() if r["path"] == "/api/contact/3/1460000000000000001"]
    assert len(downloads) == 1
