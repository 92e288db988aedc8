"""A TCP port on 127.0.0.1 that nothing listens on (at the moment it is asked for): for a
server a test starts, or for a service a test wants out of reach (connection refused)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
