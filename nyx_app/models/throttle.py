"""Counters of recent login failures and registrations (services/throttle.py).

Not tenant-scoped: a bucket is an account, a client address or both, before anyone is signed in.
Keys are SHA-256 hashes, so the table holds no e-mail addresses or IPs in clear.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel


class ThrottleScope(StrEnum):
    LOGIN_ACCOUNT_ADDRESS = "login_account_address"
    LOGIN_ACCOUNT = "login_account"
    LOGIN_ADDRESS = "login_address"
    REGISTER_ADDRESS = "register_address"


class AuthThrottle(SQLModel, table=True):
    __tablename__ = "auth_throttle"

    scope: str = Field(primary_key=True, max_length=24)
    key: str = Field(primary_key=True, max_length=64)
    hits: int = 0
    # The fixed window this count belongs to ends here; a hit after it starts a new window.
    window_ends_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
