"""Local mode: try the bot without a Slack workspace.

A stand-in for the Slack Web API records what the app posts (and prints it, in local mode), and
a console turns lines typed in the terminal into slash commands signed as Slack signs them.
"""
