"""A fake resolver for the outbound address guard, so tests never ask real DNS about a name.

``fake_dns`` replaces ``net_guard.resolve``: a name answers with the addresses it was given (the
last answer repeats; a list of answers plays one per lookup, for DNS rebinding), an unknown name
fails like NXDOMAIN, and every lookup is logged.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

from nyx_app.integrations import net_guard


class FakeDNS:
    def __init__(self) -> None:
        self._answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def add(self, name: str, *addresses: str) -> None:
        """``name`` resolves to these addresses, every time."""
        self._answers[name.lower()] = [list(addresses)]

    def play(self, name: str, *answers: list[str]) -> None:
        """One answer per lookup, in order (the last repeats): a name that changes its mind."""
        self._answers[name.lower()] = [list(a) for a in answers]

    async def resolve(self, host: str, port: int) -> list[net_guard.IPAddress]:
        self.lookups.append(host)
        answers = self._answers.get(host.lower().rstrip("."))
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return [ipaddress.ip_address(a) for a in answer]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDNS]:
    dns = FakeDNS()
    monkeypatch.setattr(net_guard, "resolve", dns.resolve)
    yield dns
