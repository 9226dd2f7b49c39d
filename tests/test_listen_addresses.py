"""Every server listens on loopback unless RASA_HOST / ACTION_HOST / WEB_HOST say otherwise.

The listening sockets of the live stack's ports are read from the kernel (``/proc/net/tcp*``).
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import List
from urllib.parse import urlsplit

import pytest

from bot import settings
from tests.support.stack import LiveStack

LISTEN = "0A"


def listening_addresses(port: int) -> List[str]:
    """The local addresses of the sockets listening on ``port`` (IPv4 and IPv6)."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if family == socket.AF_INET:
                raw = struct.pack("<I", struct.unpack(">I", raw)[0])
            else:  # four little-endian 32-bit words
                raw = b"".join(struct.pack("<I", w) for w in struct.unpack(">4I", raw))
            found.append(socket.inet_ntop(family, raw))
    return found


@pytest.mark.rasa_server
@pytest.mark.parametrize("server", ["rasa_url", "action_url", "web_url"])
def test_the_servers_listen_on_loopback_only(live_stack: LiveStack, server: str) -> None:
    port = urlsplit(getattr(live_stack, server)).port
    assert listening_addresses(port) == ["127.0.0.1"], server


def test_the_addresses_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RASA_HOST", "ACTION_HOST", "WEB_HOST"):
        monkeypatch.delenv(name, raising=False)
    loaded = settings.load()
    assert (loaded.rasa_host, loaded.action_host, loaded.web_host) == ("127.0.0.1",) * 3
    monkeypatch.setenv("RASA_HOST", "0.0.0.0")
    monkeypatch.setenv("ACTION_HOST", "10.0.0.5")
    monkeypatch.setenv("WEB_HOST", "::")
    loaded = settings.load()
    assert (loaded.rasa_host, loaded.action_host, loaded.web_host) == ("0.0.0.0", "10.0.0.5", "::")
