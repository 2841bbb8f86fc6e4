"""Start-up recovery: what the last process left in SQLite is finished, and each sender told."""

from __future__ import annotations

import time

from bot.jobs.leases import identity
from storage import Store
from tests.conftest import ROW
from tests.listeners.harness import wait_for


def left_behind(path, *, queued_at: float, claimed_by: str | None = None, key: str) -> int:
    """A send recorded by a process that then died (with a lease if it had claimed it)."""
    store = Store(path)
    try:
        message_id = store.messages.enqueue(
            {**ROW, "request_key": key, "created_at": queued_at, "slack_channel": "C0START"}
        )
        if claimed_by:
            store.messages.claim_send(claimed_by, queued_at, 600)
        return message_id
    finally:
        store.close()


def test_start_up_sends_young_queued_sends_and_closes_old_ones_telling_their_senders(
    make_runtime, tmp_path, standin
):
    path = tmp_path / "app.db"
    now = time.time()
    young = left_behind(path, queued_at=now - 60, key="young")
    old = left_behind(path, queued_at=now - 3600, key="old")
    runtime = make_runtime("app.db", HEYNOW_QUEUE_MAX_AGE_MINUTES="10")
    messages = runtime.store.messages
    wait_for(lambda: messages.get(young).send_state == "sent")
    assert messages.get(old).send_state == "expired"
    notes = wait_for(lambda: [c.body for c in standin.of("chat.postEphemeral")])
    assert any("was *not sent*" in n["text"] and f"#{old}" in n["text"] for n in notes)


def test_start_up_ends_sends_its_dead_predecessor_held_as_unknown_at_once(
    make_runtime, tmp_path, standin
):
    path = tmp_path / "app.db"
    dead = f"{identity()}:999999:cafe"  # this host, boot and namespace; a pid that is not there
    cut_off = left_behind(path, queued_at=time.time() - 5, claimed_by=dead, key="cut")
    runtime = make_runtime("app.db")
    assert runtime.store.messages.get(cut_off).send_state == "unknown"  # before any sweep
    notes = wait_for(lambda: [c.body["text"] for c in standin.of("chat.postEphemeral")])
    assert any("may or may not have gone out" in n for n in notes)
