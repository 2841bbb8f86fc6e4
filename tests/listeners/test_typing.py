"""`/heynow` as people type it: numbers with spaces, options anywhere before the text, Spanish
words, hints that fit what was typed, and digits of other scripts in the form."""

from __future__ import annotations

import pytest

from tests.e2e.harness import app_says
from tests.listeners.harness import Slack, form_values, wait_for

FOREIGN = "1:59899000009"  # a platform of another Hey Now account

# -- numbers as people write them ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+598 91 000 002", "091 000 002", "(091) 000-002"])
def test_a_number_typed_with_spaces_names_one_client(slack, sim, db, typed):
    ack = slack.command(f"send {typed} Hola")
    assert ack.body == ":outbox_tray: Sending to 59891000002 through WhatsApp 59899000001…"
    assert [(r["client_id"], r["text"]) for r in db.messages()] == [("59891000002", "Hola")]
    send = wait_for(lambda: sim.sends("Hola"))[0]
    assert send["path"].endswith("/59891000002")


def test_the_text_after_a_spaced_number_keeps_its_lines(slack, db):
    slack.command("send 091 000 002 2 cajas\n  llegaron hoy")
    assert [r["text"] for r in db.messages()] == ["2 cajas\n  llegaron hoy"]


def test_a_spaced_number_that_is_no_number_is_named_whole(slack, db):
    ack = slack.command("send 091 000 hola")
    assert "`091 000` is not a valid phone number" in ack.text
    assert db.messages() == []


def test_on_messenger_the_client_stays_one_word(slack, db):
    slack.command("send 2:104857600123456 2458811223344557 77 pesos")
    assert [(r["client_id"], r["text"]) for r in db.messages()] == [
        ("2458811223344557", "77 pesos")
    ]


def test_contact_of_a_number_typed_with_spaces(slack):
    card = slack.answer("contact 091 000 001")
    assert "Ana Pérez" in card and "`59891000001`" in card


@pytest.mark.parametrize("typed", ["091000003", "091 000 003", "+598 91 000 003"])
def test_agenda_finds_a_number_as_people_write_it(slack, typed):
    shown = slack.answer(f"agenda {typed}")
    assert "Carla Gómez" in shown and "1 contact" in shown


def test_agenda_by_a_number_finds_only_that_number(slack):
    shown = slack.answer("agenda 091 000 004")
    assert "Diego Fernández" in shown and "Carla" not in shown


# -- options anywhere before the text ----------------------------------------------------------


def test_an_option_after_the_client_is_an_option(slack, sim, db):
    slack.command("send 091000001 --no-validate Hola sin validar")
    assert [(r["text"], r["validate"]) for r in db.messages()] == [("Hola sin validar", 0)]
    send = wait_for(lambda: sim.sends("Hola sin validar"))[0]
    assert send["query"] == {"contactValidation": "false"}


def test_an_option_in_the_text_is_text(slack, sim, db):
    slack.command("send 091000001 Hola --no-validate")
    assert [(r["text"], r["validate"]) for r in db.messages()] == [("Hola --no-validate", 1)]
    send = wait_for(lambda: sim.sends("Hola --no-validate"))[0]
    assert send["query"] == {"contactValidation": "true"}


def test_an_unknown_option_after_the_client_is_refused(slack, sim, db):
    ack = slack.command("send 091000001 --bogus Hola")
    assert "`--bogus` is not an option of send" in ack.text and "`--no-validate`" in ack.text
    assert db.messages() == [] and sim.sends() == []


# -- Spanish words ------------------------------------------------------------------------------


def test_enviar_sin_validar_sends_without_validation(slack, sim, db):
    ack = slack.command("enviar 091 000 001 --sin-validar Hola en español")
    assert "Sending to 59891000001" in ack.text
    send = wait_for(lambda: sim.sends("Hola en español"))[0]
    assert send["query"] == {"contactValidation": "false"}


def test_ayuda_is_help(slack):
    ack = slack.command("ayuda")
    assert ack.json["text"] == "How to use /heynow"


def test_contacto_and_historial_answer(slack):
    assert "Ana Pérez" in slack.answer("contacto 091 000 001")
    assert app_says("history.empty") in slack.answer("historial")


def test_a_misspelt_spanish_word_gets_the_spanish_word(slack):
    ack = slack.command("envair 091000001 hola")
    assert "`envair` is not a /heynow command. Did you mean `/heynow enviar`?" in ack.text


# -- hints that fit what was typed ---------------------------------------------------------------


