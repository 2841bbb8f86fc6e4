"""Every /heynow command through the real app, answered in plain words."""

import json

import pytest

from tests.e2e.harness import (
    APP_TEXTS,
    AppProcess,
    SlackUser,
    app_env,
    app_says,
    free_port,
    wait_for,
)
from tests.e2e.slackview import ack_text, answer, channel_posts, replies_to

WA_ALT, TWITTER, MESSENGER = "1:59899000001", "3:1460000000000000001", "2:104857600123456"
AGENDA = {WA_ALT: "59891000004", TWITTER: "1500000000000000001", MESSENGER: "2458811223344557"}
STRANGER = {WA_ALT: "59891999999", TWITTER: "1599999999999999999", MESSENGER: "2458800000000000001"}

TRUTH_TABLE = [
    # platform, --no-validate, in agenda, sent through (None: refused with 404)
    (TWITTER, False, False, None),
    (TWITTER, True, False, None),
    (TWITTER, False, True, "1460000000000000001"),
    (TWITTER, True, True, "1460000000000000001"),
    (WA_ALT, False, False, None),
    (WA_ALT, True, False, "59899000002"),
    (WA_ALT, False, True, "59899000001"),
    (WA_ALT, True, True, "59899000001"),
    (MESSENGER, False, False, None),
    (MESSENGER, False, True, "104857600123456"),
    (MESSENGER, True, False, "104857600123456"),
    (MESSENGER, True, True, "104857600123456"),
]


@pytest.mark.parametrize(("platform", "no_validate", "in_agenda", "via"), TRUTH_TABLE)
def test_contact_validation_truth_table_through_slack(
    person, slack, sim, platform, no_validate, in_agenda, via
):
    client = (AGENDA if in_agenda else STRANGER)[platform]
    text = f"truth table {platform} {no_validate} {in_agenda}"
    flag = "--no-validate " if no_validate else ""
    _, trigger = person.slash(f"send {flag}{platform} {client} {text}")
    if via is None:
        said = wait_for(lambda: replies_to(slack, trigger))
        assert "is not in the agenda" in said[-1] and "--no-validate" in said[-1]
        assert channel_posts(slack, person.channel) == []
        return
    wait_for(lambda: channel_posts(slack, person.channel))
    sent = [m for m in sim.messages() if m["text"] == text]
    assert [m["sent_via"] for m in sent] == [via]
    request = [r for r in sim.requests() if (r.get("body") or {}).get("text") == text][0]
    assert request["query"] == {"contactValidation": "false" if no_validate else "true"}


def test_a_platform_of_another_account_is_explained(person, slack):
    _, trigger = person.slash("send 1:59899000009 59891000001 hi")
    said = wait_for(lambda: replies_to(slack, trigger))
    assert "does not belong to this app's Hey Now account" in said[-1]


def test_a_contact_not_in_the_agenda_is_explained(person, slack):
    assert "is not in the agenda of WhatsApp 59899000001" in answer(
        slack, person, "contact 091999999"
    )


def test_hey_now_500_is_explained_and_a_500_send_is_recorded_unknown(person, slack, sim):
    sim.control(
        "/_sim/faults",
        {
            "method": "GET",
            "path": "/api/contact/1/59899000001/59891000002",
            "status": 500,
            "count": 3,
        },
    )
    assert "Hey Now had an internal error" in answer(slack, person, "contact 59891000002")
    sim.control("/_sim/faults", {"method": "POST", "path": "/api/message/", "status": 500})
    _, trigger = person.slash("send 59891000002 did it go?")
    said = wait_for(lambda: replies_to(slack, trigger))[-1]
    assert "may or may not have gone out" in said and "*unknown*" in said
    history = answer(slack, person, "status")
    assert ":grey_question:" in history and "did it go?" in history


