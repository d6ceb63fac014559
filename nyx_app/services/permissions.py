"""Who may do what: one table, action x role, and the one check every service makes.

Services call ``require(ctx, Action.X)`` before they change anything; pages ask ``ctx.may(...)``
(or ``role_may``) only to hide what would be refused. Reading is not in the table: every member of
a tenant sees all of its content (row-level security already keeps other tenants out).

The policy, in words:
- owners may do everything;
- admins everything except renaming or deleting the workspace and adding, removing or changing
  owners;
- members create and edit content (projects, notes, images, memory, workflows, runs, personas,
  reports) but do not delete projects, publish (projects or notes), or manage members, provider
  keys, budget, fallback chain or the workspace. They may delete the notes, memory entries,
  workflows, personas and reports they created themselves, and images on notes they created
  (``..._OWN`` rows); deleting other people's (and the starter personas, which nobody made) is
  for owners and admins.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from nyx_app.models.tenancy import Role
from nyx_app.services.errors import NotAllowed

if TYPE_CHECKING:
    from nyx_app.services.context import TenantContext


class Action(StrEnum):
    PROJECT_CREATE = "project.create"
    PROJECT_EDIT = "project.edit"  # name, description, repository, model
    PROJECT_PUBLISH = "project.publish"
    PROJECT_DELETE = "project.delete"
    NOTE_CREATE = "note.create"
    NOTE_EDIT = "note.edit"
    NOTE_DELETE = "note.delete"  # anyone's note
    NOTE_DELETE_OWN = "note.delete_own"  # a note the user created
    NOTE_PUBLISH = "note.publish"  # mark a note public (shown on the published project's page)
    IMAGE_UPLOAD = "image.upload"
    IMAGE_EDIT = "image.edit"  # description, order
    IMAGE_DELETE = "image.delete"  # from anyone's note
    IMAGE_DELETE_OWN = "image.delete_own"  # from a note the user created
    MEMORY_CREATE = "memory.create"
    MEMORY_EDIT = "memory.edit"
    MEMORY_DELETE = "memory.delete"  # anyone's entry
    MEMORY_DELETE_OWN = "memory.delete_own"  # an entry the user created
    MEMBERS_MANAGE = "members.manage"  # add and remove admins and members
    ROLES_CHANGE = "roles.change"  # make a member an admin or back
    OWNERS_MANAGE = "owners.manage"  # add, remove or change owners
    PROVIDER_KEYS_MANAGE = "provider_keys.manage"
    BUDGET_MANAGE = "budget.manage"
    FALLBACK_CHAIN_MANAGE = "fallback_chain.manage"
    WORKSPACE_RENAME = "workspace.rename"
    WORKSPACE_DELETE = "workspace.delete"
    # Not used by any service yet; here so the policy for them is decided once.
    WORKFLOW_EDIT = "workflow.edit"
    WORKFLOW_DELETE = "workflow.delete"  # anyone's workflow
    WORKFLOW_DELETE_OWN = "workflow.delete_own"  # a workflow the user created
    RUN_START = "run.start"
    RUN_CANCEL = "run.cancel"
    REVIEW = "review"
    PERSONA_EDIT = "persona.edit"
    PERSONA_DELETE = "persona.delete"  # anyone's persona (the starters too)
    PERSONA_DELETE_OWN = "persona.delete_own"  # a persona the user created
    REPORT_GENERATE = "report.generate"
    REPORT_EDIT = "report.edit"  # rename, render the PDF again
    REPORT_DELETE = "report.delete"  # anyone's report
    REPORT_DELETE_OWN = "report.delete_own"  # a report the user generated
    REPORT_PUBLISH = "report.publish"
    AUDIT_READ = "audit.read"  # read and export the audit log
    WORKSPACE_TOKENS_MANAGE = "workspace_tokens.manage"  # API tokens of the workspace (not personal ones)
    WEBHOOKS_MANAGE = "webhooks.manage"
    TRASH_EMPTY = "trash.empty"  # delete from the trash for good (restoring needs the kind's create right)
    INSIGHT_EDIT = "insight.edit"  # edit or delete anyone's workflow insight or pattern
    INSIGHT_EDIT_OWN = "insight.edit_own"  # one the user approved or wrote
    POLICY_UPLOAD = "policy.upload"
    POLICY_DELETE = "policy.delete"  # anyone's policy document
    POLICY_DELETE_OWN = "policy.delete_own"  # a document the user uploaded


OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER
EVERYONE = frozenset({OWNER, ADMIN, MEMBER})
OWNERS_AND_ADMINS = frozenset({OWNER, ADMIN})
OWNERS = frozenset({OWNER})

# fmt: off
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.PROJECT_CREATE:        EVERYONE,
    Action.PROJECT_EDIT:          EVERYONE,
    Action.PROJECT_PUBLISH:       OWNERS_AND_ADMINS,
    Action.PROJECT_DELETE:        OWNERS_AND_ADMINS,
    Action.NOTE_CREATE:           EVERYONE,
    Action.NOTE_EDIT:             EVERYONE,
    Action.NOTE_DELETE:           OWNERS_AND_ADMINS,
    Action.NOTE_DELETE_OWN:       EVERYONE,
    Action.NOTE_PUBLISH:          OWNERS_AND_ADMINS,
    Action.IMAGE_UPLOAD:          EVERYONE,
    Action.IMAGE_EDIT:            EVERYONE,
    Action.IMAGE_DELETE:          OWNERS_AND_ADMINS,
    Action.IMAGE_DELETE_OWN:      EVERYONE,
    Action.MEMORY_CREATE:         EVERYONE,
    Action.MEMORY_EDIT:           EVERYONE,
    Action.MEMORY_DELETE:         OWNERS_AND_ADMINS,
    Action.MEMORY_DELETE_OWN:     EVERYONE,
    Action.MEMBERS_MANAGE:        OWNERS_AND_ADMINS,
    Action.ROLES_CHANGE:          OWNERS_AND_ADMINS,
    Action.OWNERS_MANAGE:         OWNERS,
    Action.PROVIDER_KEYS_MANAGE:  OWNERS_AND_ADMINS,
    Action.BUDGET_MANAGE:         OWNERS_AND_ADMINS,
    Action.FALLBACK_CHAIN_MANAGE: OWNERS_AND_ADMINS,
    Action.WORKSPACE_RENAME:      OWNERS,
    Action.WORKSPACE_DELETE:      OWNERS,
    Action.WORKFLOW_EDIT:         EVERYONE,
    Action.WORKFLOW_DELETE:       OWNERS_AND_ADMINS,
    Action.WORKFLOW_DELETE_OWN:   EVERYONE,
    Action.RUN_START:             EVERYONE,
    Action.RUN_CANCEL:            EVERYONE,
    Action.REVIEW:                EVERYONE,
    Action.PERSONA_EDIT:          EVERYONE,
    Action.PERSONA_DELETE:        OWNERS_AND_ADMINS,
    Action.PERSONA_DELETE_OWN:    EVERYONE,
    Action.REPORT_GENERATE:       EVERYONE,
    Action.REPORT_EDIT:           EVERYONE,
    Action.REPORT_DELETE:         OWNERS_AND_ADMINS,
    Action.REPORT_DELETE_OWN:     EVERYONE,
    Action.REPORT_PUBLISH:        OWNERS_AND_ADMINS,
    Action.AUDIT_READ:            OWNERS_AND_ADMINS,
    Action.WORKSPACE_TOKENS_MANAGE: OWNERS_AND_ADMINS,
    Action.WEBHOOKS_MANAGE:       OWNERS_AND_ADMINS,
    Action.TRASH_EMPTY:           OWNERS_AND_ADMINS,
    Action.INSIGHT_EDIT:          OWNERS_AND_ADMINS,
    Action.INSIGHT_EDIT_OWN:      EVERYONE,
    Action.POLICY_UPLOAD:         EVERYONE,
    Action.POLICY_DELETE:         OWNERS_AND_ADMINS,
    Action.POLICY_DELETE_OWN:     EVERYONE,
}

# What a refusal says: "Only owners and admins can <this>."
DOING: dict[Action, str] = {
    Action.PROJECT_CREATE:        "create projects",
    Action.PROJECT_EDIT:          "change projects",
    Action.PROJECT_PUBLISH:       "publish or unpublish projects",
    Action.PROJECT_DELETE:        "delete projects",
    Action.NOTE_CREATE:           "add notes",
    Action.NOTE_EDIT:             "edit notes",
    Action.NOTE_DELETE:           "delete other people's notes",
    Action.NOTE_DELETE_OWN:       "delete notes",
    Action.NOTE_PUBLISH:          "make notes public or private",
    Action.IMAGE_UPLOAD:          "add images",
    Action.IMAGE_EDIT:            "describe or reorder images",
    Action.IMAGE_DELETE:          "remove images from other people's notes",
    Action.IMAGE_DELETE_OWN:      "remove images",
    Action.MEMORY_CREATE:         "add memories",
    Action.MEMORY_EDIT:           "edit memories",
    Action.MEMORY_DELETE:         "delete other people's memories",
    Action.MEMORY_DELETE_OWN:     "delete memories",
    Action.MEMBERS_MANAGE:        "add or remove members",
    Action.ROLES_CHANGE:          "change members' roles",
    Action.OWNERS_MANAGE:         "add, remove or change owners",
    Action.PROVIDER_KEYS_MANAGE:  "change provider keys and endpoints",
    Action.BUDGET_MANAGE:         "change the budget",
    Action.FALLBACK_CHAIN_MANAGE: "change the fallback order",
    Action.WORKSPACE_RENAME:      "rename the workspace",
    Action.WORKSPACE_DELETE:      "delete the workspace",
    Action.WORKFLOW_EDIT:         "edit workflows",
    Action.WORKFLOW_DELETE:       "delete other people's workflows",
    Action.WORKFLOW_DELETE_OWN:   "delete workflows",
    Action.RUN_START:             "start runs",
    Action.RUN_CANCEL:            "cancel runs",
    Action.REVIEW:                "review results",
    Action.PERSONA_EDIT:          "edit personas",
    Action.PERSONA_DELETE:        "delete other people's personas and the starter personas",
    Action.PERSONA_DELETE_OWN:    "delete personas",
    Action.REPORT_GENERATE:       "generate reports",
    Action.REPORT_EDIT:           "rename reports",
    Action.REPORT_DELETE:         "delete other people's reports",
    Action.REPORT_DELETE_OWN:     "delete reports",
    Action.REPORT_PUBLISH:        "publish reports",
    Action.AUDIT_READ:            "read the audit log",
    Action.WORKSPACE_TOKENS_MANAGE: "manage the workspace's API tokens",
    Action.WEBHOOKS_MANAGE:       "manage webhooks",
    Action.TRASH_EMPTY:           "delete things from the trash for good",
    Action.INSIGHT_EDIT:          "edit or delete other people's insights and patterns",
    Action.INSIGHT_EDIT_OWN:      "edit or delete insights and patterns",
    Action.POLICY_UPLOAD:         "upload policy documents",
    Action.POLICY_DELETE:         "delete other people's policy documents",
    Action.POLICY_DELETE_OWN:     "delete policy documents",
}
# fmt: on

# An action with an "own" variant: allowed too when the user created the thing themselves.
OWN_VARIANT: dict[Action, Action] = {
    Action.NOTE_DELETE: Action.NOTE_DELETE_OWN,
    Action.IMAGE_DELETE: Action.IMAGE_DELETE_OWN,
    Action.MEMORY_DELETE: Action.MEMORY_DELETE_OWN,
    Action.REPORT_DELETE: Action.REPORT_DELETE_OWN,
    Action.WORKFLOW_DELETE: Action.WORKFLOW_DELETE_OWN,
    Action.PERSONA_DELETE: Action.PERSONA_DELETE_OWN,
    Action.INSIGHT_EDIT: Action.INSIGHT_EDIT_OWN,
    Action.POLICY_DELETE: Action.POLICY_DELETE_OWN,
}

_ROLE_WORDS = {OWNER: "owners", ADMIN: "admins", MEMBER: "members"}


class Scope(StrEnum):
    """What an API token may be used for. A call needs its action's scope *and* the member's role."""

    READ = "read"  # every read (reads are not in the table above)
    WRITE = "write"  # what every member may change
    RUNS = "runs"  # start, steer and review runs; generate reports
    ADMIN = "admin"  # what only owners and admins may do


RUN_ACTIONS = frozenset({Action.RUN_START, Action.RUN_CANCEL, Action.REVIEW, Action.REPORT_GENERATE})


def scope_of(action: Action) -> Scope:
    """The scope a token needs for ``action``: runs for the run actions, write for what every
    member may do, admin for the rest (what the table keeps for owners and admins)."""
    if action in RUN_ACTIONS:
        return Scope.RUNS
    return Scope.WRITE if PERMISSIONS[action] == EVERYONE else Scope.ADMIN


class ScopeMissing(NotAllowed):
    """The member may do it, but the API token they use was not given the scope for it."""


def role_may(role: Role | str, action: Action) -> bool:
    """Whether a role may do an action; an unknown role (or none: signed out) may do nothing."""
    try:
        return Role(role) in PERMISSIONS[action]
    except ValueError:
        return False


def scoped(ctx: TenantContext, action: Action) -> bool:
    """A signed-in person (``scopes`` None) has every scope; an API token only those it was given."""
    return ctx.scopes is None or scope_of(action).value in ctx.scopes


def may(ctx: TenantContext, action: Action, *, author_id: uuid.UUID | None = None) -> bool:
    """``author_id``: who created the thing acted on, for actions with an "own" variant."""
    if not scoped(ctx, action):
        return False
    if role_may(ctx.role, action):
        return True
    own = OWN_VARIANT.get(action)
    return own is not None and author_id is not None and author_id == ctx.user_id and role_may(ctx.role, own)


def refusal(action: Action) -> str:
    allowed = [_ROLE_WORDS[r] for r in (OWNER, ADMIN, MEMBER) if r in PERMISSIONS[action]]
    return f"Only {' and '.join(allowed) or 'nobody'} can {DOING[action]}."


def require(ctx: TenantContext, action: Action, *, author_id: uuid.UUID | None = None) -> None:
    """Raise NotAllowed (its message says who may) unless the user's role permits the action."""
    if not may(ctx, action, author_id=author_id):
        if not scoped(ctx, action) and may(replace(ctx, scopes=None), action, author_id=author_id):
            raise ScopeMissing(
                f"This API token was not given the {scope_of(action).value!r} scope, which is needed to "
                f"{DOING[action]}."
            )
        raise NotAllowed(refusal(action))
