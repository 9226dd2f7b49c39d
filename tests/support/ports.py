"""Free TCP ports on 127.0.0.1 for the servers a test or a benchmark starts.

Other people's servers on this machine use 5005/5055/8000: ours never take a fixed port.
"""

from __future__ import annotations

import socket
from typing import List


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int, ports: range) -> List[int]:
    """The first ``count`` ports of ``ports`` that nothing listens on (a live test's own range,
    so parallel runs on one machine do not collide)."""
    found: List[int] = []
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"not {count} free ports in {ports}")
