"""The simulator as Hey Now, over real loopback HTTP, through the real client."""

import re

import httpx
import pytest

from bot.heynow import HeyNowClient, InvalidCredentials, NotFound, PermissionDenied, PlatformRef
from bot.heynow.errors import BadRequest
from bot.httpserver import start_in_thread
from bot.simulator import SimulatorState, load_config, make_wsgi_app

VALIDATING_WITH_ALTERNATE = PlatformRef.parse("1:59899000001")
VALIDATING_NO_ALTERNATE = PlatformRef.parse("3:1460000000000000001")
NOT_VALIDATING = PlatformRef.parse("2:104857600123456")
IN_AGENDA = {
    VALIDATING_WITH_ALTERNATE: "59891000001",
    VALIDATING_NO_ALTERNATE: "1500000000000000001",
    NOT_VALIDATING: "2458811223344556",
}
STRANGER = "59891999999"


@pytest.fixture(scope="module")
def simulator():
    state = SimulatorState(load_config())
    state.step = 0  # every message is at its last status at once
    app = make_wsgi_app(state)
    server = start_in_thread(app)
    yield server, app
    server.stop()


@pytest.fixture
def client(simulator):
    server, app = simulator
    app.requests.clear()
    return HeyNowClient(
        base_url=server.url + "/api", user="demo", password="demo", backoff_seconds=0
    )


# (platform, contactValidation, client in agenda) -> sent through which platform, or None (404)
TRUTH_TABLE = [
    (VALIDATING_NO_ALTERNATE, True, False, None),
    (VALIDATING_NO_ALTERNATE, False, False, None),
    (VALIDATING_NO_ALTERNATE, True, True, "self"),
    (VALIDATING_NO_ALTERNATE, False, True, "self"),
    (VALIDATING_WITH_ALTERNATE, True, False, None),
    (VALIDATING_WITH_ALTERNATE, False, False, "59899000002"),
    (VALIDATING_WITH_ALTERNATE, True, True, "self"),
    (VALIDATING_WITH_ALTERNATE, False, True, "self"),
    (NOT_VALIDATING, True, False, None),
    (NOT_VALIDATING, True, True, "self"),
    (NOT_VALIDATING, False, False, "self"),
    (NOT_VALIDATING, False, True, "self"),
]


@pytest.mark.parametrize(("ref", "validate", "in_agenda", "via"), TRUTH_TABLE)
def test_contact_validation_truth_table(simulator, client, ref, validate, in_agenda, via):
    _, app = simulator
    client_id = IN_AGENDA[ref] if in_agenda else STRANGER
    if via is None:
        with pytest.raises(NotFound):
            client.send_message(ref, client_id, "hola", validate=validate)
        return
    message_id = client.send_message(ref, client_id, "hola", validate=validate)
    sent = app.state.messages[message_id]
    assert sent.sent_via == (ref.platform_id if via == "self" else via)
    assert client.message_status(ref, message_id) in ("RU", "LU")


def test_mass_send_only_on_channels_that_do_not_validate(client):
    assert client.send_mass_message(NOT_VALIDATING, STRANGER, "promo")
    with pytest.raises(PermissionDenied):
        client.send_mass_message(
            VALIDATING_WITH_ALTERNATE, IN_AGENDA[VALIDATING_WITH_ALTERNATE], "promo"
        )


def test_webchat_takes_mass_sends_but_not_single_messages(client):
    webchat = PlatformRef.parse("4:webchat-demo")
    assert client.send_mass_message(webchat, "visitor-1", "hi")
    with pytest.raises(BadRequest):
        client.send_message(webchat, "visitor-1", "hi")


def test_another_users_platform_is_forbidden(client):
    with pytest.raises(PermissionDenied):
        client.agenda(PlatformRef.parse("1:59899000009"))


def test_bad_credentials(simulator):
    server, _ = simulator
    with pytest.raises(InvalidCredentials):
        HeyNowClient(base_url=server.url + "/api", user="demo", password="wrong").agenda(
            NOT_VALIDATING
        )


def test_calls_without_a_token_are_401(simulator):
    server, _ = simulator
    assert httpx.get(server.url + "/api/contact/2/104857600123456").status_code == 401


def test_statuses_move_forward_in_time_and_some_stop_early():
    clock = [0.0]
    state = SimulatorState(load_config(), clock=lambda: clock[0])
    platform = state.platforms[(1, "59899000001")]
    reads = state.send(platform, "59891000001", "x", True)
    unread = state.send(platform, "59891000002", "x", True)  # read receipts off
    unreachable = state.send(platform, "59891000003", "x", True)  # phone off
    seen = []
    for t in (0, 5, 10, 15, 60):
        clock[0] = t
        seen.append(tuple(state.status(platform, m.id) for m in (reads, unread, unreachable)))
    assert seen == [
        ("?", "?", "?"),
        ("RS", "RS", "RS"),
        ("RU", "RU", "RS"),
        ("LU", "RU", "RS"),
        ("LU", "RU", "RS"),
    ]


