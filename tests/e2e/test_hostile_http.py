"""Hostile requests to the real app process: refused small and quietly, and Slack still served.

The app here is its own process (the session's Slack stand-in and simulator), so its log holds
only what these requests caused.
"""

import time
import uuid

import httpx
import pytest

from tests.e2e.harness import AppProcess, SlackUser, app_env, app_says, slack_sign
from tests.e2e.slackview import ack_text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def app(workdir, slack, sim):
    process = AppProcess(workdir, app_env(slack.url, sim.url, workdir / "hostile.db"))
    yield process
    process.stop()


def post(app: AppProcess, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(app.url + "/slack/events", content=body, headers=headers, timeout=10)


def test_hostile_bodies_are_refused_without_a_trace_and_slack_is_still_answered(app, slack):
    marker = "HOSTILE" + uuid.uuid4().hex[:8]
    injection = f"{marker}\n2026-01-01 ERROR fake line {marker}".encode()
    oversized = b"text=" + marker.encode() + b"&a=b" * (10 * 1024 * 1024 // 4)
    not_utf8 = b"text=" + marker.encode() + b"\xff\xfe"
    now = str(int(time.time()))

    started = time.monotonic()
    answers = {
        "oversized, unsigned": post(app, oversized, FORM),
        "log injection, unsigned": post(app, injection, FORM),
        "log injection, badly signed": post(
            app, injection, {**slack_sign(injection), "X-Slack-Signature": "v0=" + "0" * 64}
        ),
        "a header's value to log": post(
            app,
            injection,
            {**FORM, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": f"v0={marker}"},
        ),
        "invalid UTF-8, unsigned": post(app, not_utf8, FORM),
        "invalid UTF-8, signed": post(app, not_utf8, slack_sign(not_utf8)),
        "non-numeric timestamp": post(
            app, injection, {**slack_sign(injection), "X-Slack-Request-Timestamp": "soon"}
        ),
    }
    refused_in = time.monotonic() - started

    assert {name: r.status_code for name, r in answers.items()} == {
        "oversized, unsigned": 413,
        "log injection, unsigned": 401,
        "log injection, badly signed": 401,
        "a header's value to log": 401,
        "invalid UTF-8, unsigned": 401,
        "invalid UTF-8, signed": 400,
        "non-numeric timestamp": 401,
    }
    assert refused_in < 3
    help_ack, _ = SlackUser(app, slack.url).slash("help")
    assert help_ack.status_code == 200 and app_says("help.send") in ack_text(help_ack)
    log = app.log()
    assert "Traceback" not in log
    assert marker not in log and "fake line" not in log
    assert "0" * 64 not in log  # the forged signature, a header's value