def test_a_send_without_validation_is_not_told_to_send_without_validation(slack, sim):
    ack = slack.command("send --no-validate 3:1460000000000000001 1599999999999999999 hola")
    note = slack.response(ack.ref)["text"]
    assert "Not sent: 1599999999999999999 is not in the agenda of Twitter" in note
    assert "even without the agenda check" in note
    assert "send again with" not in note


def test_a_validated_send_not_in_the_agenda_is_told_it_may_go_without_validation(slack):
    ack = slack.command("send 3:1460000000000000001 1599999999999999999 hola")
    note = slack.response(ack.ref)["text"]
    assert "send again with `--no-validate`" in note
    assert "even without the agenda check" not in note


def test_a_typed_platform_of_another_account_is_no_settings_matter(slack):
    said = slack.answer(f"contact {FOREIGN} 59891000001")
    assert "WhatsApp 59899000009 does not belong to this app's Hey Now account" in said
    assert "HEYNOW_DEFAULT_PLATFORM" not in said


def test_a_default_platform_of_another_account_is_for_an_admin(make_runtime, standin):
    runtime = make_runtime(HEYNOW_DEFAULT_PLATFORM=FOREIGN)
    slack = Slack(runtime, standin, standin.url)
    said = slack.answer("contact 59891000001")
    assert "WhatsApp 59899000009 does not belong to this app's Hey Now account" in said
    assert "ask an admin to fix HEYNOW_DEFAULT_PLATFORM" in said


def test_a_send_through_another_accounts_platform_says_when_the_setting_matters(slack):
    ack = slack.command(f"send {FOREIGN} 091000001 hola")
    note = slack.response(ack.ref)["text"]
    assert "does not belong to this app's Hey Now account" in note
    assert "If it is the app's default platform, ask an admin" in note


def test_a_status_of_ours_refused_does_not_say_for_sure_the_setting_is_at_fault(slack, sim):
    slack.command("send 091000001 seguime")
    message = wait_for(
        lambda: [
            m
            for m in slack.runtime.store.messages.recent_for_user(slack.team, slack.user)
            if m.id_message_hey
        ]
    )[0]
    sim.fault(method="GET", path="/api/message/", status=403)
    said = slack.answer(f"status #{message.id}")
    assert "does not belong to this app's Hey Now account" in said
    assert "If it is the app's default platform, ask an admin" in said


def test_the_post_of_a_send_without_validation_names_the_alternate_bot(slack):
    slack.command("send --no-validate 1:59899000001 59891999999 a un desconocido")
    post = wait_for(slack.posts)[0]["blocks"][0]["text"]["text"]
    assert f":information_source: {app_says('post.not_validated')}" in post
    assert post.endswith("> a un desconocido")


def test_the_post_of_a_validated_send_does_not(slack):
    slack.command("send 091000001 a una conocida")
    post = wait_for(slack.posts)[0]["blocks"][0]["text"]["text"]
    assert app_says("post.not_validated") not in post and ":information_source:" not in post


# -- the send form: digits of other scripts ----------------------------------------------------


@pytest.fixture
def form(slack) -> dict:
    """The form `/heynow send` opened, as Slack holds it (with a view id and hash)."""
    ack = slack.command("send")
    return slack.as_slack_holds_it(wait_for(lambda: slack.opened_views(ack.trigger))[0])


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (
            form_values("091000001", "hi", platform="²:59899000001"),
            "platform",
            "² is not a Hey Now channel: use 1 (WhatsApp)",
        ),
        (
            form_values("٠٩١٠٠٠٠٠١", "hi", platform="2:104857600123456"),
            "client",
            "is not a Messenger id: use the client's id as Hey Now shows it (letters a-z",
        ),
    ],
)
def test_a_field_in_other_digits_gets_a_readable_error(slack, form, db, sim, values, field, says):
    ack = slack.submit(form, values)
    assert ack.json["response_action"] == "errors"
    assert list(ack.json["errors"]) == [field]
    assert says in ack.json["errors"][field]
    assert "invalid literal" not in ack.json["errors"][field]
    assert db.messages() == [] and sim.sends() == []


def test_a_whatsapp_number_in_arabic_indic_digits_is_sent_to_its_digits(slack, form, db, sim):
    ack = slack.submit(form, form_values("٠٩١٠٠٠٠٠١", "de otro teclado"))
    assert ack.status == 200 and ack.body == ""
    assert [r["client_id"] for r in db.messages()] == ["59891000001"]
    send = wait_for(lambda: sim.sends("de otro teclado"))[0]
    assert send["path"].endswith("/59891000001")
