"""Who holds a lease: `host:pid:nonce`, so a restarted process can tell its dead predecessor's
leases from a live neighbour's (a rolling restart runs two processes on one database)."""

from __future__ import annotations

import os
import secrets
import socket


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_gone(owner: str, me: str) -> bool:
    """True only when we know: same host, and the process is gone (or is us, reborn: in a
    container every start is pid 1). Elsewhere the lease's expiry decides."""
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or owner == me:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
