"""The yardstick of bench/ack.py: a Bolt app on the same server stack that only acks.

python bench/bare_bolt.py PORT SIGNING_SECRET SLACK_API_URL
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.httpserver import serve_forever  # noqa: E402


def main() -> None:
    port, secret, slack_api_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = App(
        client=WebClient(token="xoxb-e2e-token", base_url=slack_api_url), signing_secret=secret
    )

    @app.command("/heynow")
    def only_ack(ack: Ack) -> None:
        ack(text=":outbox_tray: Sending…")

    serve_forever(SlackRequestHandler(app, path="/slack/events"), host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
