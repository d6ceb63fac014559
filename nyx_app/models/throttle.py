"""Counters of recent login failures, registrations and password-reset requests (services/throttle.py).

Not tenant-scoped: a bucket is an account, a client address or both, before anyone is signed in.
Keys are SHA-256 hashes, so the table holds no e-mail addresses or IPs in clear.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel


class ThrottleScope(StrEnum):
    # Logins from browsers without a device cookie for the account (untrusted).
    LOGIN_ACCOUNT_ADDRESS = "login_account_address"
    LOGIN_ACCOUNT = "login_account"  # the account's untrusted pool, over all addresses
    LOGIN_ADDRESS = "login_address"
    # A browser holding a valid device cookie for the account: its own allowance.
    LOGIN_DEVICE = "login_device"
    # Every failure for the account, known devices included: over its limit, known devices wait.
    LOGIN_ACCOUNT_ALL = "login_account_all"
    REGISTER_ADDRESS = "register_address"
    RESET_ACCOUNT = "reset_account"
    RESET_ADDRESS = "reset_address"


class AuthThrottle(SQLModel, table=True):
    __tablename__ = "auth_throttle"

    scope: str = Field(primary_key=True, max_length=24)
    key: str = Field(primary_key=True, max_length=64)
    hits: int = 0
    # The fixed window this count belongs to ends here; a hit after it starts a new window.
    window_ends_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
