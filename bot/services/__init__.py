"""What handlers and jobs call, in Slack-free terms. Services return results; they never post
to Slack (what a change owes Slack is written to the outbox, in the same transaction)."""
