"""Where a project's clone lives: ``<data_dir>/repos/<database>/<tenant>/<project>/git``.

Built from ids only (never from a URL or a name a user typed), per tenant and project, and
removed with the project after its deletion commits.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import after_commit
from nyx_app.settings import get_settings


def project_dir(tenant_id: uuid.UUID, project_id: uuid.UUID) -> Path:
    settings = get_settings()
    return settings.data_dir / "repos" / settings.database_name / str(tenant_id) / str(project_id)


def git_dir(tenant_id: uuid.UUID, project_id: uuid.UUID) -> Path:
    return project_dir(tenant_id, project_id) / "git"


async def remove_clone(tenant_id: uuid.UUID, project_id: uuid.UUID) -> None:
    await asyncio.to_thread(shutil.rmtree, project_dir(tenant_id, project_id), True)


def remove_clone_after_commit(session: AsyncSession, tenant_id: uuid.UUID, project_id: uuid.UUID) -> None:
    after_commit(session, lambda: remove_clone(tenant_id, project_id))