def test_a_lost_answer_is_unknown_and_not_sent_twice(person, slack, sim):
    sim.control(
        "/_sim/faults", {"method": "POST", "path": "/api/message/", "delay": 4}
    )  # over the 3 s time-out
    _, trigger = person.slash("send 59891000005 lost in transit")
    said = wait_for(lambda: replies_to(slack, trigger), timeout=15)[-1]
    assert "may or may not have gone out" in said
    assert (
        len([r for r in sim.requests() if (r.get("body") or {}).get("text") == "lost in transit"])
        == 1
    )


def test_an_expired_token_is_renewed_transparently(person, slack, sim):
    logins_before = [r["path"] for r in sim.requests()].count("/api/login")
    sim.control("/_sim/expire-tokens")
    person.slash("send 59891000001 after midnight")
    wait_for(lambda: channel_posts(slack, person.channel))
    assert [r["path"] for r in sim.requests()].count("/api/login") == logins_before + 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("send 12345 hi", "is not a valid phone number"),
        ("send 091000001", "is empty"),
        ("send 4:webchat-demo visitor-1 hi", "WebChat does not take single messages"),
        ("send 2:104857600123456 2458811223344557 " + "x" * 2001, "Messenger takes at most 2,000"),
        ("sned 091000001 hi", "Did you mean `/heynow send`"),
        ("send 9:123 091000001 hi", "is not a valid phone number"),
        ("status a b c", "/heynow status ID"),
    ],
)
def test_bad_input_is_answered_at_once_in_plain_words(person, sim, text, says):
    before = len(sim.requests())
    response, _ = person.slash(text)
    assert says in ack_text(response)
    assert (
        len(
            [r for r in sim.requests()[before:] if r["method"] == "POST" and "message" in r["path"]]
        )
        == 0
    )


def test_help(person):
    response, _ = person.slash("")
    shown = ack_text(response)
    assert app_says("help.send") in shown and f"[{app_says('help.button')}]" in shown
    assert app_says("help.other_words") in shown


def test_status_of_our_message_by_ref_and_by_hey_id_and_any_by_platform(person, slack, sim):
    person.slash("send 59891000002 status check")
    post = wait_for(lambda: channel_posts(slack, person.channel))[0]
    ref = post["blocks"][1]["elements"][0]["text"].split("#")[1].split()[0]
    hey_id = [m["id"] for m in sim.messages() if m["text"] == "status check"][0]
    for query in (f"#{ref}", hey_id):
        said = answer(slack, person, f"status {query}")
        statuses = [app_says(f"status.{code}.whatsapp") for code in ("unknown", "one_tick")]
        assert "Bruno Díaz" in said and any(status in said for status in statuses)
    said = answer(slack, person, f"status 1:59899000001 {hey_id}")
    assert app_says("report.any", id=hey_id, platform="WhatsApp 59899000001", status="") in said
    assert "Hey Now knows no message" in answer(
        slack, person, "status 1:59899000001 no-such-message"
    )
    assert "There is no message #999999" in answer(slack, person, "status #999999")


def test_history_lists_only_the_callers_last_messages(person, slack):
    assert app_says("history.empty") in answer(slack, person, "status")
    person.slash("send 59891000001 first of mine")
    wait_for(lambda: channel_posts(slack, person.channel))
    listed = answer(slack, person, "history")
    assert "first of mine" in listed and "Ana Pérez" in listed and "truth table" not in listed


def test_contact_card(person, slack):
    card = answer(slack, person, "contact +59891000005")
    assert "Lucía Rodríguez" in card and "59891000005" in card
    assert f"*{app_says('card.timezone')}:* -3" in card


def test_agenda_search_is_accent_and_case_blind(person, slack):
    shown = answer(slack, person, "agenda PEREZ")
    one = APP_TEXTS.plural("agenda.matching", 1, platform="WhatsApp 59899000001", query="PEREZ")
    assert "Ana Pérez" in shown and "Bruno" not in shown and one in shown
    assert "Martín Silva" in answer(slack, person, "agenda 2:104857600123456")
    none = app_says(
        "agenda.empty_matching", platform="WhatsApp 59899000001", query="nobody-like-this"
    )
    assert none in answer(slack, person, "agenda nobody-like-this")


