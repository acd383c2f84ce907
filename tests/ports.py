"""Free loopback ports for the servers the tests start: one helper for every test file.

The operating system may hand out a port again as soon as the probing socket is closed, so two calls in a
row could give the same port (seen in CI: RASA_PORT and ACTION_PORT both 41539). Every port handed out
here is remembered, and never handed out twice in one test process.
"""
from __future__ import annotations

import socket
import threading
from typing import Set

_given: Set[int] = set()
_lock = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, and that this process has not been given before."""
    with _lock:
        for _ in range(200):
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free port found")
