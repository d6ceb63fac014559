"""Device cookies: how the login throttle knows a browser that signed in to an account before.

OWASP's answer to lockout as a weapon ("Slow Down Online Guessing Attacks with Device Cookies"):
a browser that once logged in to an account holds a signed cookie saying so, and gets an allowance
of failed logins of its own (``throttle.LOGIN_DEVICE``). A stranger's wrong passwords, which never
carry such a cookie, fill only the pools of browsers without one, so they can no longer keep the
rightful owner out: the owner's browser is a known device.

The cookie (``routes.DEVICE_COOKIE``, HttpOnly, sent only to ``/api/auth/``) holds one entry per
account, newest first, at most ``MAX_ACCOUNTS``. An entry is ``account.nonce.issued.signature``:
``account`` is a keyed hash of the normalised e-mail (the cookie does not say whose it is),
``nonce`` names this device (its failures are counted under it), ``issued`` is when it was
issued (entries older than ``device_cookie_days`` are void), and the signature is an HMAC with a
key derived from ``NYX_SECRET_KEY``, so nobody can make one without a successful login. Every
successful login issues a fresh entry (a new nonce) for that account.

Stateless by design: nothing is stored per device. A leaked device cookie is worth an allowance
of guesses (``throttle_login_per_device`` per window), never a login.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from nyx_app.settings import get_settings

MAX_ACCOUNTS = 5
_SEPARATOR = "~"
_ENTRY = re.compile(r"([0-9a-f]{32})\.([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([0-9a-f]{64})")
COOKIE_MAX_CHARS = 2048


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    nonce: str
    issued: int

    @property
    def text(self) -> str:
        payload = f"{self.account}.{self.nonce}.{self.issued}"
        return f"{payload}.{_sign(payload)}"


def _key() -> bytes:
    return hashlib.sha256(b"nyx-device-cookie\x00" + get_settings().secret_key.encode()).digest()


def _sign(payload: str) -> str:
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def account_tag(account: str) -> str:
    """The account as the cookie names it: a keyed hash of the normalised e-mail."""
    return hmac.new(_key(), b"account\x00" + account.encode(), hashlib.sha256).hexdigest()[:32]


def _entries(cookie: str) -> list[Entry]:
    """The cookie's entries whose signature holds and that have not expired; the rest are ignored."""
    oldest = time.time() - get_settings().device_cookie_days * 86400
    found: list[Entry] = []
    for raw in (cookie or "")[:COOKIE_MAX_CHARS].split(_SEPARATOR)[:MAX_ACCOUNTS]:
        match = _ENTRY.fullmatch(raw)
        if match is None:
            continue
        account, nonce, issued, signature = match.groups()
        if not hmac.compare_digest(signature, _sign(f"{account}.{nonce}.{issued}")) or int(issued) < oldest:
            continue
        found.append(Entry(account, nonce, int(issued)))
    return found


def known_device(cookie: str, account: str) -> str | None:
    """The device's nonce if ``cookie`` holds a valid entry for ``account`` (a normalised e-mail)."""
    tag = account_tag(account)
    return next((e.nonce for e in _entries(cookie) if e.account == tag), None)


def issue(cookie: str, account: str) -> str:
    """The cookie's new value after a successful login to ``account``: a fresh entry for it first,
    then the browser's other valid accounts (the oldest dropped beyond ``MAX_ACCOUNTS``)."""
    tag = account_tag(account)
    fresh = Entry(tag, secrets.token_urlsafe(16), int(time.time()))
    others = [e for e in _entries(cookie) if e.account != tag]
    return _SEPARATOR.join(e.text for e in [fresh, *others][:MAX_ACCOUNTS])


def max_age_seconds() -> int:
    return get_settings().device_cookie_days * 86400
