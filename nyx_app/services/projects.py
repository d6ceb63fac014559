"""Projects of the current tenant. Every lookup runs under RLS: another tenant's id is "not found"."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.project import (
    DESCRIPTION_MAX,
    GITHUB_PATH_MAX,
    GITHUB_URL_MAX,
    PROJECT_NAME_MAX,
    Project,
)
from nyx_app.services import audit, note_images
from nyx_app.services.code import paths
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
from nyx_app.services.llm import catalog, choice
from nyx_app.services.llm.preferences import known_refs
from nyx_app.services.permissions import Action, require
from nyx_app.services.runs import deletions
from nyx_app.services.validation import Problems, TextKind, optional_text, parse_id, required_text


def display_scan_path(github_path: str) -> str:
    """An empty scan path means the repository root, shown as "/"."""
    return "/" + github_path.strip("/") if github_path.strip("/") else "/"


def normalise_scan_path(path: str) -> str:
    cleaned = optional_text(path, "Scan path", GITHUB_PATH_MAX).strip("/")
    parts = [p for p in cleaned.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise InvalidInput("The scan path cannot contain '.' or '..'.")
    return "/".join(parts)


def normalise_github_url(url: str) -> str:
    cleaned = optional_text(url, "GitHub URL", GITHUB_URL_MAX).rstrip("/")
    if not cleaned:
        return ""
    parsed = urlparse(cleaned)
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.scheme != "https" or parsed.netloc.lower() != "github.com" or len(parts) != 2:
        raise InvalidInput("Enter a GitHub repository URL like https://github.com/owner/repo.")
    return cleaned.removesuffix(".git")


async def list_projects(session: AsyncSession, ctx: TenantContext) -> list[Project]:
    rows = await session.exec(select(Project).order_by(col(Project.updated_at).desc()))
    return list(rows)


async def get_project(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> Project:
    project = await session.get(Project, parse_id(project_id, "Project"))
    if project is None:
        raise NotFound("Project not found.")
    return project


def _taken(name: str) -> str:
    return f"A project named {name!r} already exists. Choose another name."


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:  # created by a concurrent request a moment ago
        raise InvalidFields({"name": _taken(name)}) from None


async def _name_taken(session: AsyncSession, name: str, except_id: uuid.UUID | None = None) -> bool:
    query = select(Project.id).where(Project.name == name)
    if except_id:
        query = query.where(Project.id != except_id)
    return (await session.exec(query)).first() is not None


async def create_project(session: AsyncSession, ctx: TenantContext, name: str, description: str = "") -> Project:
    require(ctx, Action.PROJECT_CREATE)
    problems = Problems()
    checked_name = problems.check("name", required_text, name, "Project name", PROJECT_NAME_MAX)
    checked_description = problems.check(
        "description", optional_text, description, "Description", DESCRIPTION_MAX, kind=TextKind.PROSE
    )
    if checked_name and await _name_taken(session, checked_name):
        problems.add("name", _taken(checked_name))
    problems.raise_if_any()
    assert checked_name is not None and checked_description is not None
    # The workspace's first reachable model, or "automatic" (empty) while it has no provider.
    project = Project(
        tenant_id=ctx.tenant_id,
        name=checked_name,
        description=checked_description,
        created_by=ctx.user_id,
        llm_model=await choice.first_reachable(session),
    )
    session.add(project)
    await _flush_unique(session, checked_name)
    return project


async def update_project(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    github_url: str | None = None,
    github_path: str | None = None,
    published: bool | None = None,
) -> Project:
    """Change only the fields given; checks every one (all problems at once) before writing."""
    if any(v is not None for v in (name, description, github_url, github_path)):
        require(ctx, Action.PROJECT_EDIT)
    if published is not None:
        require(ctx, Action.PROJECT_PUBLISH)
    project = await get_project(session, ctx, project_id)
    problems = Problems()
    if name is not None:
        checked = problems.check("name", required_text, name, "Project name", PROJECT_NAME_MAX)
        if checked and await _name_taken(session, checked, project.id):
            problems.add("name", _taken(checked))
        name = checked
    if description is not None:
        description = problems.check(
            "description", optional_text, description, "Description", DESCRIPTION_MAX, kind=TextKind.PROSE
        )
    if github_url is not None:
        github_url = problems.check("github_url", normalise_github_url, github_url)
    if github_path is not None:
        github_path = problems.check("github_path", normalise_scan_path, github_path)
    problems.raise_if_any()
    project.name = project.name if name is None else name
    project.description = project.description if description is None else description
    project.github_url = project.github_url if github_url is None else github_url
    project.github_path = project.github_path if github_path is None else github_path
    if published is not None and published != project.published:
        project.published = published
        action = audit.AuditAction.PROJECT_PUBLISHED if published else audit.AuditAction.PROJECT_UNPUBLISHED
        await audit.record(session, ctx, action, object_type="project", object_id=project.id, object_label=project.name)
    project.updated_at = utcnow()
    session.add(project)
    await _flush_unique(session, project.name)
    return project


async def delete_project(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> None:
    """Notes and their images' rows go by cascade; stored image files are removed after commit."""
    require(ctx, Action.PROJECT_DELETE)
    project = await get_project(session, ctx, project_id)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.PROJECT_DELETED,
        object_type="project",
        object_id=project.id,
        object_label=project.name,
    )
    await deletions.project_deleted(session, project.id)  # its runs stop (they go with it)
    await note_images.remove_objects_of(session, project_id=project.id)
    paths.remove_clone_after_commit(session, ctx.tenant_id, project.id)  # its imported repository
    await session.delete(project)
    await session.flush()


def default_model_of(provider: str, model_refs: list[str]) -> str:
    """What choosing a provider selects: its default for new projects (claude-sonnet-4-6,
    gpt-4.1-mini, ...) when the catalog has one, else the provider's first model."""
    default = catalog.DEFAULT_MODELS.get(provider)
    if default:
        return f"{provider}/{default}"
    return next((r for r in model_refs if catalog.split_ref(r)[0] == provider), "")


async def set_model(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, ref: str) -> Project:
    """Choose the model this project's LLM work tries first; "" goes back to automatic (the
    workspace's first reachable model, ``choice.first_reachable``)."""
    require(ctx, Action.PROJECT_EDIT)
    project = await get_project(session, ctx, project_id)
    ref = (ref or "").strip()
    if ref and ref not in await known_refs(session, ctx):
        raise InvalidInput(f"Unknown model {ref!r}. Pick one from the list.")
    project.llm_model = ref
    project.updated_at = utcnow()
    session.add(project)
    await session.flush()
    return project
