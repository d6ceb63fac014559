"""Settings refuse an unusable Fernet key at start-up, with a message that says how to make one."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from nyx_app.settings import Settings


def test_bad_fernet_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="NYX_LLM_FERNET_KEY must be 32 url-safe base64"):
        Settings(llm_fernet_key="not-a-key")


def test_generated_fernet_key_is_accepted() -> None:
    key = Fernet.generate_key().decode()
    assert Settings(llm_fernet_key=key).llm_fernet_key == key


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="NYX_SECRET_KEY"):
        Settings(environment="production")
