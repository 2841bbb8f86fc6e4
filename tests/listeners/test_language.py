"""Each person is answered in their Slack language (users.info, cached), the fallback
HEYNOW_LANGUAGE when Slack does not say or does not answer; a send keeps its sender's language."""

from __future__ import annotations

from bot.app import Runtime
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
