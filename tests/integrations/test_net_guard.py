"""The outbound address guard: every spelling of an inside address is refused, names are judged by
what they resolve to at connect time, the operator's allowlist admits exactly what it lists, and
the connection goes to the address that was checked, with TLS checking the name.

No test here sends traffic anywhere but loopback: names go to a fake resolver, refused addresses
are refused before any connection is tried.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from nyx_app.integrations import net_guard
from nyx_app.integrations.net_guard import GuardedTransport, Policy, RefusedAddress
from nyx_app.settings import Settings, parse_allowed_host
from tests.fakes.dns import FakeDNS, fake_dns
from tests.fakes.llm_server import FakeLLM, answer

__all__ = ["fake_dns"]

CLOSED = Policy()  # the production policy with nothing allowed


def allowing(*entries: str, loopback: bool = False) -> Policy:
    return Policy(tuple(parse_allowed_host(e) for e in entries), loopback)


async def _refusal(host: str, policy: Policy = CLOSED, port: int = 80) -> RefusedAddress:
    with pytest.raises(RefusedAddress) as caught:
        await net_guard.checked_addresses(host, port, policy)
    return caught.value


@pytest.mark.parametrize(
    ("host", "kind", "address"),
    [
        ("169.254.169.254", "cloud metadata", "169.254.169.254"),
        ("2852039166", "cloud metadata", "169.254.169.254"),  # integer
        ("0xa9fea9fe", "cloud metadata", "169.254.169.254"),  # hex
        ("0251.0376.0251.0376", "cloud metadata", "169.254.169.254"),  # octal, dotted
        ("169.254.169.254.", "cloud metadata", "169.254.169.254"),  # trailing dot
        ("[::ffff:169.254.169.254]", "cloud metadata", "169.254.169.254"),  # IPv4-mapped IPv6
        ("[::ffff:a9fe:a9fe]", "cloud metadata", "169.254.169.254"),
        ("[64:ff9b::a9fe:a9fe]", "cloud metadata", "64:ff9b::a9fe:a9fe"),  # NAT64
        ("[2002:a9fe:a9fe::1]", "cloud metadata", "2002:a9fe:a9fe::1"),  # 6to4
        ("[fd00:ec2::254]", "cloud metadata", "fd00:ec2::254"),  # AWS IMDS over IPv6
        ("100.100.100.200", "cloud metadata", "100.100.100.200"),  # Alibaba
        ("192.0.0.192", "cloud metadata", "192.0.0.192"),  # Oracle
        ("168.63.129.16", "cloud metadata", "168.63.129.16"),  # Azure WireServer
        ("169.254.10.1", "link-local", "169.254.10.1"),
        ("[fe80::1]", "link-local", "fe80::1"),
        ("127.0.0.1", "loopback", "127.0.0.1"),
        ("127.1", "loopback", "127.0.0.1"),
        ("0x7f000001", "loopback", "127.0.0.1"),
        ("2130706433", "loopback", "127.0.0.1"),
        ("0177.0.0.1", "loopback", "127.0.0.1"),
        ("[::1]", "loopback", "::1"),
        ("[::ffff:127.0.0.1]", "loopback", "127.0.0.1"),
        ("0.0.0.0", "unspecified", "0.0.0.0"),
        ("[::]", "unspecified", "::"),
        ("10.1.2.3", "private", "10.1.2.3"),
        ("172.16.5.4", "private", "172.16.5.4"),
        ("192.168.1.10", "private", "192.168.1.10"),
        ("[fd12:3456::1]", "private", "fd12:3456::1"),
        ("[::10.0.0.1]", "private", "10.0.0.1"),  # IPv4-compatible IPv6
        ("100.64.0.1", "shared (carrier-grade NAT)", "100.64.0.1"),
        ("224.0.0.251", "multicast", "224.0.0.251"),
        ("[ff02::1]", "multicast", "ff02::1"),
        ("240.0.0.1", "reserved", "240.0.0.1"),
        ("255.255.255.255", "reserved", "255.255.255.255"),
        ("198.18.0.1", "reserved", "198.18.0.1"),
        ("[2001:db8::1]", "reserved", "2001:db8::1"),
    ],
)
async def test_every_spelling_of_an_inside_address_is_refused(
    fake_dns: FakeDNS, host: str, kind: str, address: str
) -> None:
    refused = await _refusal(host)
    assert refused.category == kind
    assert f"This endpoint is {'an' if kind[0] in 'aeiou' else 'a'} {kind} address ({address})" in refused.message
    assert fake_dns.lookups == []  # literals never reach the resolver


@pytest.mark.parametrize("host", ["8.8.8.8", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]", "93.184.216.34"])
async def test_public_addresses_pass(fake_dns: FakeDNS, host: str) -> None:
    assert await net_guard.checked_addresses(host, 443, CLOSED)
    assert fake_dns.lookups == []


async def test_names_are_judged_by_every_address_they_resolve_to(fake_dns: FakeDNS) -> None:
    fake_dns.add("evil.nip.io", "10.0.0.1")
    fake_dns.add("mixed.example", "93.184.216.34", "10.0.0.1")
    fake_dns.add("v6.example", "fd00:ec2::254")
    fake_dns.add("public.example", "93.184.216.34", "2606:2800:220:1::1")

    refused = await _refusal("evil.nip.io")
    assert refused.message == (
        "This endpoint resolves to a private address (10.0.0.1), which this server does not call. "
        "An operator can allow it with NYX_LLM_ALLOWED_HOSTS."
    )
    assert (await _refusal("mixed.example")).address == "10.0.0.1"  # one inside answer is enough
    assert (await _refusal("v6.example")).category == "cloud metadata"
    assert [str(a) for a in await net_guard.checked_addresses("public.example", 443, CLOSED)] == [
        "93.184.216.34",
        "2606:2800:220:1::1",
    ]


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("metadata.google.internal", "cloud metadata"),
        ("metadata.google.internal.", "cloud metadata"),
        ("METADATA.google.internal", "cloud metadata"),
        ("localhost", "loopback"),
        ("localhost.", "loopback"),
        ("api.localhost", "loopback"),
    ],
)
async def test_names_that_mean_inside_are_refused_without_asking_dns(fake_dns: FakeDNS, host: str, kind: str) -> None:
    refused = await _refusal(host)
    assert refused.category == kind and "resolves to" in refused.message
    assert fake_dns.lookups == []


async def test_metadata_needs_its_exact_address_in_the_allowlist(fake_dns: FakeDNS) -> None:
    fake_dns.add("metadata.internal", "169.254.169.254")
    wide = allowing("169.254.0.0/16", "metadata.internal", "metadata.google.internal", "100.64.0.0/10")
    for host in ("169.254.169.254", "metadata.internal", "metadata.google.internal", "100.100.100.200"):
        refused = await _refusal(host, wide)
        assert "only by listing that exact address in NYX_LLM_ALLOWED_HOSTS" in refused.message
    exact = allowing("169.254.169.254")
    assert await net_guard.checked_addresses("metadata.internal", 80, exact)
    assert await net_guard.checked_addresses("[::ffff:169.254.169.254]", 80, exact)
    assert await net_guard.checked_addresses("100.64.3.4", 80, wide)  # CGNAT itself may be listed


async def test_allowlist_admits_names_addresses_ports_and_networks(fake_dns: FakeDNS) -> None:
    fake_dns.add("ollama.internal", "10.0.0.7")
    fake_dns.add("other.internal", "10.0.0.7")
    policy = allowing("ollama.internal", "10.0.0.5:11434", "[fd00::5]:8000", "10.9.0.0/16")

    assert await net_guard.checked_addresses("ollama.internal.", 11434, policy)  # any port, trailing dot
    assert (await _refusal("other.internal", policy)).address == "10.0.0.7"  # same address, other name
    assert await net_guard.checked_addresses("10.0.0.5", 11434, policy)
    assert await net_guard.checked_addresses("[::ffff:10.0.0.5]", 11434, policy)
    await _refusal("10.0.0.5", policy, port=8000)
    assert await net_guard.checked_addresses("[fd00::5]", 8000, policy)
    await _refusal("[fd00::5]", policy, port=8001)
    assert await net_guard.checked_addresses("10.9.200.1", 443, policy)
    await _refusal("10.8.0.1", policy)


async def test_development_allows_loopback_only(fake_dns: FakeDNS) -> None:
    dev = Policy.from_settings(Settings(environment="development", llm_allowed_hosts=""))
    assert dev.allow_loopback
    assert await net_guard.checked_addresses("127.0.0.1", 11434, dev)
    fake_dns.add("localhost", "127.0.0.1", "::1")
    assert len(await net_guard.checked_addresses("localhost", 11434, dev)) == 2
    assert (await _refusal("10.0.0.1", dev)).category == "private"
    assert (await _refusal("169.254.169.254", dev)).category == "cloud metadata"


# -- the transport: what a request really does --------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def _chat(base: str) -> httpx.Request:
    return httpx.Request("POST", f"{base}/v1/chat/completions", json={"model": "m", "messages": []})


async def _send(transport: GuardedTransport, request: httpx.Request) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        return await client.send(request)


async def test_transport_refuses_before_connecting(fake: FakeLLM) -> None:
    with pytest.raises(httpx.ConnectError) as caught:
        await _send(GuardedTransport(CLOSED), _chat(fake.url))
    assert net_guard.refusal_in(caught.value) is not None
    assert "loopback address (127.0.0.1)" in str(caught.value)
    assert fake.calls() == 0

    response = await _send(GuardedTransport(allowing("127.0.0.1")), _chat(fake.url))
    assert response.status_code == 200 and fake.calls() == 1


async def test_transport_connects_to_the_address_it_checked(fake: FakeLLM, fake_dns: FakeDNS) -> None:
    fake_dns.add("fake-llm.internal", "127.0.0.1")
    port = fake.url.rsplit(":", 1)[1]
    response = await _send(GuardedTransport(allowing("fake-llm.internal")), _chat(f"http://fake-llm.internal:{port}"))
    assert response.status_code == 200
    assert fake.requests[0].headers["host"] == f"fake-llm.internal:{port}"
    assert fake_dns.lookups == ["fake-llm.internal"]  # resolved once, by the guard, not again by the socket


async def test_a_name_that_turns_inward_after_the_save_check_is_refused_at_call_time(
    fake: FakeLLM, fake_dns: FakeDNS
) -> None:
    """DNS rebinding: public when the endpoint is saved, loopback when it is called."""
    fake_dns.play("rebind.example", ["93.184.216.34"], ["127.0.0.1"])
    port = fake.url.rsplit(":", 1)[1]
    await net_guard.check_url(f"http://rebind.example:{port}/v1", CLOSED)  # passes: public now
    with pytest.raises(httpx.ConnectError) as caught:
        await _send(GuardedTransport(CLOSED), _chat(f"http://rebind.example:{port}"))
    refused = net_guard.refusal_in(caught.value)
    assert refused is not None and refused.message.startswith("This endpoint resolves to a loopback address")
    assert fake.calls() == 0


async def test_check_url_lets_an_unresolvable_name_pass(fake_dns: FakeDNS) -> None:
    await net_guard.check_url("https://not-yet.example/v1", CLOSED)  # the call will say it
    with pytest.raises(RefusedAddress):
        await net_guard.check_url("http://[::ffff:10.0.0.1]:8000/v1", CLOSED)


# -- TLS verifies the name, not the address connected to ------------------------------------------


def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """HTTPS on 127.0.0.1 with a certificate for llm.internal only (no IP in it)."""
    cert, key = _certificate(tmp_path, "llm.internal")

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), cert
    server.shutdown()
    server.server_close()


async def test_tls_checks_the_host_name_while_connecting_to_the_checked_address(
    tls_server: tuple[int, Path], fake_dns: FakeDNS
) -> None:
    port, cert = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    fake_dns.add("llm.internal", "127.0.0.1")
    fake_dns.add("wrong-name.internal", "127.0.0.1")
    policy = allowing("127.0.0.1")

    ok = await _send(GuardedTransport(policy, verify=trust), httpx.Request("GET", f"https://llm.internal:{port}/"))
    assert ok.text == "ok"
    # Same address, a name the certificate does not hold: verification fails, as it must.
    with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
        await _send(
            GuardedTransport(policy, verify=trust), httpx.Request("GET", f"https://wrong-name.internal:{port}/")
        )


async def test_redirects_to_inside_are_never_reached(fake: FakeLLM) -> None:
    """Even a client that follows redirects cannot use one to reach inside: each hop is checked."""
    from tests.fakes.llm_server import redirect

    fake.script("m", redirect("http://169.254.169.254/latest/meta-data/"), then=answer())
    async with httpx.AsyncClient(transport=GuardedTransport(allowing("127.0.0.1")), follow_redirects=True) as client:
        with pytest.raises(httpx.ConnectError, match=r"cloud metadata address \(169.254.169.254\)"):
            await client.send(_chat(fake.url))
