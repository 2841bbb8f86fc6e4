"""Who may do what, through app.dispatch: senders, platforms, who may read a message."""

from __future__ import annotations

import pytest

from tests.listeners.harness import Slack, form_values, wait_for

SENDERS = {"HEYNOW_SENDERS": "U0BOSS,S0TEAM"}
PLATFORMS = {"HEYNOW_PLATFORMS": "1:59899000001=Ventas WhatsApp,2:104857600123456=Facebook"}


@pytest.fixture
def guarded(make_runtime, standin):
    standin.usergroups["S0TEAM"] = ["U0ANA"]
    return make_runtime(**SENDERS, **PLATFORMS)


def person(runtime, standin, user: str) -> Slack:
    return Slack(runtime, standin, standin.url, user=user)


def test_someone_who_may_not_send_is_told_who_may_and_nothing_is_recorded(guarded, standin, db):
    eve = person(guarded, standin, "U0EVE")
    ack = eve.command("send 091000001 hola")
    assert "Only <@U0BOSS>, <!subteam^S0TEAM> may send" in ack.json["text"]
    assert "/heynow contact" in ack.text
    assert db.messages() == []
    assert "Sending" not in eve.command("send").text and eve.opened_views(ack.trigger) == []


def test_someone_who_may_not_send_can_still_look_people_up(guarded, standin):
    eve = person(guarded, standin, "U0EVE")
    assert "Ana" in eve.answer("contact 091000001")


def test_a_member_of_a_sender_group_may_send(guarded, standin, db):
    ana = person(guarded, standin, "U0ANA")
    assert "Sending" in ana.command("send 091000001 hola").text
    assert len(db.messages()) == 1


def test_a_form_submitted_by_someone_who_may_not_send_sends_nothing(guarded, standin, db):
    boss = person(guarded, standin, "U0BOSS")
    ack = boss.command("send")
    form = boss.as_slack_holds_it(wait_for(lambda: boss.opened_views(ack.trigger))[0])
    eve = person(guarded, standin, "U0EVE")
    refused = eve.submit(form, form_values("091000001", "hola"))
    assert "may send" in refused.json["errors"]["text"] and db.messages() == []


def test_a_platform_outside_the_workspaces_list_is_refused_in_words(guarded, standin, db):
    boss = person(guarded, standin, "U0BOSS")
    ack = boss.command("send 3:1460000000000000001 1500000000000000001 hi")
    assert "is not one of this workspace's platforms" in ack.text
    assert "`1:59899000001` (Ventas WhatsApp)" in ack.text
    assert db.messages() == []


def test_the_form_offers_exactly_the_workspaces_platforms_by_label(guarded, standin):
    boss = person(guarded, standin, "U0BOSS")
    ack = boss.command("send")
    [form] = wait_for(lambda: boss.opened_views(ack.trigger))
    platform = next(b for b in form["blocks"] if b["block_id"] == "platform")["element"]
    assert platform["type"] == "static_select"
    assert [(o["text"]["text"], o["value"]) for o in platform["options"]] == [
        ("Ventas WhatsApp", "1:59899000001"),
        ("Facebook", "2:104857600123456"),
    ]
    assert platform["initial_option"]["value"] == "1:59899000001"


def test_the_platform_chosen_in_the_form_is_the_one_sent_from(guarded, standin, db):
    boss = person(guarded, standin, "U0BOSS")
    ack = boss.command("send")
    form = boss.as_slack_holds_it(wait_for(lambda: boss.opened_views(ack.trigger))[0])
    values = form_values("2458811223344556", "hola", platform="")
    values["platform"] = {
        "value": {"type": "static_select", "selected_option": {"value": "2:104857600123456"}}
    }
    assert boss.submit(form, values).body == ""
    assert [(r["channel_id"], r["platform_id"]) for r in db.messages()] == [(2, "104857600123456")]


def test_a_message_in_a_private_channel_is_shown_to_its_sender_only(runtime, standin):
    sender = person(runtime, standin, "U0ANA")
    standin.private_channels.add(sender.channel)
    sender.command("send 091000001 private")
    wait_for(lambda: runtime.store.messages.get(1).send_state == "sent")
    assert "Ana" in sender.answer("status #1")
    other = person(runtime, standin, "U0EVE")
    said = other.answer("status #1")
    assert "only its sender can see it" in said and "private" not in said.split("only")[1]


def test_a_message_in_a_public_channel_is_shown_to_anyone(runtime, standin):
    sender = person(runtime, standin, "U0ANA")
    sender.command("send 091000001 public")
    wait_for(lambda: runtime.store.messages.get(1).send_state == "sent")
    assert "only its sender" not in person(runtime, standin, "U0EVE").answer("status #1")