def test_agenda_pages_turn_with_buttons(person, slack):
    _, trigger = person.slash("agenda twitter:1460000000000000001")
    first = wait_for(lambda: [c for c in slack.of("response_url") if c.ref == trigger])[0].body
    listed = json.dumps(first["blocks"], ensure_ascii=False)
    total = APP_TEXTS.plural("agenda.total", 33, platform="Twitter 1460000000000000001")
    assert total in listed and app_says("agenda.pages", page=1, pages=3, ref=TWITTER) in listed
    next_button = first["blocks"][-1]["elements"][0]
    assert next_button["action_id"] == "agenda_page_next"
    payload = {
        "type": "block_actions",
        "trigger_id": "1.2.agenda",
        "response_url": f"{person.slack_url}/respond/agenda-page-2",
        "channel": {"id": person.channel},
        "actions": [{**next_button, "block_id": "agenda_pages"}],
    }
    assert person.interact(payload).status_code == 200
    second = wait_for(lambda: [c for c in slack.of("response_url") if c.ref == "agenda-page-2"])[
        0
    ].body
    shown = json.dumps(second["blocks"], ensure_ascii=False)
    assert second["replace_original"] is True
    assert app_says("agenda.pages", page=2, pages=3, ref=TWITTER) in shown
    assert "Cliente 16" in shown and "Cliente 15" not in shown
    assert [b["action_id"] for b in second["blocks"][-1]["elements"]] == [
        "agenda_page_prev",
        "agenda_page_next",
    ]


def test_send_alone_opens_the_form_and_its_errors_mark_the_field(person, slack, sim):
    response, trigger = person.slash("send")
    assert response.status_code == 200
    opened = wait_for(
        lambda: [c for c in slack.of("views.open") if c.body.get("trigger_id") == trigger]
    )[0]
    view = opened.body["view"]
    assert view["callback_id"] == "heynow_send_form"

    submissions = iter(range(1, 100))

    def submit(client, text, view_id):
        values = {
            "platform": {"value": {"type": "plain_text_input", "value": "1:59899000001"}},
            "client": {"value": {"type": "plain_text_input", "value": client}},
            "text": {"value": {"type": "plain_text_input", "value": text}},
            "options": {"value": {"type": "checkboxes", "selected_options": []}},
        }
        return person.interact(
            {
                "type": "view_submission",
                "trigger_id": f"t.{view_id}.{next(submissions)}",  # new at every submission
                "view": {**view, "id": view_id, "state": {"values": values}},
            }
        )

    refused = submit("12", "hello", "V1")
    assert refused.json() == {
        "response_action": "errors",
        "errors": {"client": refused.json()["errors"]["client"]},
    }
    assert "not a valid phone number" in refused.json()["errors"]["client"]
    accepted = submit("091000004", "from the form", "V1")  # the same form, corrected
    assert accepted.status_code == 200 and not accepted.content
    post = wait_for(lambda: channel_posts(slack, person.channel))[0]
    assert "from the form" in post["blocks"][0]["text"]["text"]


def test_hey_now_down_is_explained_and_nothing_is_recorded_as_sent(tmp_path, slack):
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = AppProcess(tmp_path, app_env(slack.url, nowhere, tmp_path / "down.db"))
    try:
        person = SlackUser(app, slack.url)
        assert "Hey Now cannot be reached" in answer(slack, person, "contact 091000001")
        _, trigger = person.slash("send 091000001 anyone there?")
        said = wait_for(lambda: replies_to(slack, trigger))[-1]
        assert "Hey Now cannot be reached" in said and "Nothing was sent" in said
        assert ":x:" in answer(slack, person, "status")  # recorded as not sent, not lost
    finally:
        app.stop()
