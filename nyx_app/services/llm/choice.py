"""Which model a project's work uses when nobody chose one: the workspace's first reachable model.

A new project is not tied to a provider the workspace may never have: its ``llm_model`` is
stamped with the first model the workspace can call when it is created, or left empty
("automatic") when the workspace has no provider yet. An empty model is resolved each time it is
used, so a project made before the first provider was added works as soon as one is.

"First reachable" is, in order: the first model of the workspace's fallback chain whose provider
is set up; else each provider in the order it was added, preferring those whose last call did not
show them unusable (a bad key, no credit, a refused address): a built-in provider's default model
(``catalog.DEFAULT_MODELS``), an endpoint's first listed model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.llm import ProviderCredential, ProviderStatus, TenantLlmSettings
from nyx_app.models.project import Project
from nyx_app.services.llm import catalog

# A provider in one of these states is tried last when choosing a model for the user.
UNUSABLE = frozenset({ProviderStatus.INVALID_KEY, ProviderStatus.OUT_OF_CREDIT, ProviderStatus.ADDRESS_REFUSED})


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The model a project's work will use, and whether it was picked by a person."""

    ref: str  # "" when the workspace has no provider at all
    automatic: bool

    @property
    def label(self) -> str:
        if not self.ref:
            return "none (no provider is set up yet)"
        return f"{self.ref} (automatic: the workspace's first model)" if self.automatic else self.ref


def _default_of(cred: ProviderCredential) -> str:
    if cred.provider == catalog.OPENAI_COMPATIBLE:
        return f"{cred.name}/{cred.models[0]}" if cred.models else ""
    default = catalog.DEFAULT_MODELS.get(cred.provider)
    return f"{cred.name}/{default}" if default else ""


def _served(cred: ProviderCredential) -> set[str]:
    if cred.provider == catalog.OPENAI_COMPATIBLE:
        return {f"{cred.name}/{m}" for m in cred.models}
    return {m.ref for m in catalog.models_of(cred.provider)}


async def first_reachable(session: AsyncSession) -> str:
    """The workspace's first reachable model ("" if it has no provider). Reads under RLS."""
    creds = list(
        await session.exec(
            select(ProviderCredential).order_by(col(ProviderCredential.created_at), col(ProviderCredential.name))
        )
    )
    if not creds:
        return ""
    chain = (await session.exec(select(TenantLlmSettings.fallback_order))).first() or []
    served = set().union(*(_served(c) for c in creds))
    usable = [c for c in creds if c.status not in UNUSABLE]
    healthy_refs = set().union(*(_served(c) for c in usable)) if usable else set()
    for ref in chain:
        if ref in healthy_refs:
            return ref
    for cred in [*usable, *[c for c in creds if c not in usable]]:
        if ref := _default_of(cred):
            return ref
    return next((r for r in chain if r in served), "")


async def project_model(session: AsyncSession, project: Project) -> ModelChoice:
    """The model this project's work uses: its own, or (empty) the workspace's first reachable."""
    if project.llm_model:
        return ModelChoice(project.llm_model, automatic=False)
    return ModelChoice(await first_reachable(session), automatic=True)
