"""Who holds a lease: `identity:pid:nonce[:claim]`, so a restarted process can tell its dead
predecessor's leases from a live neighbour's (a rolling restart runs two processes on one
database). The identity is the host name, the boot and the PID namespace: two containers that
share a host name (host networking, a fixed `hostname:`) have different PID namespaces, and a
pid means something only inside its own.
"""

from __future__ import annotations

import os
import secrets
import socket
from functools import cache


@cache
def identity() -> str:
    return f"{socket.gethostname()}/{_read('/proc/sys/kernel/random/boot_id')[:8]}/{_pid_ns()}"


def new_owner() -> str:
    return f"{identity()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_gone(owner: str, me: str) -> bool:
    """True only when we know: same host, boot and PID namespace, and the process is gone (or
    is us, reborn: in a container every start is pid 1). Elsewhere the lease's expiry decides."""
    their_identity, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if their_identity != identity() or not pid_text.isdigit() or owner.startswith(me):
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


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return "?"


def _pid_ns() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "?"
