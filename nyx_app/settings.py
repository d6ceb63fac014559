"""The one settings object. Nothing else in the code base reads the environment.

Values come from environment variables prefixed ``NYX_`` (and the conventional unprefixed
``DATABASE_URL`` / ``APP_DATABASE_URL``). Reading is lazy: importing this module never fails;
``get_settings()`` validates on first use.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, NamedTuple
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-only-change-me"
ROOT_DIR = Path(__file__).resolve().parent.parent

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
HOST_NAME_RE = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")
ALLOWED_HOSTS_EXAMPLE = "ollama.internal, 10.0.0.5:11434, [fd00::5]:8000, 10.1.0.0/16"


class AllowedHost(NamedTuple):
    """One NYX_LLM_ALLOWED_HOSTS entry: a host name, an exact address, or a network; port None = any."""

    name: str = ""
    network: IPNetwork | None = None
    exact: bool = False  # an address, not a network: the only way to admit link-local/metadata
    port: int | None = None


def parse_allowed_host(entry: str) -> AllowedHost:
    """``ollama.internal``, ``ollama.internal:11434``, ``10.0.0.5[:port]``, ``[fd00::5][:port]``,
    ``10.1.0.0/16``. Raises ValueError naming the entry."""
    text = entry.strip().lower()
    try:
        if "/" in text:
            return AllowedHost(network=ipaddress.ip_network(text, strict=False))
        host, port = text, None
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else None
            if rest and port is None:
                raise ValueError(rest)
        elif text.count(":") == 1:
            host, _, raw_port = text.partition(":")
            port = int(raw_port)
        if port is not None and not 0 < port < 65536:
            raise ValueError(port)
        host = host.rstrip(".")
        try:
            return AllowedHost(network=ipaddress.ip_network(host), exact=True, port=port)
        except ValueError:
            if not HOST_NAME_RE.match(host) or host.replace(".", "").isdigit():
                raise
            return AllowedHost(name=host, port=port)
    except ValueError:
        raise ValueError(
            f"NYX_LLM_ALLOWED_HOSTS: {entry!r} is not a host name, address or network "
            f"with an optional port (e.g. {ALLOWED_HOSTS_EXAMPLE})."
        ) from None


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
    db_pool_size: int = 10
    db_max_overflow: int = 20

    secret_key: str = PLACEHOLDER_SECRET
    session_days: int = 14

    # Public origin of the app, as the browser sees it: the only origin allowed to open the
    # websocket, call the API with credentials or post the login forms (CORS, CSRF); an https
    # scheme makes the session cookie Secure. Browser-facing links the backend builds use it too.
    public_url: str = "http://localhost:3000"
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty: the socket's peer is the client, its scheme the scheme.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []

    # Login and registration throttling (services/throttle.py), counted in PostgreSQL so every
    # process sees the same counts. Failed logins per window: per account from one address, per
    # account from all addresses, per address over all accounts; registrations per address.
    throttle_login_window_minutes: int = 15
    throttle_login_per_account_address: int = 5
    throttle_login_per_account: int = 20
    throttle_login_per_address: int = 50
    throttle_registration_window_minutes: int = 60
    throttle_registrations_per_address: int = 10
    # Device cookies (OWASP): a browser that logged in to an account before has its own allowance
    # of failed logins per window; the limits above bind only browsers without one. When the
    # account's failures from everywhere pass ``throttle_login_slow_after``, a known device's
    # attempt waits ``throttle_login_slow_seconds`` first: slowed, never locked out.
    throttle_login_per_device: int = 10
    throttle_login_slow_after: int = 20
    throttle_login_slow_seconds: float = 2.0
    device_cookie_days: int = 365
    # "Forgot password": links work once, for this long; requests per account and per address.
    password_reset_minutes: int = 30
    throttle_reset_window_minutes: int = 60
    throttle_resets_per_account: int = 3
    throttle_resets_per_address: int = 10

    # Outgoing mail (password-reset links). Without a host nothing is sent: the mail's text,
    # link included, is written to the app's log for an operator to pass on (README).
    smtp_host: str | None = None
    smtp_port: int = 587
    # starttls: upgrade a plain connection (port 587); tls: TLS from the start (465); none: loopback only.
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "nyxCore <nyxcore@localhost>"
    smtp_timeout_seconds: float = 10.0

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

    # Memory hub: entries per page of results ("Show more" reads the next page).
    memory_page_size: int = Field(default=50, ge=1, le=100)

    # LLM
    llm_timeout_seconds: float = 60.0
    # Fernet key (urlsafe base64, 32 bytes) for provider keys at rest. Unset: derived from secret_key,
    # so rotating secret_key then makes stored provider keys unreadable (they must be entered again).
    llm_fernet_key: str | None = None
    # A rate-limited or overloaded provider is retried once if it asks to wait at most this long.
    llm_max_retry_wait_seconds: float = 10.0
    llm_retries_per_model: int = 1
    # With a monthly budget, a call whose caller sets no max_tokens is sent with this many, so its
    # worst-case cost is known and reserved before it goes (services/llm/budget.py).
    llm_budget_output_estimate: int = 4096
    # A call that would fit once the calls in flight have settled waits this long for them at most.
    llm_budget_wait_seconds: float = 120.0
    # The Test button on the Providers page gives up after this long (a stalled provider).
    llm_probe_timeout_seconds: float = 10.0
    # LLM endpoints are chosen by tenants, so the server never calls private, loopback, link-local,
    # metadata or reserved addresses (integrations/net_guard.py), except these, comma-separated:
    # a host name (whatever it resolves to), an address, either with ":port", or a network
    # ("ollama.internal, 10.0.0.5:11434, 10.1.0.0/16"). Link-local and cloud metadata addresses pass
    # only when listed by their exact address. In development loopback is allowed as well.
    llm_allowed_hosts: Annotated[tuple[AllowedHost, ...], NoDecode] = ()
    # Replaced by llm_allowed_hosts; still read so that a deployment that set it learns what to do.
    llm_allow_private_endpoints: bool | None = None

    # Code sources (integrations/git.py): git URLs obey the same address rule as LLM endpoints.
    # Schemes git may use, comma-separated: https only unless the operator adds http, ssh or file.
    git_protocols: Annotated[tuple[str, ...], NoDecode] = ("https",)
    git_max_clone_mb: int = 500  # the fetched objects of one repository
    git_max_files: int = 50_000  # files in the synced commit
    git_max_file_kb: int = 1024  # larger files are listed as skipped ("oversized")
    git_timeout_seconds: float = 600.0  # one git command (clone or fetch)
    # Pull requests of auto-fix runs (integrations/github.py): a repository on this host gets one
    # through this REST API (GitHub Enterprise: its host and https://HOST/api/v3). Operator only.
    github_host: str = "github.com"
    github_api_url: str = "https://api.github.com"
    # The repository map (services/code/repo_map.py): tree-sitter runs in limited child processes.
    code_map_workers: int = 1
    code_map_memory_mb: int = 1024  # address space of each (RLIMIT_AS)
    code_map_batch_seconds: float = 60.0  # per batch of files; a batch past it fails the sync in words
    code_map_tokens: int = 2048  # the map's default token budget ({{repo_map}}, the Sources page)

    # Runs (the workflow engine) and their workers.
    run_max_parallel_steps: int = 16  # LLM calls of one run at once
    llm_provider_concurrency: int = 16  # calls to one provider account at once, over all processes
    run_max_images: int = 20  # images sent with one request
    run_max_image_bytes: int = 20 * 1024 * 1024
    run_default_context_tokens: int = 32_000  # context window assumed for models the catalog does not know
    run_stream_flush_seconds: float = 0.3  # how often streamed output is written (and pages told)
    # A run's lease makes taking over a silent worker's run safe (db/lease.py), so it is done fast:
    # a worker silent for worker_stalled_seconds is dead, and every process looks every
    # run_sweep_seconds (a dead or frozen worker's run moves on within ~8 s).
    run_heartbeat_seconds: float = 2.0  # also how soon a frozen executor that woke learns it lost its run
    run_stale_minutes: float = 10.0  # a run without a heartbeat this long, and no worker holding it, fails
    run_max_job_attempts: int = 5  # interruptions after which a run fails instead of resuming again
    run_sweep_seconds: float = 1.0
    run_orphan_sweep_seconds: float = 300.0  # the sweep that visits every tenant runs less often
    worker_in_process: bool = True  # ./scripts/run starts a worker with the web app
    worker_supervised: bool = (
        True  # that worker is a child process restarted when it exits (false: a task in the web process)
    )
    worker_concurrency: int = 8  # jobs (runs) one worker process executes at once
    worker_heartbeat_seconds: float = 1.5
    worker_stalled_seconds: float = 6.0  # a worker silent this long is dead: its runs go to another
    worker_shutdown_seconds: float = 3.0  # below Reflex's 5 s limit for lifespan tasks

    # Scale-out (deploy/SCALING.md). Redis for Reflex's state manager: set, every app process keeps
    # browser state there, so any process behind a load balancer can serve any browser (no sticky
    # sessions). Unset (the default): state lives in the one process, as ./scripts/run needs.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REFLEX_REDIS_URL", "NYX_REDIS_URL"))
    # /readyz gives up on a dependency (database, Redis, storage) after this long.
    ready_timeout_seconds: float = 3.0
    # /metrics (Prometheus) answers only with "Authorization: Bearer <this token>"; unset, it answers
    # only requests from loopback (scrape it through an internal address or set a token).
    metrics_token: SecretStr | None = None

    # User-written computation (prompt templates, output schemas): limits of the process pool
    # it runs in (services/workflows/sandbox.py). A task past them ends its step in words.
    sandbox_seconds: float = 2.0  # per template render or answer check; then its process is killed
    sandbox_memory_mb: int = 512  # address space of each pool process (RLIMIT_AS)
    sandbox_iterations: int = 1_000_000  # loop iterations and macro calls per render
    sandbox_workers: int = 2  # pool processes per web or worker process
    sandbox_nice: int = 10  # their CPU priority below the app's, so pages stay quick while they work
    # Public API (/api/v1) and MCP server (/mcp): calls per tenant per minute, counted in PostgreSQL
    # (every process shares one count); the largest page a list answers; the largest JSON body.
    api_rate_limit_per_minute: int = Field(default=100, ge=1)
    api_page_size_max: int = Field(default=100, ge=1, le=1000)
    api_json_max_bytes: int = 1024 * 1024
    # Webhooks: one attempt's time limit, and the waits before each retry (seconds, comma-separated;
    # a delivery is given up after the last one).
    webhook_timeout_seconds: float = 10.0
    webhook_retry_seconds: Annotated[tuple[float, ...], NoDecode] = (30, 120, 600, 1800, 3600, 10800)
    # Audit log: rows older than this are purged (at least 30 days are always kept).
    audit_retention_days: int = Field(default=365, ge=30)

    @field_validator("webhook_retry_seconds", mode="before")
    @classmethod
    def _split_retries(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return value

    # Policy library (services/policies.py): uploads are read in a child process with these limits.
    policy_max_bytes: int = 10 * 1024 * 1024  # per uploaded file
    policy_max_pages: int = 500  # of a PDF
    policy_max_chars: int = 2_000_000  # of extracted text
    policy_extract_seconds: float = 30.0  # then the reading process is killed
    policy_extract_memory_mb: int = 768

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("NYX_PUBLIC_URL must be an http(s) URL such as https://nyx.example.com")
        return value

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
        if self.llm_allow_private_endpoints:
            raise ValueError(
                "NYX_LLM_ALLOW_PRIVATE_ENDPOINTS is gone: list the internal LLM hosts this server may call in "
                "NYX_LLM_ALLOWED_HOSTS instead (e.g. ollama.internal,10.0.0.5:11434,10.1.0.0/16)."
            )
        return self

    @field_validator("git_protocols", mode="before")
    @classmethod
    def _split_git_protocols(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip().lower() for p in value.split(",") if p.strip())
        return value

    @field_validator("llm_allowed_hosts", mode="before")
    @classmethod
    def _parse_allowed_hosts(cls, value: object) -> object:
        entries = re.split(r"[,\s]+", value) if isinstance(value, str) else value
        if isinstance(entries, list | tuple):
            return tuple(parse_allowed_host(e) if isinstance(e, str) else e for e in entries if e)
        return value

    @property
    def llm_allows_loopback(self) -> bool:
        """Development convenience: a local Ollama or test server without listing it."""
        return self.environment == "development"

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def pg_data_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def storage_dir(self) -> Path:
        return self.files_dir or self.data_dir / "files" / self.database_name

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def public_is_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def allowed_origins(self) -> list[str]:
        """Origins whose pages may use the app with the user's cookie: the public one; on a
        loopback address also its other loopback spellings (a developer opening 127.0.0.1 for
        localhost), which no other site can serve on that port."""
        parts = urlsplit(self.public_origin)
        if (parts.hostname or "") not in _LOOPBACK_NAMES:
            return [self.public_origin]
        port = f":{parts.port}" if parts.port else ""
        return [self.public_origin] + [
            f"{parts.scheme}://{host}{port}"
            for host in ("localhost", "127.0.0.1", "[::1]")
            if f"{parts.scheme}://{host}{port}" != self.public_origin
        ]

    def is_trusted_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


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
