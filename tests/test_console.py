"""The local console in-process: what it prints, and in which order, for a fake app."""

import io
import json
import os
import threading

from bot.httpserver import start_in_thread
from bot.local.console import Console
from bot.local.standin import SlackCall
from tests.e2e.harness import wait_for

POST = SlackCall("chat.postMessage", {"channel": "C0LOCAL", "text": "the channel post"})


def console_for(app):
    server = start_in_thread(app)
    out = io.StringIO()
    console = Console(
        app_url=server.url, standin_url="http://127.0.0.1:9", signing_secret="s", out=out
    )
    return console, out, server


def test_the_ack_is_printed_before_what_the_app_posted_while_answering():
    def app(environ, start_response):
        console.show(POST)  # the background post reaches the stand-in before the ack returns
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"text": "the ack"}).encode()]

    console, out, server = console_for(app)
    try:
        console.command("/heynow send 091000001 hola")
    finally:
        server.stop()
    printed = out.getvalue()
    assert printed.index("the ack") < printed.index("the channel post")


def test_what_comes_while_a_command_is_answered_is_held_and_nothing_is_lost():
    def app(environ, start_response):
        posting = [threading.Thread(target=console.show, args=(POST,)) for _ in range(5)]
        for thread in posting:
            thread.start()
        for thread in posting:
            thread.join()
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b""]

    console, out, server = console_for(app)
    try:
        console.command("/heynow help")
        console.show(POST)  # after the command: printed at once
    finally:
        server.stop()
    printed = out.getvalue()
    assert printed.startswith("(the app answered HTTP 500)")
    assert printed.count("the channel post") == 6


def test_without_a_terminal_what_comes_at_the_prompt_gets_its_own_lines_and_a_new_prompt():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the ack"]

    console, out, server = console_for(app)
    reading, typing = os.pipe()
    stdin = os.fdopen(reading, "r")
    looping = threading.Thread(target=console.loop, args=(stdin,))
    try:
        looping.start()
        wait_for(lambda: out.getvalue().endswith("heynow> "))
        console.show(POST)
        assert out.getvalue().endswith(
            "heynow> \n#C0LOCAL Hey Now:\n    the channel post\nheynow> "
        )
        os.write(typing, b"/heynow help\nexit\n")
        looping.join(5)
        assert out.getvalue().endswith("(only you can see this)\n    the ack\nheynow> ")
    finally:
        os.close(typing)
        looping.join(5)
        stdin.close()
        server.stop()
