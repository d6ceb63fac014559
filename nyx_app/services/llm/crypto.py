"""Provider keys at rest: Fernet (AES-128-CBC + HMAC-SHA256), key from settings.

NYX_LLM_FERNET_KEY if set; otherwise a key derived from NYX_SECRET_KEY with HKDF, so a
development checkout works without extra set-up while production (which refuses the placeholder
secret) always encrypts with a real secret.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from nyx_app.services.errors import ServiceError
from nyx_app.settings import get_settings


class KeyUnreadable(ServiceError):
    """A stored key cannot be decrypted (the server's secret changed); the user must re-enter it."""


@lru_cache(maxsize=4)
def _fernet(fernet_key: str | None, secret_key: str) -> Fernet:
    if fernet_key:
        return Fernet(fernet_key.encode())
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"nyx provider keys v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _current() -> Fernet:
    settings = get_settings()
    return _fernet(settings.llm_fernet_key, settings.secret_key)


def encrypt_key(plain: str) -> str:
    return _current().encrypt(plain.encode()).decode()


def decrypt_key(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyUnreadable(
            "This provider key can no longer be read (the server's secret key changed). Enter the key again."
        ) from None


def last4(plain: str) -> str:
    return plain[-4:] if len(plain) >= 8 else ""
