"""Settings refuse an unusable Fernet key at start-up, with a message that says how to make one."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

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
