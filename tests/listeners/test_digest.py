"""The daily digest in the real Runtime: posted once in HEYNOW_NOTIFY_CHANNEL with the day's
figures and its chart in its thread, and never again, neither by its job's next runs nor by
a second Runtime on the same database (a restart)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.app import Runtime
from bot.domain.digest import local_date
from bot.local.standin import SlackStandIn
from bot.slack.digest_chart import file_name
from tests.listeners.harness import settled, wait_for

NOTIFY = "C0DIGEST"
ZONE = "America/Montevideo"
# 00:00: the digest of today is due whenever the test runs.
DIGEST = {"HEYNOW_NOTIFY_CHANNEL": NOTIFY, "HEYNOW_DIGEST_TIME": "00:00", "HEYNOW_TIMEZONE": ZONE}


def seed(runtime: Runtime, now: float) -> None:
    """Three sends of today, as the send path leaves them (no longer polled)."""
    for n, (user, state, reached) in enumerate(
        [("UAGENT1", "sent", True), ("UAGENT1", "sent", False), ("UAGENT2", "rejected", False)]
    ):
        runtime.store.db["messages"].insert(
            {
                "request_key": f"T:digest-{n}",
                "team_id": "T",
                "slack_channel": "C1",
                "slack_user": user,
                "channel_id": 1,
                "platform_id": "59899000001",
                "client_id": "59891000001",
                "text": "hi",
                "send_state": state,
                "status": "RU" if reached else "?",
                "created_at": now - 5,
                "sent_at": now - 4 if state == "sent" else None,
                "ru_at": now - 3 if reached else None,
            }
        )


def digest_posts(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [
        c.body
        for c in standin.of("chat.postMessage")
        if c.body.get("channel") == NOTIFY and not c.body.get("thread_ts")
    ]


def charts(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [
        {**share, "name": f["name"], "data": f["data"]}
        for f in list(standin.files.values())
        if str(f["name"]).startswith("heynow-digest-")
        for share in f["shares"]
    ]


def digest_job(runtime: Runtime) -> Callable[[], object]:
    [job] = [p.run for p in runtime.jobs.periodic if p.job_id == "digest"]
    return job


def test_the_digest_is_posted_once_with_its_chart_across_a_restart(
    make_runtime: Callable[..., Runtime], standin: SlackStandIn
) -> None:
    runtime = make_runtime(start=False, HEYNOW_LANGUAGE="es", **DIGEST)
    now = time.time()
    seed(runtime, now)
    runtime.start()
    [post] = wait_for(lambda: digest_posts(standin))
    [chart] = wait_for(lambda: charts(standin))
    day = local_date(now, ZONE)
    assert post["metadata"]["event_payload"] == {"key": f"digest:{day}"}
    shown = str(post["blocks"])
    assert "Resumen del día" in shown  # HEYNOW_LANGUAGE
    assert "enviados: *2*" in shown and "entregados: *1* (50%)" in shown
    assert "<@UAGENT1>" in shown and "<@UAGENT2>" in shown
    assert "Fallidos: *1*" in shown
    [ts] = [m["ts"] for m in standin.history[NOTIFY] if not m.get("thread_ts")]
    assert (chart["channel"], chart["thread_ts"], chart["name"]) == (NOTIFY, ts, file_name(day))
    assert chart["data"][:8] == b"\x89PNG\r\n\x1a\n"

    assert digest_job(runtime)() is None  # the same process: owed already
    runtime.close()
    again = make_runtime(**DIGEST)  # a restart on the same database
    digest_job(again)()  # whatever the scheduler did already, it has owed today's now
    wait_for(lambda: settled(again))  # a second row would be due until posted and uploaded
    assert len(digest_posts(standin)) == 1
    assert len(charts(standin)) == 1
    rows = again.store.outbox._db.rows(  # noqa: SLF001 (the test reads the outbox as stored)
        "SELECT dedupe_key, state FROM outbox WHERE kind = 'digest'"
    )
    assert rows == [{"dedupe_key": f"digest:{day}", "state": "posted"}]


def test_no_notify_channel_no_digest(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(start=False, HEYNOW_DIGEST_TIME="00:00")
    assert [p.job_id for p in runtime.jobs.periodic if p.job_id == "digest"] == []
