"""`/heynow` as people type it: numbers with spaces, options anywhere before the text, Spanish
words, hints that fit what was typed, and digits of other scripts in the form."""

from __future__ import annotations

import pytest

from tests.listeners.harness import form_values, wait_for

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
