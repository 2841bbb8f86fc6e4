"""`/heynow history`: what a window holds (single sends and mass sends' recipients), who may see
what, the answer's blocks as Slack takes them, and the file as a spreadsheet reads it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.domain import MassEvent, MassState, Outcome, SendState, Status
from bot.domain.history import DAY, HistoryEntry, HistoryQuery
from bot.domain.records import OutboxRow
from bot.domain.states import OutboxState, PostKind
from bot.i18n import Texts, speaking
from bot.services.history import HistoryPage, MessageHistory
from bot.services.inputs import InputError
from bot.services.permissions import Permissions
from bot.slack import history_blocks as blocks
from bot.slack.history_poster import HistoryFiles
from bot.slack.history_report import history_csv, inert
from handlers.commands.grammar import CommandError, History, parse
from storage import Store, history
from tests.conftest import ROW
from tests.history_fakes import entry_of
from tests.listeners.harness import check_blocks
from tests.test_render import MESSAGE

NOW = 1_700_000_000.0
BOSS = "U0BOSS"
LABELS = {"2:104857600123456": "Facebook"}


def query(**changes: Any) -> HistoryQuery:
    base = HistoryQuery("T1", "U1", "U1", (), 7, NOW)
    return replace(base, **changes)


# -- the store ----------------------------------------------------------------------------------


def send(
    store: Store, n: int, *, at: float, user: str = "U1", team: str = "T1", **more: Any
) -> int:
    values = {**ROW, "request_key": f"k{n}", "created_at": at, "slack_user": user, "team_id": team}
    made = store.messages.enqueue({**values, **more})
    assert made is not None
    return made


def mass_send(store: Store, *, requester: str = "U1", started: float = NOW - 3600) -> int:
    """A Messenger mass send of three: one sent, one refused, one not sent yet."""
    recipients = [("2458811223344556", "Hola 1"), ("2458811223344557", "=HYPERLINK(1)"), ("3", "x")]
    made = store.mass.create(
        {
            "request_key": f"mass:{requester}:{started}",
            "team_id": "T1",
            "requester": requester,
            "channel_id": 2,
            "platform_id": "104857600123456",
            "template": "Hola",
            "created_at": started - 60,
        },
        recipients,
        {},
    )
    assert made is not None
    store.mass.transition(made, MassState.APPROVED, MassEvent.APPROVED, actor=BOSS, now=started)
    store.mass.transition(
        made, MassState.RUNNING, MassEvent.STARTED, actor="app", now=started, started_at=started
    )
    store.db.execute(
        "UPDATE mass_recipients SET state = 'sent', sent_at = ?, status = 'RU', "
        "id_message_hey = 'hey-m1' WHERE request_id = ? AND position = 1",
        [started + 5, made],
    )
    store.db.execute(
        "UPDATE mass_recipients SET state = 'failed', error = 'NotFound' "
        "WHERE request_id = ? AND position = 2",
        [made],
    )
    return made


@pytest.fixture
def filled(fresh_store: Store) -> Store:
    send(fresh_store, 1, at=NOW - 2 * DAY)
    send(fresh_store, 2, at=NOW - 8 * DAY)  # out of the default window
    send(fresh_store, 3, at=NOW - DAY, user="U2", client_id="59891000002")
    send(fresh_store, 4, at=NOW - 600, team="T2")  # same person, another workspace
    send(fresh_store, 5, at=NOW + 60)  # after the ask
    mass_send(fresh_store)
    return fresh_store


def test_a_sender_s_window_holds_their_sends_and_mass_sends_newest_first(filled):
    found = filled.history.newest(query(), 20)
    assert [(e.mass_id, e.id) for e in found] == [(1, 1), (1, 2), (None, 1)]
    sent, refused, single = found
    assert sent.at == NOW - 3600 + 5 and sent.status is Status.DELIVERED
    assert sent.send_state is SendState.SENT and sent.id_message_hey == "hey-m1"
    assert refused.send_state is SendState.REJECTED and refused.at == NOW - 3600
    assert single.client_id == "59891000001" and single.send_state is SendState.QUEUED
    assert filled.history.count(query()) == 3


def test_the_window_the_person_and_the_client_filter(filled):
    assert [e.id for e in filled.history.newest(query(days=30), 20)][-1] == 2
    everyone = filled.history.newest(query(sender=None), 20)
    assert {e.sender for e in everyone} == {"U1", "U2"} and len(everyone) == 4
    to_ana = filled.history.newest(query(sender=None, clients=("59891000002",)), 20)
    assert [(e.sender, e.id) for e in to_ana] == [("U2", 3)]
    messenger = filled.history.newest(query(clients=("2458811223344556",)), 20)
    assert [(e.mass_id, e.client_id) for e in messenger] == [(1, "2458811223344556")]
    assert filled.history.newest(query(team_id="T9"), 20) == []


def test_a_mass_send_that_ran_before_the_window_is_not_in_it(fresh_store):
    mass_send(fresh_store, started=NOW - 20 * DAY)
    fresh_store.db.execute("UPDATE mass_requests SET finished_at = ?", [NOW - 19 * DAY])
    assert fresh_store.history.count(query()) == 0
    assert fresh_store.history.count(query(days=30)) == 2


def test_the_file_reads_every_row_in_batches_up_to_its_cap(fresh_store, monkeypatch):
    monkeypatch.setattr(history, "BATCH", 4)
    for n in range(11):  # two at each moment: batches must not skip or repeat a tie
        send(fresh_store, n, at=NOW - 100 - n // 2)
    every = list(fresh_store.history.each(query(), 100))
    assert [e.id for e in every] == sorted(range(1, 12), key=lambda i: ((i - 1) // 2, -i))
    assert len({e.id for e in every}) == 11
    assert len(list(fresh_store.history.each(query(), 6))) == 6


# -- who may see what -----------------------------------------------------------------------------


@pytest.fixture
def service(fresh_store: Store) -> MessageHistory:
    permissions = Permissions(
        WebClient(token="xoxb-never-called"), senders=(), platforms=(), approvers=(BOSS,)
    )
    return MessageHistory(fresh_store, permissions, default_region="UY", clock=lambda: NOW)


def test_a_sender_sees_their_own_and_an_approver_everyone_s(service):
    assert service.ask("U1", "T1", days=7).sender == "U1"
    assert service.ask("U1", "T1", days=7, user="U1").sender == "U1"
    assert service.ask(BOSS, "T1", days=7).sender is None
    asked = service.ask(BOSS, "T1", days=3, user="U1")
    assert (asked.sender, asked.days, asked.until, asked.since) == ("U1", 3, NOW, NOW - 3 * DAY)


def test_a_sender_naming_someone_else_is_refused_in_plain_words(service):
    with pytest.raises(InputError) as refused:
        service.ask("U1", "T1", days=7, user="U2")
    assert str(refused.value) == (
        "Only approvers can see the messages <@U2> sent. `/heynow history` shows yours."
    )
    with speaking(Texts.of("es")), pytest.raises(InputError, match="Solo quienes aprueban"):
        service.ask("U1", "T1", days=7, user="U2")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("091 000 002", "59891000002"),
        ("+598 91 000 002", "59891000002"),
        ("59891000002", "59891000002"),
        ("2458811223344556", "2458811223344556"),
    ],
)
def test_a_client_is_found_however_its_number_is_typed(service, typed, stored):
    asked = service.ask("U1", "T1", days=7, client=typed)
    assert stored in asked.clients and asked.client_typed == typed


def test_a_query_travels_in_its_payload_unchanged():
    asked = query(sender=None, clients=("1", "2"), client_typed="091 000 001", days=90)
    assert HistoryQuery.from_payload(json.loads(json.dumps(asked.payload()))) == asked


# -- the grammar ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("history", History()),
        ("status", History()),
        ("history --days 30", History(days=30)),
        ("history --days=1 --csv", History(days=1, csv=True)),
        ("historial --dias 3 --csv", History(days=3, csv=True)),
        ("historial --DÍAS 90", History(days=90)),
        ("history <@U0BOSS|boss>", History(user="U0BOSS")),
        ("history &lt;@U0BOSS&gt; 091 000 001", History(user="U0BOSS", client="091 000 001")),
        ("history 091 000 001 --csv", History(client="091 000 001", csv=True)),
        ("history --csv U012AB3CDE", History(user="U012AB3CDE", csv=True)),
    ],
)
def test_history_sentences(text, parsed):
    assert parse(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("history --days 0", "`--days` takes a whole number of days from 1 to 90"),
        ("history --days 91", "from 1 to 90"),
        ("history --days", "from 1 to 90"),
        ("history --days 9" + "9" * 5000, "from 1 to 90"),
        ("history --days -3", "from 1 to 90"),
        ("history --cvs", "Did you mean `--csv`?"),
        ("history @ana", "`@ana` came as plain text"),
        ("history <@U1> <@U2>", "Name one person at most"),
    ],
)
def test_malformed_history_sentences_say_the_right_form(text, says):
    with pytest.raises(CommandError) as raised:
        parse(text)
    assert says in str(raised.value)


def test_a_spanish_reader_is_told_the_spanish_option():
    with speaking(Texts.of("es")), pytest.raises(CommandError) as raised:
        parse("historial --dias 100")
    assert str(raised.value) == (
        "`--dias` lleva un número entero de días, de 1 a 90; por ejemplo, `--dias 30`."
    )


# -- the answer in Slack ---------------------------------------------------------------------------

HOSTILE = replace(
    MESSAGE,
    client_name="<!channel> " + "Ñ&<>" * 600,
    client_id="<@U0BOSS>" + "9" * 300,
    text="<!here> *bold* " + "👍🏽" * 2000 + "\nsecond line",
)


def page(entries: list[HistoryEntry], total: int | None = None, **changes: Any) -> HistoryPage:
    return HistoryPage(query(**changes), entries, len(entries) if total is None else total)


def text_of(shown: list[dict[str, Any]]) -> str:
    return json.dumps(shown, ensure_ascii=False)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_answer_stays_within_slack_s_limits_whatever_it_holds(language):
    entries = [entry_of(HOSTILE, id=n) for n in range(1, 21)]
    with speaking(Texts.of(language, "America/Montevideo")):
        shown = blocks.history_blocks(page(entries, total=45, sender=None), LABELS)
    check_blocks(shown)
    assert len(shown) <= 50
    assert sum(len(t) for t in _texts(shown)) <= 12_000
    assert all(len(b["text"]["text"]) <= 3000 for b in shown if b["type"] == "section")
    said = text_of(shown)
    assert "<!channel>" not in said and "<!here>" not in said and "<@U0BOSS>" not in said
    assert "&lt;!channel&gt;" in said
    footer = shown[-1]["elements"][0]["text"]
    assert "--csv" in footer and Texts.of(language).number(45 - (len(shown) - 2)) in footer


def test_each_message_says_when_to_whom_through_what_and_how_it_is():
    mass = entry_of(
        MESSAGE, id=9, mass_id=4, channel_id=2, platform_id="104857600123456", client_name=None
    )
    single = entry_of(MESSAGE, posted_channel="C0SUPPORT")
    shown = blocks.history_blocks(page([single, mass], sender=None), LABELS)
    check_blocks(shown)
    first, second = shown[1]["text"]["text"], shown[2]["text"]["text"]
    assert first.splitlines() == [
        "`#7` · Nov 14, 2023, 10:13\u202fPM · to *&lt;!here&gt; Bob &amp; Co* (59891000001)"
        " via WhatsApp 59899000001",
        ":heavy_check_mark::heavy_check_mark: Delivered (two ticks: on the client's phone)",
        "> &lt;@U2&gt; hello &amp; bye",
        "sent by <@U1> · post in <#C0SUPPORT>",
    ]
    assert second.startswith(
        "mass send #4 · Nov 14, 2023, 10:13\u202fPM · to *59891000001* via Facebook"
    )
    assert shown[0]["text"]["text"] == "*Everyone's messages* · last 7 days"
    assert shown[-1]["elements"][0]["text"].startswith("`/heynow status ID` follows one of them")


def test_a_sender_s_own_view_does_not_name_them_and_a_refusal_is_not_a_status():
    refused = entry_of(MESSAGE, send_state=SendState.REJECTED, posted_channel="D0123ABCD")
    shown = blocks.history_blocks(page([refused], client_typed="091 000 001"), LABELS)
    text = shown[1]["text"]["text"]
    assert ":x: Not sent" in text and "sent by" not in text and "post in" not in text
    assert shown[0]["text"]["text"] == "*Your messages to 091 000 001* · last 7 days"


def test_the_stuck_end_of_a_following_is_said():
    stuck = entry_of(MESSAGE, status=Status.ONE_TICK, outcome=Outcome.STUCK)
    assert "· no longer checked" in blocks.history_blocks(page([stuck]), LABELS)[1]["text"]["text"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_empty_window_says_so_and_how_to_look_further(language):
    with speaking(Texts.of(language)):
        shown = blocks.history_blocks(page([], sender="U2", days=1), LABELS)
        far = blocks.history_blocks(page([], days=90), LABELS)
    check_blocks(shown)
    said = text_of(shown)
    if language == "en":
        assert shown[0]["text"]["text"] == "*Messages sent by <@U2>* · last day"
        assert "Nothing was sent in that time." in said and "`--days N`" in said
    else:
        assert shown[0]["text"]["text"] == "*Mensajes que envió <@U2>* · último día"
        assert "No se envió nada en ese período." in said and "`--dias N`" in said
    assert len(far) == 2  # nothing further to look


def test_the_spanish_answer():
    with speaking(Texts.of("es", "America/Montevideo")):
        shown = blocks.history_blocks(page([entry_of(MESSAGE)], total=3), LABELS)
    assert shown[0]["text"]["text"] == "*Tus mensajes* · últimos 7 días"
    assert shown[1]["text"]["text"].startswith(
        "`#7` · 14 nov. 2023, 19:13 · a *&lt;!here&gt; Bob &amp; Co* (59891000001) por WhatsApp"
    )
    assert shown[-1]["elements"][0]["text"].startswith("Hay 2 más que no se muestran aquí")


def _texts(payload: Any) -> list[str]:
    if isinstance(payload, dict):
        return [v for k, v in payload.items() if k == "text" and isinstance(v, str)] + [
            t
            for k, v in payload.items()
            if k != "text" or not isinstance(v, str)
            for t in _texts(v)
        ]
    if isinstance(payload, list):
        return [t for v in payload for t in _texts(v)]
    return []


# -- the file ----------------------------------------------------------------------------------------


def rows_of(content: str, delimiter: str) -> list[list[str]]:
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=delimiter))


def test_the_file_in_english_lists_with_commas_in_the_reader_s_zone():
    entries = [entry_of(MESSAGE), entry_of(MESSAGE, id=9, mass_id=4, client_name=None)]
    with speaking(Texts.of("en", "America/New_York")):
        content, written = history_csv(entries, LABELS)
    header, first, second = rows_of(content, ",")
    assert written == 2
    assert header == [
        "date",
        "sender",
        "platform",
        "client id",
        "client name",
        "text",
        "send state",
        "status",
        "delivered at",
        "read at",
        "idMessageHey",
        "mass send",
    ]
    assert first == [
        "2023-11-14 17:13:20-05:00",
        "U1",
        "WhatsApp 59899000001",
        "59891000001",
        "<!here> Bob & Co",
        "<@U2> hello & bye",
        "Sent",
        "Delivered (two ticks: on the client's phone)",
        "2023-11-14 17:15:00-05:00",
        "",
        "abc",
        "",
    ]
    assert second[-1] == "4" and second[4] == ""


def test_the_file_in_spanish_lists_with_semicolons():
    text = 'Hola; "Ana"\nsegunda línea'
    with speaking(Texts.of("es", "America/Montevideo")):
        content, _ = history_csv([entry_of(MESSAGE, text=text)], LABELS)
    header, row = rows_of(content, ";")
    assert header[:3] == ["fecha", "quién envió", "plataforma"] and header[6:8] == [
        "envío",
        "estado",
    ]
    assert row[0] == "2023-11-14 19:13:20-03:00" and row[5] == text
    assert row[6] == "Enviado" and row[7].startswith("Entregado")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(start):
    hostile = entry_of(MESSAGE, client_name=f"{start}cmd|' /C calc'!A0", text=f"{start}1+1")
    content, _ = history_csv([hostile], LABELS)
    _, row = rows_of(content, ",")
    assert row[4] == f"'{start}cmd|' /C calc'!A0" and row[5] == f"'{start}1+1"
    assert inert("Ana") == "Ana" and inert("59891000001") == "59891000001"


# -- the file's delivery ---------------------------------------------------------------------------


class RefusingPoster:
    """What HistoryFiles asks of the poster, with a Slack that refuses every upload."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.given_up: list[str] = []
        self.clock = lambda: NOW

    def call(self, method: str, pause_key: str, **fields: Any) -> Any:
        if method == "conversations_open":
            return {"channel": {"id": "D1"}}
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="https://slack.com/api/files.completeUploadExternal",
            req_args={},
            data={"ok": False, "error": "missing_scope"},
            headers={},
            status_code=200,
        )
        raise SlackApiError("refused", response)

    def give_up(self, row: OutboxRow, error: str) -> None:
        self.given_up.append(error)

    def done(self, row: OutboxRow, channel: str | None, ts: str | None) -> None:
        raise AssertionError("a refused file is not done")


