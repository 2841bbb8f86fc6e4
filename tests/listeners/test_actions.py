"""Buttons: agenda pages (and what a forged page button gets), the help's "Send a message"."""

from __future__ import annotations

import json
import logging

import pytest

from bot.slack.explain import out_of_date
from tests.e2e.harness import app_says
from tests.listeners.harness import TWITTER, wait_for

PAGE_BUTTON = {"action_id": "agenda_page_next", "text": {"type": "plain_text", "text": "Next →"}}
NEVER_WRITTEN = "An agenda button came back with a value the app never wrote"


def no_traceback(caplog) -> None:
    assert [r for r in caplog.records if r.exc_info] == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "value",
    [
        "not json at all",
        "{'ref': '3:1460000000000000001'}",
        "[1, 2, 3]",
        "null",
        '"3:1460000000000000001"',
        json.dumps({"query": "", "page": 2}),
        json.dumps({"ref": 3, "query": "", "page": 2}),
        json.dumps({"ref": TWITTER, "query": ["x"], "page": 2}),
        json.dumps({"ref": TWITTER, "query": "", "page": "2"}),
        None,
    ],
)
def test_a_forged_page_button_is_out_of_date(slack, sim, caplog, value):
    button = PAGE_BUTTON if value is None else {**PAGE_BUTTON, "value": value}
    ack = slack.click(button, block_id="agenda_pages")
    assert ack.status == 200 and ack.body == ""
    answer = slack.response(ack.ref)
    assert answer["replace_original"] is True
    assert answer["text"] == answer["blocks"][0]["text"]["text"] == f":warning: {out_of_date()}"
    warned = [r for r in caplog.records if r.getMessage() == NEVER_WRITTEN]
    assert [r.levelno for r in warned] == [logging.WARNING]
    no_traceback(caplog)
    assert not [r for r in sim.requests() if r["path"].startswith("/api/contact/")]


def test_a_page_button_naming_an_unusable_platform_is_out_of_date(slack, caplog):
    value = json.dumps({"ref": "9:nowhere", "query": "", "page": 2})
    ack = slack.click({**PAGE_BUTTON, "value": value}, block_id="agenda_pages")
    answer = slack.response(ack.ref)
    assert answer["blocks"][0]["text"]["text"] == f":warning: {out_of_date()}"
    warned = [r for r in caplog.records if "named a platform that cannot be used" in r.getMessage()]
    assert [r.levelno for r in warned] == [logging.WARNING]
    no_traceback(caplog)


def test_a_page_button_of_another_accounts_platform_is_explained(slack):
    value = json.dumps({"ref": "1:59899000009", "query": "", "page": 2})
    ack = slack.click({**PAGE_BUTTON, "value": value}, block_id="agenda_pages")
    answer = slack.response(ack.ref)
    assert "does not belong to this app's Hey Now account" in answer["blocks"][0]["text"]["text"]


def test_a_page_past_the_end_shows_the_last_page(slack):
    value = json.dumps({"ref": TWITTER, "query": "", "page": 99})
    ack = slack.click({**PAGE_BUTTON, "value": value}, block_id="agenda_pages")
    last = app_says("agenda.pages", page=3, pages=3, ref=TWITTER)
    assert last in json.dumps(slack.response(ack.ref), ensure_ascii=False)


def help_button(slack) -> dict:
    return slack.command("help").json["blocks"][-1]["elements"][0]


def test_the_helps_button_opens_the_send_form(slack):
    ack = slack.click(help_button(slack), block_id="help")
    assert ack.status == 200 and ack.body == ""
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert view["callback_id"] == "heynow_send_form"
    assert json.loads(view["private_metadata"]) == {"channel": slack.channel}


def test_the_helps_button_outside_a_channel_keeps_the_form_to_the_person(slack):
    ack = slack.click(help_button(slack), block_id="help", in_channel=False)
    assert ack.status == 200
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert json.loads(view["private_metadata"]) == {"channel": slack.user}
