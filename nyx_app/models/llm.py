"""LLM provider credentials, the attempt log of every LLM call, and per-tenant LLM settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, DateTime, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict, empty_list, utcnow

PROVIDER_NAME_MAX = 40
BASE_URL_MAX = 300
MODEL_ID_MAX = 120
STATUS_MESSAGE_MAX = 500
ERROR_MESSAGE_MAX = 1000


class ProviderStatus(StrEnum):
    """A provider's health as the Providers page shows it: the outcome of its latest call."""

    OK = "ok"
    UNTESTED = "untested"
    OUT_OF_CREDIT = "out_of_credit"
    INVALID_KEY = "invalid_key"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    ADDRESS_REFUSED = "address_refused"  # the endpoint is (or resolves to) an address not called
    REQUEST_REFUSED = "request_refused"  # the provider refused the request (bad request, too long)
    ANSWER_PROBLEM = "answer_problem"  # empty, garbled or rejected answer


class AttemptStatus(StrEnum):
    """How one attempt at one provider ended (``llm_call.status``)."""

    OK = "ok"
    FAILED = "failed"
    REFUSED = "refused"  # over budget: nothing was sent
    SKIPPED = "skipped"  # the provider asked (retry-after) not to be called yet


class ProviderCredential(IdMixin, TenantMixin, TimestampMixin, table=True):
    """One provider account of a tenant: a built-in provider or an OpenAI-compatible endpoint.

    ``name`` is how model references address it ("anthropic", or e.g. "ollama" for an endpoint).
    The key is stored only Fernet-encrypted; ``key_last4`` is all the UI ever shows of it.
    """

    __tablename__ = "provider_credential"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    provider: str = Field(max_length=32)  # anthropic | openai | gemini | openai_compatible
    name: str = Field(max_length=PROVIDER_NAME_MAX)
    base_url: str = Field(default="", max_length=BASE_URL_MAX)
    key_ciphertext: str = Field(default="")
    key_last4: str = Field(default="", max_length=4)
    # Model ids an OpenAI-compatible endpoint serves (the catalog cannot know them).
    models: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(MODEL_ID_MAX)))
    # What the tenant pays for an endpoint's models, USD per million tokens, as decimal strings:
    # {"llama3.1:8b": {"input": "0.2", "output": "0.6"}}. A model not listed has an unknown price.
    model_prices: dict[str, Any] = Field(
        default_factory=empty_dict, sa_type=JSONB, sa_column_kwargs={"server_default": text("'{}'")}
    )
    # A plain VARCHAR (sa_type), not a database enum: adding a status needs no migration.
    status: ProviderStatus = Field(default=ProviderStatus.UNTESTED, sa_type=String(20))
    status_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The last error stays visible after a later success, so a flaky provider shows its history.
    last_error: str = Field(default="", max_length=STATUS_MESSAGE_MAX)
    last_error_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_ok_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # A rate-limited provider asked not to be called before this moment (its retry-after).
    retry_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LlmCall(IdMixin, TenantMixin, table=True):
    """One attempt at one provider. The attempts of one logical call share ``call_id``."""

    __tablename__ = "llm_call"
    __table_args__ = (Index("ix_llm_call_tenant_created", "tenant_id", "created_at"),)

    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    call_id: uuid.UUID = Field(index=True)
    attempt_no: int
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    purpose: str = Field(default="", max_length=60)
    provider: str = Field(max_length=PROVIDER_NAME_MAX)
    model: str = Field(max_length=MODEL_ID_MAX)
    status: AttemptStatus = Field(sa_type=String(12))
    error_kind: str = Field(default="", max_length=30)
    error_message: str = Field(default="", max_length=ERROR_MESSAGE_MAX)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Field(default=Decimal(0), sa_type=Numeric(14, 8))
    latency_ms: int = 0


class LlmReservation(IdMixin, TenantMixin, table=True):
    """The worst-case cost of a call in flight, counted against the budget until its attempt is
    logged (the same transaction deletes it) or it expires (its worker died)."""

    __tablename__ = "llm_reservation"

    call_id: uuid.UUID = Field(index=True)
    amount_usd: Decimal = Field(sa_type=Numeric(14, 8))
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), sa_column_kwargs={"server_default": text("now()")}
    )
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class LlmProviderSlot(IdMixin, TenantMixin, table=True):
    """A call to a tenant's provider account in flight, in any process: at most
    ``NYX_LLM_PROVIDER_CONCURRENCY`` rows per (tenant, provider) (services/engine/limits.py).
    The holder renews ``expires_at`` while it calls; a killed worker's slots expire."""

    __tablename__ = "llm_provider_slot"
    __table_args__ = (Index("ix_llm_provider_slot_tenant_provider", "tenant_id", "provider"),)

    provider: str = Field(max_length=PROVIDER_NAME_MAX)
    holder: str = Field(default="", max_length=200)  # host:pid, for an operator reading the table
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class LlmSpendMonth(SQLModel, table=True):
    """What a tenant's LLM calls cost in one calendar month (UTC). Kept by a trigger on llm_call
    (migration 0013), not by the services: the budget check before every call reads this one row
    instead of summing the month's attempts, which took 100 ms at 200,000 of them."""

    __tablename__ = "llm_spend_month"

    tenant_id: uuid.UUID = Field(primary_key=True, foreign_key="tenant.id", ondelete="CASCADE")
    month: date = Field(primary_key=True)  # its first day
    cost_usd: Decimal = Field(default=Decimal(0), sa_type=Numeric(16, 8))


class TenantLlmSettings(TimestampMixin, table=True):
    """Monthly budget (None: no limit) and the fallback chain, as model references in order."""

    __tablename__ = "tenant_llm_settings"

    tenant_id: uuid.UUID = Field(primary_key=True, foreign_key="tenant.id", ondelete="CASCADE")
    monthly_budget_usd: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    fallback_order: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(200)))


class ProviderPublic(SQLModel):
    """What the browser may see of a credential: never the key, only its last four characters."""

    id: uuid.UUID
    provider: str
    name: str
    base_url: str
    key_last4: str
    models: list[str]
    status: ProviderStatus
    status_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_ok_at: datetime | None
    model_prices: dict[str, Any] = {}
