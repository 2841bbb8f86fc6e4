"""Socket Mode: the app connects out to Slack and gets the same commands over a WebSocket."""

import contextlib
import json
import queue
import threading
import time

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from tests.e2e.harness import TEAM, AppProcess, app_env, wait_for
from tests.e2e.slackview import channel_posts


class FakeSocketModeSlack:
    """Slack's end of Socket Mode: says hello, hands out envelopes, collects the app's acks."""

    def __init__(self) -> None:
        self.envelopes: queue.Queue = queue.Queue()
        self.acks: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.server = serve(self._connection, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _connection(self, websocket) -> None:
        websocket.send(
            json.dumps(
                {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0E2E"}}
            )
        )
        self.connected.set()
        while True:
            with contextlib.suppress(queue.Empty):
                websocket.send(json.dumps(self.envelopes.get(timeout=0.05)))
            try:
                self.acks.put(json.loads(websocket.recv(timeout=0.05)))
            except TimeoutError:
                pass
            except ConnectionClosed:
                return

    def deliver(self, envelope_id: str, payload: dict, retry_attempt: int = 0) -> dict:
        """Send one envelope and return the app's ack of it."""
        self.envelopes.put(
            {
                "envelope_id": envelope_id,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
                "payload": payload,
            }
        )
        while True:
            ack = self.acks.get(timeout=10)
            if ack.get("envelope_id") == envelope_id:
                return ack


def test_commands_arrive_over_socket_mode_and_retries_send_nothing_twice(tmp_path, slack, sim):
    fake = FakeSocketModeSlack()
    slack.socket_mode_url = fake.url
    app = AppProcess(
        tmp_path, app_env(slack.url, sim.url, tmp_path / "socket.db", SLACK_APP_TOKEN="xapp-1-e2e")
    )
    try:
        assert fake.connected.wait(15), app.log()
        channel = "CSOCKET1"
        command = {
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": "USOCKET1",
            "command": "/heynow",
            "text": "send 59891000004 over the socket",
            "response_url": f"{slack.url}/respond/socket-1",
            "trigger_id": "socket.trigger.1",
            "api_app_id": "A0E2E",
        }
        ack = fake.deliver("env-1", command)
        assert "Sending to 59891000004" in ack["payload"]["text"]
        wait_for(lambda: channel_posts(slack, channel))
        retry = fake.deliver("env-2", command, retry_attempt=1)
        assert retry == {"envelope_id": "env-2"}  # acknowledged, and nothing else
        time.sleep(0.5)
        assert len(channel_posts(slack, channel)) == 1
        assert len([m for m in sim.messages() if m["text"] == "over the socket"]) == 1
        assert httpx.get(app.url + "/healthz").json()["ok"] is True
    finally:
        app.stop()
        slack.socket_mode_url = None
        fake.server.shutdown()
