"""Each person is answered in their Slack language (users.info, cached), the fallback
HEYNOW_LANGUAGE when Slack does not say or does not answer; a send keeps its sender's language."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from bot.i18n import Texts
from bot.local.standin import Fault, SlackStandIn
from tests.listeners.harness import Database, Slack, form_values, wait_for

SPANISH = {"locale": "es-LA", "tz": "America/Montevideo"}
ENGLISH = {"locale": "en-US", "tz": "America/New_York"}


def test_a_spanish_reader_is_answered_in_spanish(slack, standin, db):
    standin.people[slack.user] = SPANISH
    ack = slack.command("enviar 091000001 Hola")
    assert ack.body == ":outbox_tray: Enviando a 59891000001 por WhatsApp 59899000001…"
    row = db.messages()[0]
    assert (row["locale"], row["zone"]) == ("es_419", "America/Montevideo")


def test_an_english_reader_is_answered_in_english_whatever_the_fallback(make_runtime, standin):
    runtime = make_runtime(HEYNOW_LANGUAGE="es")
    slack = runtime_slack(runtime, standin)
    standin.people[slack.user] = ENGLISH
    ack = slack.command("send 091000001 Hi")
    assert ack.body == ":outbox_tray: Sending to 59891000001 through WhatsApp 59899000001…"


def test_a_reader_whose_profile_says_no_language_reads_the_fallback(make_runtime, standin):
    runtime = make_runtime(HEYNOW_LANGUAGE="es", HEYNOW_TIMEZONE="America/Argentina/Cordoba")
    ack = runtime_slack(runtime, standin).command("send 091000001 Hola")
    assert ack.body.startswith(":outbox_tray: Enviando a 59891000001")
    row = Database(runtime.settings.database_path).messages()[0]
    assert (row["locale"], row["zone"]) == ("es_UY", "America/Argentina/Cordoba")


def test_slack_is_asked_once_about_each_reader(slack, standin):
    standin.people[slack.user] = SPANISH
    for _ in range(3):
        slack.command("enviar 091000001 Hola")
    asked = [c for c in standin.of("users.info") if c.body.get("user") == slack.user]
    assert len(asked) == 1
    assert str(asked[0].body.get("include_locale")).lower() in ("1", "true")


def test_a_failing_users_info_still_gets_an_answer_in_the_fallback(make_runtime, standin):
    slack = runtime_slack(make_runtime(HEYNOW_LANGUAGE="en"), standin)
    standin.people[slack.user] = SPANISH
    standin.inject(Fault("users.info", None, status=500, count=5))
    first = slack.command("enviar 091000001 Hola")
    second = slack.command("enviar 091000001 Hola otra vez")
    assert first.body.startswith(":outbox_tray: Sending to 59891000001")
    assert second.body.startswith(":outbox_tray: Sending to 59891000001")
    # Not asked again at once: a failing Slack does not slow every command.
    assert len([c for c in standin.calls if c.method == "users.info"]) == 1


def test_a_rate_limited_users_info_is_not_waited_out_before_the_ack(make_runtime, standin):
    slack = runtime_slack(make_runtime(HEYNOW_LANGUAGE="en"), standin)
    standin.rate_limit("users.info", retry_after=30)
    ack = slack.command("send 091000001 Hi")
    assert ack.body.startswith(":outbox_tray: Sending to 59891000001")


def test_the_send_form_errors_are_in_the_readers_language(slack, standin):
    standin.people[slack.user] = SPANISH
    opened = slack.command("enviar")
    form = slack.as_slack_holds_it(wait_for(lambda: slack.opened_views(opened.trigger))[0])
    ack = slack.submit({**form, "private_metadata": "not json"}, form_values("091000001", "hola"))
    assert ack.json["errors"]["text"].startswith("Este formulario ya no es válido")


def runtime_slack(runtime: Runtime, standin: SlackStandIn) -> Slack:
    return Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]


def test_posts_about_a_send_wait_for_nothing_from_users_info(slack, standin):
    """The outbox writes in the language recorded with the send, without asking Slack."""
    standin.people[slack.user] = SPANISH
    slack.command("enviar 091000001 Hola")
    wait_for(slack.posts)
    assert len(standin.of("users.info")) == 1


ES, EN = Texts.of("es"), Texts.of("en")


@pytest.mark.parametrize(
    ("profile", "texts", "words"),
    [
        (SPANISH, ES, {"help": "ayuda", "send": "enviar", "status": "estado"}),
        (ENGLISH, EN, {"help": "help", "send": "send", "status": "status"}),
        (SPANISH, ES, {"help": "help", "send": "send", "status": "status"}),  # words mixed
        (ENGLISH, EN, {"help": "ayuda", "send": "enviar", "status": "estado"}),
    ],
)
def test_every_command_answers_in_the_readers_language(slack, standin, sim, profile, texts, words):
    """The words typed choose the command; the reader's Slack language chooses the answer."""
    standin.people[slack.user] = profile
    helped = slack.command(words["help"])
    assert helped.json["text"] == texts("answer.help_title")
    assert texts("help.button") in helped.text
    sent = slack.command(f"{words['send']} 091000001 hola")
    assert sent.body == texts(
        "answer.sending", client="59891000001", platform="WhatsApp 59899000001"
    )
    wait_for(lambda: sim.sends("hola"))
    title = texts("history.title", scope=texts("history.scope.mine"), window="")
    assert slack.answer(words["status"]).startswith(title.strip())
    history = slack.answer("historial" if texts is ES else "history")
    assert history.startswith(title.strip()) and texts("history.hint") in history
    contact = slack.answer(("contacto" if texts is ES else "contact") + " 091000001")
    assert texts("card.client_id") in contact and texts("card.platform") in contact
    agenda = slack.answer("agenda ana")
    assert agenda.startswith(
        texts.plural("agenda.matching", 1, platform="WhatsApp 59899000001", query="ana")
    )


def test_a_channel_post_speaks_its_senders_language_to_everyone(slack, standin, runtime):
    standin.people[slack.user] = SPANISH
    slack.command("enviar 091000001 hola")
    post = wait_for(slack.posts)[0]
    head = ES(
        "post.head",
        sender=f"<@{slack.user}>",
        recipient="*Ana Pérez* (59891000001)",
        platform="WhatsApp 59899000001",
    )
    assert post["blocks"][0]["text"]["text"].startswith(head)


def test_an_english_reader_reads_a_spanish_senders_message_in_english(slack, standin, runtime, sim):
    standin.people[slack.user] = SPANISH
    slack.command("enviar 091000001 hola")
    wait_for(lambda: sim.sends("hola"))
    reader = Slack(runtime, standin, standin.url, channel=slack.channel)  # type: ignore[attr-defined]
    standin.people[reader.user] = ENGLISH
    said = reader.answer("status #1")
    assert said.startswith("*Ana Pérez* (59891000001) through WhatsApp 59899000001: ")
