"""LLM settings: an unusable Fernet key or allowlist entry, or the retired private-endpoint switch,
stop the app at start-up with a message that says what to do."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from nyx_app.integrations.net_guard import Policy
from nyx_app.settings import PLACEHOLDER_SECRET, Settings


def test_bad_fernet_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="NYX_LLM_FERNET_KEY must be 32 url-safe base64"):
        Settings(llm_fernet_key="not-a-key")


def test_generated_fernet_key_is_accepted() -> None:
    key = Fernet.generate_key().decode()
    assert Settings(llm_fernet_key=key).llm_fernet_key == key


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_the_placeholder_secret_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="NYX_SECRET_KEY is still the development placeholder"):
        Settings(environment=environment, secret_key=PLACEHOLDER_SECRET)  # type: ignore[arg-type]


def test_development_accepts_the_placeholder_secret() -> None:
    assert Settings(environment="development", secret_key=PLACEHOLDER_SECRET).secret_key == PLACEHOLDER_SECRET


def test_allowlist_setting_is_read_and_checked() -> None:
    settings = Settings(llm_allowed_hosts="Ollama.Internal., 10.0.0.5:11434 [fd00::5]:8000,10.9.0.0/16")
    policy = Policy.from_settings(settings)
    assert [e.name or str(e.network) for e in policy.allowed] == [
        "ollama.internal",
        "10.0.0.5/32",
        "fd00::5/128",
        "10.9.0.0/16",
    ]
    assert [e.port for e in policy.allowed] == [None, 11434, 8000, None]
    assert not policy.allow_loopback  # only development allows loopback without listing it
    with pytest.raises(ValueError, match="'2852039166' is not a host name, address or network"):
        Settings(llm_allowed_hosts="2852039166")


def test_the_old_switch_is_refused_with_directions() -> None:
    with pytest.raises(ValueError, match="NYX_LLM_ALLOW_PRIVATE_ENDPOINTS is gone: list the internal LLM hosts"):
        Settings(llm_allow_private_endpoints=True)
