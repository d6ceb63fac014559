from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import projects
from nyx_app.settings import get_settings
from tests.factories import Account, TenantFactory
from tests.fakes.git_server import GitServer


@pytest.fixture
def git_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Plain http on loopback (the fake git host), and a small file-size limit."""
    monkeypatch.setenv("NYX_GIT_PROTOCOLS", "https,http")
    monkeypatch.setenv("NYX_GIT_MAX_FILE_KB", "64")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def git_server(tmp_path: Path, git_settings: None) -> Iterator[GitServer]:
    root = tmp_path / "served"
    root.mkdir()
    with GitServer(root).running() as server:
        yield server


async def new_project(tenants: TenantFactory, name: str = "Code") -> tuple[Account, uuid.UUID]:
    acct = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, name, "")
    return acct, project.id
