"""heynow-slack: a Slack app that talks to customers through the Hey Now messaging platform."""
