"""`/heynow` as people type it: numbers with spaces, options anywhere before the text, Spanish
words, hints that fit what was typed, and digits of other scripts in the form."""

from __future__ import annotations

import pytest

from tests.listeners.harness import form_values, wait_for

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
    assert "You have not sent any message yet" in slack.answer("historial")


def test_a_misspelt_spanish_word_gets_the_spanish_word(slack):
    ack = slack.command("envair 091000001 hola")
    assert "`envair` is not a /heynow command. Did you mean `/heynow enviar`?" in ack.text


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
            "`²` is not a Hey Now channel: use 1 (WhatsApp)",
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
