"""The one settings object. Nothing else in the code base reads the environment.

Values come from environment variables prefixed ``NYX_`` (and the conventional unprefixed
``DATABASE_URL`` / ``APP_DATABASE_URL``). Reading is lazy: importing this module never fails;
``get_settings()`` validates on first use.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-only-change-me"
ROOT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NYX_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = ROOT_DIR / ".data"

    # Owner role: runs migrations and admin commands. Unset means "use the embedded server".
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "NYX_DATABASE_URL"))
    # App role: not superuser, not owner, NOBYPASSRLS. Derived from database_url when unset.
    app_database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("APP_DATABASE_URL", "NYX_APP_DATABASE_URL")
    )
    database_name: str = "nyx"
    owner_role: str = "nyx_owner"
    owner_password: str = "nyx_owner_dev"
    app_role: str = "nyx_app"
    app_password: str = "nyx_app_dev"
    db_pool_size: int = 5

    secret_key: str = PLACEHOLDER_SECRET
    session_days: int = 14

    # Public origin of the app (used for links the backend builds, e.g. image URLs).
    public_url: str = "http://localhost:3000"

    # Uploads (OWASP file-upload limits).
    storage_backend: Literal["local", "s3"] = "local"
    # Local backend: where files go; unset means <data_dir>/files/<database_name>, so databases
    # sharing a data directory (dev, tests, browser tests) never see each other's files.
    files_dir: Path | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_bucket: str = "nyx-images"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_presign_seconds: int = 300
    upload_max_files: int = 20
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_pixels: int = 40_000_000

    # LLM
    llm_timeout_seconds: float = 60.0
    # Fernet key (urlsafe base64, 32 bytes) for provider keys at rest. Unset: derived from secret_key,
    # so rotating secret_key then makes stored provider keys unreadable (they must be entered again).
    llm_fernet_key: str | None = None
    # A rate-limited or overloaded provider is retried once if it asks to wait at most this long.
    llm_max_retry_wait_seconds: float = 10.0
    llm_retries_per_model: int = 1
    # Output tokens assumed by the budget check when the caller sets no max_tokens.
    llm_budget_output_estimate: int = 1024
    # Tenants may point an endpoint at loopback/private addresses (a local Ollama next to a
    # self-hosted app). A shared deployment should set this to false. Link-local (cloud metadata)
    # addresses are always refused.
    llm_allow_private_endpoints: bool = True

    # PDF export (integrations/pdf.py): Debian's Chromium, and Mermaid's browser bundle, which
    # scripts/lib.sh installs from npm (never a CDN: the machine has no internet).
    pdf_chromium_path: Path = Path("/usr/bin/chromium")
    pdf_mermaid_js: Path = ROOT_DIR / ".tools" / "mermaid" / "mermaid.min.js"
    # Renders at once per process; on 2 cores a third adds nothing (RECIPES.md), so more only queue.
    pdf_max_concurrent_renders: int = 2
    pdf_render_timeout_seconds: float = 90.0
    # Chromium runs at this nice value so the app's own process keeps the CPU while a PDF renders
    # (0 leaves Chromium's priority alone).
    pdf_chromium_nice: int = 10

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                f"NYX_SECRET_KEY is still the development placeholder; set a real secret for {self.environment}."
            )
        if self.llm_fernet_key is not None:
            _check_fernet_key(self.llm_fernet_key)
        return self

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def pg_data_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def storage_dir(self) -> Path:
        return self.files_dir or self.data_dir / "files" / self.database_name


def _check_fernet_key(key: str) -> None:
    import base64
    import binascii

    try:
        ok = len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "NYX_LLM_FERNET_KEY must be 32 url-safe base64-encoded bytes; "
            'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
