"""Provider keys: encrypted at rest, never handed back, replaced and removed by managers only."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nyx_app.db.engine import owner_engine
from nyx_app.db.session import transaction
from nyx_app.integrations import net_guard
from nyx_app.integrations.llm import ErrorKind
from nyx_app.models.llm import ProviderStatus
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotAllowed
from nyx_app.services.llm import credentials, crypto
from nyx_app.settings import Settings
from tests.factories import TenantFactory
from tests.fakes.dns import FakeDNS, fake_dns

__all__ = ["fake_dns"]

KEY = "sk-ant-api03-SECRETSECRETSECRET-wxyz"


def test_encryption_round_trip_and_ciphertext_hides_the_key() -> None:
    token = crypto.encrypt_key(KEY)
    assert KEY not in token and "SECRET" not in token
    assert crypto.decrypt_key(token) == KEY
    assert crypto.encrypt_key(KEY) != token  # Fernet uses a fresh IV each time


def test_key_encrypted_with_another_secret_is_reported_not_crashed() -> None:
    from cryptography.fernet import Fernet

    foreign = Fernet(Fernet.generate_key()).encrypt(b"sk-other").decode()
    with pytest.raises(crypto.KeyUnreadable, match="Enter the key again"):
        crypto.decrypt_key(foreign)


async def test_saved_key_is_stored_encrypted_and_only_last4_is_public(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        public = await credentials.save_key(session, acct.ctx, "anthropic", f"  {KEY}  ")
    assert public.key_last4 == "wxyz" and public.status == ProviderStatus.UNTESTED
    assert KEY not in public.model_dump_json()

    with owner_engine().begin() as conn:  # RLS is forced even for the owner: set the tenant
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acct.ctx.tenant_id)})
        stored = conn.execute(text("SELECT key_ciphertext FROM provider_credential")).scalar_one()
    assert KEY not in stored
    assert crypto.decrypt_key(stored) == KEY

    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        listed = await credentials.list_providers(session, acct.ctx)
        resolved = await credentials.resolve_all(session, acct.ctx)
    assert all(KEY not in p.model_dump_json() for p in listed)
    assert resolved["anthropic"].api_key == KEY


async def test_replace_and_remove(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        first = await credentials.save_key(session, acct.ctx, "openai", "sk-old-key-1111")
        second = await credentials.save_key(session, acct.ctx, "openai", "sk-new-key-2222")
        assert first.id == second.id and second.key_last4 == "2222"
        await credentials.remove_provider(session, acct.ctx, second.id)
        assert await credentials.list_providers(session, acct.ctx) == []


async def test_endpoint_validation(tenants: TenantFactory, fake_dns: FakeDNS) -> None:
    acct = await tenants.create()
    fake_dns.add("vllm.example", "93.184.216.34")
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(InvalidInput, match="http"):
            await credentials.save_endpoint(session, acct.ctx, "local", "ftp://x", "m")
        with pytest.raises(InvalidInput, match="http"):
            await credentials.save_endpoint(session, acct.ctx, "local", "http://vllm.example:port/v1", "m")
        with pytest.raises(InvalidInput, match="key field"):
            await credentials.save_endpoint(session, acct.ctx, "local", "http://sk-123@vllm.example/v1", "m")
        with pytest.raises(InvalidInput, match="built-in"):
            await credentials.save_endpoint(session, acct.ctx, "openai", "http://vllm.example/v1", "m")
        with pytest.raises(InvalidInput, match="at least one model"):
            await credentials.save_endpoint(session, acct.ctx, "local", "http://vllm.example/v1", " , ")
        ep = await credentials.save_endpoint(session, acct.ctx, "vLLM-Box", "http://vllm.example:8000/v1/", "a, b, a")
    assert (ep.name, ep.base_url, ep.models) == ("vllm-box", "http://vllm.example:8000/v1", ["a", "b"])
    assert ep.key_last4 == ""


async def test_members_cannot_change_keys(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    member = TenantContext(acct.ctx.tenant_id, acct.ctx.user_id, Role.MEMBER)
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(NotAllowed):
            await credentials.save_key(session, member, "openai", "sk-member-1234")


async def test_unknown_provider_refused(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(InvalidInput, match="Anthropic, OpenAI or Google Gemini"):
            await credentials.save_key(session, acct.ctx, "mistral", "sk-1234567890")


def test_configured_fernet_key_is_the_one_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from nyx_app.settings import Settings

    key = Fernet.generate_key()
    monkeypatch.setattr(crypto, "get_settings", lambda: Settings(llm_fernet_key=key.decode()))
    assert Fernet(key).decrypt(crypto.encrypt_key(KEY).encode()).decode() == KEY


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://169.254.169.254/latest", "is a cloud metadata address (169.254.169.254)"),
        ("http://2852039166/v1", "is a cloud metadata address (169.254.169.254)"),
        ("http://0xa9fea9fe/v1", "is a cloud metadata address (169.254.169.254)"),
        ("http://0251.0376.0251.0376/v1", "is a cloud metadata address (169.254.169.254)"),
        ("http://169.254.169.254./v1", "is a cloud metadata address (169.254.169.254)"),
        ("http://[::ffff:169.254.169.254]/v1", "is a cloud metadata address (169.254.169.254)"),
        ("http://[fd00:ec2::254]/v1", "is a cloud metadata address (fd00:ec2::254)"),
        ("http://100.100.100.200/v1", "is a cloud metadata address (100.100.100.200)"),
        ("http://192.0.0.192/v1", "is a cloud metadata address (192.0.0.192)"),
        ("http://metadata.google.internal./", "resolves to a cloud metadata address (169.254.169.254)"),
        ("http://[fe80::1]/v1", "is a link-local address (fe80::1)"),
        ("http://127.1:11434/v1", "is a loopback address (127.0.0.1)"),
        ("http://localhost.:11434/v1", "resolves to a loopback address (127.0.0.1)"),
        ("http://10.1.2.3/v1", "is a private address (10.1.2.3)"),
        ("https://evil.nip.io/v1", "resolves to a private address (10.0.0.1)"),
    ],
)
async def test_inside_addresses_are_refused_next_to_the_form(
    tenants: TenantFactory, fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch, url: str, words: str
) -> None:
    monkeypatch.setattr(net_guard, "get_settings", lambda: Settings(llm_allowed_hosts=""))  # no test exception
    fake_dns.add("evil.nip.io", "10.0.0.1")
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(InvalidInput) as endpoint:
            await credentials.save_endpoint(session, acct.ctx, "local", url, "m")
        with pytest.raises(InvalidInput) as proxy:  # a built-in provider's optional base URL too
            await credentials.save_key(session, acct.ctx, "openai", "sk-test-1234", url)
        assert await credentials.list_providers(session, acct.ctx) == []
    assert endpoint.value.message == proxy.value.message
    assert f"This endpoint {words}, which this server does not call." in endpoint.value.message
    assert "NYX_LLM_ALLOWED_HOSTS" in endpoint.value.message
    assert set(fake_dns.lookups) <= {"evil.nip.io"}  # literal spellings and known names: no lookup


async def test_allowlisted_internal_host_can_be_saved(monkeypatch: pytest.MonkeyPatch, fake_dns: FakeDNS) -> None:
    fake_dns.add("ollama.internal", "10.0.0.7")
    monkeypatch.setattr(net_guard, "get_settings", lambda: Settings(llm_allowed_hosts="ollama.internal,10.0.0.5:8000"))
    assert await credentials.normalise_base_url("http://ollama.internal:11434/v1", required=True)
    assert await credentials.normalise_base_url("http://10.0.0.5:8000/v1", required=True)
    with pytest.raises(InvalidInput, match=r"private address \(10.0.0.5\)"):
        await credentials.normalise_base_url("http://10.0.0.5:9000/v1", required=True)


async def test_development_allows_loopback(monkeypatch: pytest.MonkeyPatch, fake_dns: FakeDNS) -> None:
    monkeypatch.setattr(net_guard, "get_settings", lambda: Settings(environment="development", llm_allowed_hosts=""))
    assert await credentials.normalise_base_url("http://127.0.0.1:11434/v1", required=True)
    with pytest.raises(InvalidInput, match="private address"):
        await credentials.normalise_base_url("http://192.168.1.20:11434/v1", required=True)


async def test_a_name_that_does_not_resolve_yet_can_be_saved(fake_dns: FakeDNS) -> None:
    assert await credentials.normalise_base_url("https://gateway.example.com/v1", required=True)


def test_every_failure_kind_sets_a_status() -> None:
    """The badge always shows the latest outcome; only "over budget" sends nothing to judge by."""
    assert set(ErrorKind) - set(credentials.STATUS_BY_ERROR) == {ErrorKind.BUDGET}
    assert set(credentials.STATUS_LABELS) == set(ProviderStatus)


async def test_status_follows_the_latest_outcome(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await credentials.save_key(session, acct.ctx, "openai", "sk-test-1234")
        for kind, status in [
            (None, ProviderStatus.OK),
            (ErrorKind.EMPTY, ProviderStatus.ANSWER_PROBLEM),
            (None, ProviderStatus.OK),
            (ErrorKind.BAD_RESPONSE, ProviderStatus.ANSWER_PROBLEM),
            (ErrorKind.BAD_REQUEST, ProviderStatus.REQUEST_REFUSED),
            (ErrorKind.ADDRESS_REFUSED, ProviderStatus.ADDRESS_REFUSED),
        ]:
            await credentials.mark_status(session, acct.ctx, "openai", kind, f"said: {kind}")
            [row] = await credentials.list_providers(session, acct.ctx)
            assert row.status == status
            if kind is not None:
                assert row.last_error == f"said: {kind}"


async def test_every_bad_field_of_a_provider_form_is_reported_at_once(tenants: TenantFactory) -> None:
    from nyx_app.services.errors import InvalidFields

    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(InvalidFields) as endpoint:
            await credentials.save_endpoint(session, acct.ctx, "Bad Name!", "ftp://x", " , ")
        with pytest.raises(InvalidFields) as key:
            await credentials.save_key(session, acct.ctx, "nope", "", "gopher://x")
    assert set(endpoint.value.fields) == {"name", "base_url", "models"}
    assert set(key.value.fields) == {"provider", "api_key", "base_url"}
