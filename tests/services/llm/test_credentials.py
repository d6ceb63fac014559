"""Provider keys: encrypted at rest, never handed back, replaced and removed by managers only."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nyx_app.db.engine import owner_engine
from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotAllowed
from nyx_app.services.llm import credentials, crypto
from tests.factories import TenantFactory

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
    assert public.key_last4 == "wxyz" and public.status == "untested"
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


async def test_endpoint_validation(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        with pytest.raises(InvalidInput, match="http"):
            await credentials.save_endpoint(session, acct.ctx, "local", "ftp://x", "m")
        with pytest.raises(InvalidInput, match="built-in"):
            await credentials.save_endpoint(session, acct.ctx, "openai", "http://localhost:1/v1", "m")
        with pytest.raises(InvalidInput, match="at least one model"):
            await credentials.save_endpoint(session, acct.ctx, "local", "http://localhost:1/v1", " , ")
        ep = await credentials.save_endpoint(session, acct.ctx, "vLLM-Box", "http://10.0.0.5:8000/v1/", "a, b, a")
    assert (ep.name, ep.base_url, ep.models, ep.key_last4) == ("vllm-box", "http://10.0.0.5:8000/v1", ["a", "b"], "")


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
    "url", ["http://169.254.169.254/v1", "http://[fe80::1]/v1", "http://metadata.google.internal/"]
)
def test_cloud_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="not allowed"):
        credentials.normalise_base_url(url, required=True)


def test_private_endpoints_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from nyx_app.settings import Settings

    assert credentials.normalise_base_url("http://127.0.0.1:11434/v1", required=True)
    monkeypatch.setattr(credentials, "get_settings", lambda: Settings(llm_allow_private_endpoints=False))
    for url in ("http://localhost:11434/v1", "http://10.1.2.3/v1", "http://127.0.0.1:8000/v1"):
        with pytest.raises(InvalidInput, match="local or private"):
            credentials.normalise_base_url(url, required=True)
    assert credentials.normalise_base_url("https://gateway.example.com/v1", required=True)