def test_agenda_documents_look_like_the_vendor_example(simulator, client):
    server, app = simulator
    token = client.login()
    docs = httpx.get(
        server.url + "/api/contact/1/59899000001", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert len(docs) == 5
    assert set(docs[0]) == {
        "_id",
        "phones",
        "first_name",
        "last_name",
        "profile_pic",
        "locale",
        "timezone",
        "gender",
        "channels",
    }
    assert docs[0]["channels"][0] == {
        "channel": 1,
        "platformId": "59899000001",
        "clientId": "59891000001",
        "metaData": {},
    }


def test_expired_tokens_are_401_and_the_client_logs_in_again(simulator, client):
    _, app = simulator
    client.agenda(NOT_VALIDATING)
    app.state.expire_tokens()
    client.agenda(NOT_VALIDATING)
    assert [r["path"] for r in app.requests].count("/api/login") == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "cannot be read as JSON"),
        ('{"users": []}', '"users" and "platforms"'),
        ('{"users": [{"name": "a"}], "platforms": [{}]}', '"name", "password" and "platforms"'),
        (
            '{"users": [{"name": "a", "password": "b", "platforms": []}], "platforms": [{"channel": 9, "platform_id": "x"}]}',
            '"channel" (1-4)',
        ),
    ],
)
def test_a_broken_world_is_refused_in_plain_words(tmp_path, text, says):
    from bot.simulator import WorldError

    path = tmp_path / "world.json"
    path.write_text(text)
    with pytest.raises(WorldError, match=re.escape(says)):
        load_config(path)


def sent_and_forced(state):
    """Two messages sent on the demo WhatsApp, the second forced to RU."""
    platform = state.platforms[(1, "59899000001")]
    first = state.send(platform, "59891000001", "uno", True)
    second = state.send(platform, "59891000002", "dos", True)
    state.force_status(second.id, "RU")
    return platform, first, second


def test_a_state_file_keeps_the_messages_and_their_forced_statuses_across_restarts(tmp_path):
    clock = [1000.0]
    path = tmp_path / "sim.json"
    before = SimulatorState(load_config(), clock=lambda: clock[0], state_file=path)
    platform, first, second = sent_and_forced(before)
    clock[0] = 1012.0
    after = SimulatorState(load_config(), clock=lambda: clock[0], state_file=path)
    assert after.messages == before.messages
    assert after.status(platform, first.id) == "RU"  # moved on while the simulator was down
    assert after.status(platform, second.id) == "RU"  # forced, still
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["sim.json"]


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sent_and_forced(SimulatorState(load_config()))
    assert list(tmp_path.iterdir()) == []


def test_a_state_file_keeps_only_the_newest_messages(tmp_path):
    path = tmp_path / "sim.json"
    state = SimulatorState(load_config(), state_file=path, keep_messages=3)
    platform = state.platforms[(1, "59899000001")]
    sent = [state.send(platform, "59891000001", f"m{n}", True).id for n in range(5)]
    assert list(state.messages) == sent[2:]
    again = SimulatorState(load_config(), state_file=path, keep_messages=2)
    assert list(again.messages) == sent[3:]


def test_a_write_that_fails_midway_leaves_the_last_whole_file(tmp_path, monkeypatch, caplog):
    import bot.simulator.state as state_module

    path = tmp_path / "sim.json"
    state = SimulatorState(load_config(), state_file=path)
    _, first, _ = sent_and_forced(state)
    whole = path.read_bytes()

    def disk_fails(fd):
        raise OSError("disk I/O error")

    half = '{"version": 1, "messages": [{"id": '  # what was written when the disk failed
    monkeypatch.setattr(state_module.json, "dumps", lambda *args, **kwargs: half)
    monkeypatch.setattr(state_module.os, "fsync", disk_fails)
    state.send(state.platforms[(1, "59899000001")], "59891000001", "tres", True)
    assert len(state.messages) == 3  # still served, from memory
    assert "Could not write the simulator's messages" in caplog.text
    assert path.read_bytes() == whole
    assert [p.name for p in tmp_path.iterdir()] == ["sim.json"]
    monkeypatch.undo()
    kept = SimulatorState(load_config(), state_file=path).messages
    assert len(kept) == 2 and next(iter(kept)) == first.id


def test_a_leftover_partial_write_is_ignored_and_removed(tmp_path):
    path = tmp_path / "sim.json"
    sent_and_forced(SimulatorState(load_config(), state_file=path))
    (tmp_path / "sim.json.k1ll3d.tmp").write_text('{"version": 1, "mess')  # a kill -9 mid-write
    assert len(SimulatorState(load_config(), state_file=path).messages) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["sim.json"]


@pytest.mark.parametrize(
    "text", ["{oops", '{"version": 9, "messages": []}', '{"version": 1, "messages": [{"id": 1}]}']
)
def test_a_damaged_state_file_is_refused_in_plain_words(tmp_path, text):
    from bot.simulator import StateFileError

    path = tmp_path / "sim.json"
    path.write_text(text)
    with pytest.raises(StateFileError, match=re.escape(f"{path}: ") + ".*delete it"):
        SimulatorState(load_config(), state_file=path)
