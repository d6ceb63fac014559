"""``{{repo_map}}`` and ``{{files}}``: what a run's prompts get from the project's synced repository.

``{{repo_map}}`` is the ranked map of the synced commit within ``NYX_CODE_MAP_TOKENS``
(services/code/repo_map.py), personalised towards the run's chosen files; ``{{files}}`` is the
text of the files the run names in ``inputs["files"]`` (auto-fix and later code runs choose them),
each as a fenced block, within a character budget. Only what a run's templates use is read, once
per (re)start. Repository text is hostile: it reaches the prompt as a value, never as a template.
"""

from __future__ import annotations

import uuid
from typing import Any

from nyx_app.db.session import transaction
from nyx_app.services.code import repo_map, sources
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.workflows import templates
from nyx_app.services.workflows.definition import WorkflowDefinition

NAMES = ("repo_map", "files")
FILE_CHARS = 20_000
FILES_CHARS = 100_000
NO_REPOSITORY = "(this project has no synced repository: import one on its Sources page)"
NO_FILES = "(no files were chosen for this run)"


def wanted(definition: WorkflowDefinition) -> list[str]:
    names: set[str] = set()
    for step in definition.steps:
        for text in (step.prompt, step.system):
            if text:
                names |= templates.references(text).names & templates.CODE_NAMES
    return [n for n in NAMES if n in names]


async def variables(
    ctx: TenantContext, project_id: uuid.UUID, inputs: dict[str, Any], names: list[str]
) -> dict[str, str]:
    if not names:
        return {}
    chosen = [p for p in inputs.get("files") or [] if isinstance(p, str)][:50]
    found: dict[str, str] = {}
    async with transaction(ctx.tenant_id, ctx.user_id) as session:
        if "repo_map" in names:
            built = await repo_map.repo_map(session, ctx, project_id, chosen=chosen)
            found["repo_map"] = built.text if built is not None and built.text else NO_REPOSITORY
        if "files" in names:
            parts: list[str] = []
            used = 0
            for path in chosen:
                try:
                    text = await sources.read_file(session, ctx, project_id, path)
                except ServiceError as problem:
                    parts.append(f"### {path}\n({problem.message})")
                    continue
                text = text[:FILE_CHARS] + ("\n… (cut)" if len(text) > FILE_CHARS else "")
                if used + len(text) > FILES_CHARS:
                    parts.append(f"### {path}\n(left out: the files above fill the budget)")
                    continue
                used += len(text)
                parts.append(f"### {path}\n" + sources.as_markdown(text, ""))
            found["files"] = "\n\n".join(parts) if parts else NO_FILES
    return found
