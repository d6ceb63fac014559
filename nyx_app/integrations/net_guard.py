"""Outbound calls to addresses a tenant chose (LLM endpoints) never reach inside the network.

The rule: a request goes out only to addresses that are globally reachable. Private, loopback,
link-local, cloud metadata, shared (CGNAT), multicast, unspecified and reserved ranges are refused,
in IPv4 and IPv6, and also when an IPv6 address carries an IPv4 one (mapped, compatible, 6to4,
NAT64). An operator admits internal hosts with ``NYX_LLM_ALLOWED_HOSTS`` (a name, an address, a
network, each optionally with a port); link-local and metadata addresses pass only when listed by
their exact address. In development loopback passes too (a local Ollama or test server).

Why: anyone who can register can set an endpoint's base URL, and the server calls it with its own
network position and shows the error text back. Without this, the Providers page is a proxy into
the cloud metadata service and every internal HTTP service.

How: the decision is taken on the addresses each connection actually uses. ``GuardedTransport``
is an httpx transport whose connection pool has a network backend that resolves the host itself,
checks every answer (one refused answer refuses the host: no gamble on which one is used), and
connects to a checked address, so a DNS answer that changes between check and connect
(rebinding) gains nothing. TLS still verifies the original host name, which httpcore passes
separately. Redirects are the client's business: the LLM adapter turns them off, and any hop that
is followed still comes through this check. Saving an endpoint runs the same check early
(``check_url``) so the user sees the refusal next to the form; the call-time check is the one that
counts.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from nyx_app.settings import AllowedHost, Settings, get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_SETTING = "NYX_LLM_ALLOWED_HOSTS"
SAVE_RESOLVE_TIMEOUT_S = 3.0


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Refused however the operator lists networks; only an exact address entry admits them.
METADATA = _nets(
    "169.254.169.254/32",  # AWS, GCP, Azure, DigitalOcean, OpenStack
    "169.254.170.2/32",  # AWS ECS task metadata
    "168.63.129.16/32",  # Azure WireServer (a public address that only reaches the host)
    "100.100.100.200/32",  # Alibaba Cloud
    "192.0.0.192/32",  # Oracle Cloud
    "fd00:ec2::254/128",  # AWS IMDS over IPv6
    "fd20:ce::254/128",  # GCP metadata over IPv6
)
LINK_LOCAL = _nets("169.254.0.0/16", "fe80::/10")
HARD = {"cloud metadata", "link-local"}
# Checked in order; the first match names the range in the message.
RANGES: tuple[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]], ...] = (
    ("cloud metadata", METADATA),
    ("link-local", LINK_LOCAL),
    ("loopback", _nets("127.0.0.0/8", "::1/128")),
    ("unspecified", _nets("0.0.0.0/8", "::/128")),  # 0.0.0.0 reaches loopback on Linux
    ("private", _nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("shared (carrier-grade NAT)", _nets("100.64.0.0/10")),
    ("multicast", _nets("224.0.0.0/4", "ff00::/8")),
    (
        "reserved",
        _nets(
            "192.0.0.0/24",
            "192.0.2.0/24",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "240.0.0.0/4",
            "100::/64",
            "2001::/23",
            "2001:db8::/32",
            "fec0::/10",
            "64:ff9b:1::/48",
        ),
    ),
)
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOCALHOST_NAMES = re.compile(r"^(.+\.)?localhost$")
METADATA_NAMES = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
}
# What inet_aton reads: digits, hex, dots (it also takes trailing garbage, which this excludes).
INET_ATON_CHARS = re.compile(r"^[0-9a-fx.]+$")


class RefusedAddress(httpcore.ConnectError):
    """The host is, or resolves to, an address this server does not call. The message is for users."""

    def __init__(self, message: str, host: str, address: str, category: str) -> None:
        super().__init__(message)
        self.message, self.host, self.address, self.category = message, host, address, category


def parse_literal(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, in every spelling the system resolver reads
    without asking DNS: ``[::ffff:a.b.c.d]``, ``127.1``, ``0x7f000001``, ``2130706433``, octal
    ``0177.0.0.1``, a trailing dot. None for a host name."""
    text = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if INET_ATON_CHARS.match(text) and any(c.isdigit() for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to: mapped, compatible (::a.b.c.d), 6to4, NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if _compatible(ip) or ip in NAT64:
        return ipaddress.IPv4Address(ip.packed[12:])
    return None


def _compatible(ip: ipaddress.IPv6Address) -> bool:
    return ip.packed[:12] == bytes(12) and int(ip) > 1  # ::a.b.c.d, not :: or ::1


def canonical(ip: IPAddress) -> IPAddress:
    """The address a connection really goes to (::ffff:10.0.0.5 is 10.0.0.5), without a zone."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if _compatible(ip):
            return ipaddress.IPv4Address(ip.packed[12:])
        return ipaddress.IPv6Address(int(ip))  # drops a %zone
    return ip


def category(ip: IPAddress) -> str | None:
    """Why this address is not called ("private", "cloud metadata", …), or None if it may be."""
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ipaddress.IPv6Address(int(ip))  # drops a %zone
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        candidates.insert(0, inner)
    for candidate in candidates:
        for name, networks in RANGES:
            if any(candidate.version == net.version and candidate in net for net in networks):
                return name
    return None if all(c.is_global for c in candidates) else "reserved"


@dataclass(frozen=True, slots=True)
class Policy:
    allowed: tuple[AllowedHost, ...] = ()
    allow_loopback: bool = False

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Policy:
        settings = settings or get_settings()
        return cls(tuple(settings.llm_allowed_hosts), settings.llm_allows_loopback)

    def _listed(self, host: str, port: int | None, ip: IPAddress, kind: str) -> bool:
        name, ip = host.lower().rstrip("."), canonical(ip)
        return any(_admits(entry, name, port, ip, kind) for entry in self.allowed)

    def check(self, host: str, port: int | None, ip: IPAddress, *, named: bool) -> None:
        """Raise RefusedAddress unless ``host`` (which resolved to ``ip``) may be called."""
        kind = category(ip)
        if kind is None or self._listed(host, port, ip, kind):
            return
        if kind == "loopback" and self.allow_loopback:
            return
        raise RefusedAddress(refusal_message(kind, str(canonical(ip)), named=named), host, str(ip), kind)


def _admits(entry: AllowedHost, name: str, port: int | None, ip: IPAddress, kind: str) -> bool:
    if entry.port is not None and entry.port != port:
        return False
    if entry.exact:
        return entry.network is not None and canonical(entry.network.network_address) == ip
    if kind in HARD:
        return False  # a name or a network never admits link-local or metadata addresses
    if entry.name:
        return entry.name == name
    return entry.network is not None and ip.version == entry.network.version and ip in entry.network


def refusal_message(kind: str, address: str, *, named: bool) -> str:
    verb = "resolves to" if named else "is"
    article = "an" if kind[0] in "aeiou" else "a"
    how = (
        f"An operator can allow it only by listing that exact address in {ALLOW_SETTING}."
        if kind in HARD
        else f"An operator can allow it with {ALLOW_SETTING}."
    )
    return f"This endpoint {verb} {article} {kind} address ({address}), which this server does not call. {how}"


def _check_name(host: str, port: int | None, policy: Policy) -> None:
    """Names that mean an inside address without asking DNS (and must not be asked about)."""
    name = host.lower().rstrip(".")
    if name in METADATA_NAMES:
        policy.check(host, port, ipaddress.IPv4Address("169.254.169.254"), named=True)
    elif LOCALHOST_NAMES.match(name):
        policy.check(host, port, ipaddress.IPv4Address("127.0.0.1"), named=True)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for ``host`` (tests replace this function)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


async def checked_addresses(host: str, port: int, policy: Policy, timeout: float | None = None) -> list[IPAddress]:
    """The addresses to connect to, all of them allowed by ``policy``; raises RefusedAddress."""
    literal = parse_literal(host)
    if literal is not None:
        policy.check(host, port, literal, named=False)
        return [literal]
    _check_name(host, port, policy)
    try:
        with anyio.fail_after(timeout):
            addresses = await resolve(host.rstrip("."), port)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"Looking up {host} took longer than {timeout:g} s.") from None
    except OSError as exc:  # socket.gaierror
        raise httpcore.ConnectError(f"The host name {host} could not be resolved ({exc.strerror or exc}).") from exc
    if not addresses:
        raise httpcore.ConnectError(f"The host name {host} has no address.")
    for ip in addresses:
        policy.check(host, port, ip, named=True)
    return addresses


async def check_url(url: str, policy: Policy | None = None) -> None:
    """Early check when an endpoint is saved: raises RefusedAddress. A name that does not resolve
    (yet) passes; the call will say so. ``url`` must already be a parsed http(s) URL."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        await checked_addresses(host, port, policy or Policy.from_settings(), SAVE_RESOLVE_TIMEOUT_S)
    except RefusedAddress:
        raise
    except (httpcore.ConnectError, httpcore.ConnectTimeout):
        return


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend: resolve, check every address, connect to a checked one."""

    def __init__(self, policy: Policy | None = None) -> None:
        self._policy = policy  # None: read the settings at each connection
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self._policy or Policy.from_settings(), timeout)
        failure: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Unix sockets are not called for tenant-chosen endpoints.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@lru_cache(maxsize=1)
def _verifying_context() -> ssl.SSLContext:
    """One TLS context for every call: building one loads the CA bundle, ~20 ms of CPU, which
    per call was most of an LLM call's cost in this process. A context is made to be shared."""
    return httpx.create_ssl_context(verify=True)


@lru_cache(maxsize=1)
def _unverified() -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=False)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only where ``Policy`` allows. Not an ``AsyncHTTPTransport``
    on purpose: libraries that mount environment proxies next to one (a proxy would make the
    connection for us, unchecked) leave this alone."""

    def __init__(self, policy: Policy | None = None, *, verify: bool | ssl.SSLContext = True) -> None:
        context = verify if isinstance(verify, ssl.SSLContext) else _verifying_context() if verify else _unverified()
        self._inner = httpx.AsyncHTTPTransport(verify=context, retries=0)
        # httpx takes no network backend, so its pool is replaced by one with ours; httpx keeps
        # mapping requests, responses and exceptions (tests/integrations/test_net_guard.py fails
        # loudly if an httpx upgrade stops using ``_pool``).
        self._inner._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> GuardedTransport:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc_value, traceback)


def refusal_in(exc: BaseException) -> RefusedAddress | None:
    """The RefusedAddress behind an exception that libraries wrapped (cause/context chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RefusedAddress):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
