"""Background work, claimed from SQLite with leases: sends, status polls, the outbox.

One APScheduler runs what is periodic (status polls, the lease sweep); claim loops run what
must start the moment it is owed (a send right after its ack, a post right after its change).
"""
