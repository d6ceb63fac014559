"""Test database: a fresh `nyx_test` database on the embedded server, migrated with Alembic.

Tests connect as the app role (RLS binds it); set-up and clean-up use the owner role.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

# Before anything reads settings: a database of its own, embedded server, test environment.
os.environ.pop("DATABASE_URL", None)
os.environ.pop("APP_DATABASE_URL", None)
os.environ["NYX_DATABASE_NAME"] = "nyx_test"
os.environ["NYX_ENVIRONMENT"] = "test"
# Outside development the placeholder secret is refused, so the tests bring their own.
os.environ["NYX_SECRET_KEY"] = secrets.token_urlsafe(32)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# The production address policy for LLM endpoints, plus one exception: the fake provider server,
# which listens on 127.0.0.1 (tests/fakes/llm_server.py).
os.environ["NYX_LLM_ALLOWED_HOSTS"] = "127.0.0.1"

import pytest
from sqlalchemy import text

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines, owner_engine
from nyx_app.integrations import pdf
from nyx_app.settings import get_settings
from tests.factories import TenantFactory

pytest_plugins = ["tests.fakes.storage"]


@pytest.fixture(scope="session")
def database() -> Iterator[None]:
    prepare(get_settings(), recreate=True)
    yield


@pytest.fixture
async def db(database: None) -> AsyncIterator[None]:
    """Every test starts from empty tables (owner role: TRUNCATE is not subject to RLS)."""
    with owner_engine().begin() as conn:
        tables = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    yield


@pytest.fixture(scope="session", autouse=True)
async def _dispose_engines_at_end() -> AsyncIterator[None]:
    yield
    await dispose_engines()
    await pdf.close()  # the process's PDF renderer, if a report's PDF was made


@pytest.fixture
def tenants(db: None) -> TenantFactory:
    return TenantFactory()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: sync Playwright keeps an event loop running in the main thread while its
    session-wide browser is open, and async tests cannot start their own loop after that."""
    items.sort(key=lambda item: "e2e" in item.path.parts or item.get_closest_marker("e2e") is not None)
