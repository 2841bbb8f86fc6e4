"""Slack: what the app shows (rendering, forms) and the outbox poster that shows it."""
