"""The app as a process: restarts, local mode, start-up errors, health."""

import time

import httpx

from bot.simulator import load_config
from tests.e2e.harness import (
    AppProcess,
    SimulatorProcess,
    SlackUser,
    app_env,
    app_says_until,
    free_port,
    run_once,
    wait_for,
)
from tests.e2e.slackview import channel_posts, thread_replies


def logins(sim):
    return [r["path"] for r in sim.requests()].count("/api/login")


def test_a_restart_resumes_polling_without_posting_anything_twice(tmp_path, slack):
    sim = SimulatorProcess(
        tmp_path, load_config(), step_seconds=100000
    )  # statuses move only when told
    env = app_env(
        slack.url,
        sim.url,
        tmp_path / "restart.db",
        HEYNOW_POLL_GIVE_UP_HOURS="1",
        HEYNOW_STUCK_MINUTES="60",
    )
    first = AppProcess(tmp_path, env)
    try:
        person = SlackUser(first, slack.url)
        person.slash("send 59891000001 survive a restart")
        wait_for(lambda: channel_posts(slack, person.channel))
        hey_id = [m["id"] for m in sim.messages() if m["text"] == "survive a restart"][0]
        sim.control(f"/_sim/messages/{hey_id}/status", {"status": "RU"})
        wait_for(lambda: thread_replies(slack, person.channel))
        first.stop()
        sim.control(f"/_sim/messages/{hey_id}/status", {"status": "LU"})
        logins_before = logins(sim)
        second = AppProcess(tmp_path, env)
        try:
            replies = wait_for(
                lambda: (
                    len(thread_replies(slack, person.channel)) >= 2
                    and thread_replies(slack, person.channel)
                )
            )
            time.sleep(1)
            assert len(channel_posts(slack, person.channel)) == 1
            delivered, read = (
                app_says_until(f"reply.{kind}.whatsapp_at", "when", who="Ana Pérez")
                for kind in ("delivered", "read")
            )
            assert delivered in replies[0] and read in replies[1]
            assert logins(sim) == logins_before  # the token came back from SQLite
        finally:
            second.stop()
    finally:
        first.stop()
        sim.stop()


def test_the_standalone_simulator_keeps_its_messages_only_when_given_a_state_file(tmp_path):
    for state, known_after_restart in ((None, False), (tmp_path / "sim-state.json", True)):
        sim = SimulatorProcess(tmp_path, load_config(), step_seconds=0, state=state)
        try:
            token = httpx.post(sim.url + "/api/login", json={"name": "demo", "password": "demo"})
            auth = {"Authorization": "Bearer " + token.json()["token"]}
            path = "/api/message/1/59899000001/59891000001"
            sent = httpx.post(sim.url + path, json={"text": "hola"}, headers=auth)
            hey_id = sent.json()["idMessageHey"]
        finally:
            sim.stop()
        again = SimulatorProcess(tmp_path, load_config(), step_seconds=0, state=state)
        try:
            token = httpx.post(again.url + "/api/login", json={"name": "demo", "password": "demo"})
            auth = {"Authorization": "Bearer " + token.json()["token"]}
            status = httpx.get(f"{again.url}/api/message/1/59899000001/{hey_id}", headers=auth)
            assert (status.status_code == 200) is known_after_restart
        finally:
            again.stop()


def test_without_a_terminal_local_mode_just_serves(tmp_path):
    app = AppProcess(tmp_path, {"DATABASE_PATH": str(tmp_path / "served.db")})
    try:
        health = httpx.get(app.url + "/healthz").json()
        assert health == {
            "ok": True,
            "heynow": "simulator",
            "jobs": True,
            "database": "ok",
            "schema_version": 8,
        }
        assert "local stand-in for Slack" in app.log() and "embedded Hey Now simulator" in app.log()
    finally:
        app.stop()


def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path):
    done = run_once(tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "heynow-bot: configuration error: SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set"
    ]


def test_secrets_never_reach_the_log(app, person, slack):
    person.slash("send 59891000001 check the log")
    wait_for(lambda: channel_posts(slack, person.channel))
    log = app.log()
    assert "Logged in to Hey Now" in log  # the log does speak of the login...
    for secret in ("e2e-signing-secret", "xoxb-e2e-token", "Bearer ", "password"):
        assert secret not in log  # ...but never of its secrets


def test_the_log_says_at_start_up_whether_hey_now_takes_the_credentials(tmp_path, slack, sim):
    env = app_env(slack.url, sim.url, tmp_path / "creds.db", HEYNOW_PASSWORD="wrong")
    app = AppProcess(tmp_path, env)
    try:
        wait_for(lambda: "Hey Now check failed" in app.log())
        assert "HEYNOW_USER and HEYNOW_PASSWORD" in app.log() and "wrong" not in app.log()
    finally:
        app.stop()


def test_a_broken_simulator_world_stops_start_up_in_one_line(tmp_path):
    world = tmp_path / "world.json"
    world.write_text("{oops")
    done = run_once(tmp_path, HEYNOW_SIMULATOR_CONFIG=str(world), PORT=str(free_port()))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "HEYNOW_SIMULATOR_CONFIG" in done.stderr and "cannot be read as JSON" in done.stderr


def test_a_damaged_simulator_state_file_stops_start_up_in_one_line(tmp_path):
    (tmp_path / "local.db.simulator.json").write_text('{"version": 1, "mess')
    done = run_once(tmp_path, DATABASE_PATH=str(tmp_path / "local.db"), PORT=str(free_port()))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("heynow-bot: configuration error: DATABASE_PATH: the simulator's")
    assert "local.db.simulator.json: cannot be read as JSON" in line and "delete it" in line
