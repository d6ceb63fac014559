"""A loopback HTTP listener that answers nothing: any request a page or the app makes to it shows
in ``connections`` (and stalls, so a page waiting on it would show that too)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Trap:
    url: str
    connections: list[bytes] = field(default_factory=list)


def _listen() -> Iterator[Trap]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    trap = Trap(f"http://127.0.0.1:{server.getsockname()[1]}")

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            trap.connections.append(conn.recv(1024))

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield trap
    finally:
        server.close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    yield from _listen()


@pytest.fixture(scope="module")
def module_trap() -> Iterator[Trap]:
    yield from _listen()