def test_a_file_slack_refuses_for_good_is_given_up_and_the_person_told(fresh_store, service):
    poster = RefusingPoster(fresh_store)
    row = OutboxRow(
        id=1,
        dedupe_key="history:T1:trig",
        kind=PostKind.HISTORY_CSV,
        topic="user:U1",
        channel="U1",
        user="U1",
        payload={**query().payload(), "locale": "en_US", "zone": "UTC"},
        state=OutboxState.DUE,
        attempts=1,
        created_at=NOW,
        first_tried_at=NOW,
        maybe_posted=False,
        attempt_channel=None,
        lease_owner="me",
        message=None,
    )
    HistoryFiles(poster, service, LABELS).deliver(row)  # type: ignore[arg-type]
    assert poster.given_up == ["missing_scope"]
    # Giving it up is what tells the person (tests/test_poster.py): the writer owes no DM of
    # its own, which would tell them twice.
    assert fresh_store.outbox.pending() == []


def test_the_file_of_one_ask_is_owed_once_in_the_reader_s_language(fresh_store, service):
    asked = service.ask("U1", "T1", days=3)
    reader = Texts.of("es", "America/Montevideo")
    service.owe_file(asked, "T1:trig-1", reader)
    service.owe_file(asked, "T1:trig-1", reader)  # Slack's retry of the same command
    [row] = fresh_store.outbox.pending()
    assert (row["kind"], row["dedupe_key"], row["user"]) == (
        "history_csv",
        "history:T1:trig-1",
        "U1",
    )
    payload = json.loads(row["payload"])
    assert (payload["locale"], payload["zone"]) == ("es_UY", "America/Montevideo")
    assert HistoryQuery.from_payload(payload) == asked and payload["until"] == NOW
