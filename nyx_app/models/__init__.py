"""All tables, imported here so SQLModel.metadata is complete for Alembic."""

from nyx_app.models.api import ApiIdempotency, ApiRateWindow, ApiToken
from nyx_app.models.audit import AuditEvent
from nyx_app.models.code import CodePattern, CodeSource, SourceFile
from nyx_app.models.discussion import Discussion, DiscussionMessage
from nyx_app.models.knowledge import KnowledgeEmbedding, KnowledgeItem, KnowledgeSetting
from nyx_app.models.library import (
    ConsolidationPattern,
    NoteEnrichment,
    PolicyDocument,
    PolicyPassage,
)
from nyx_app.models.llm import LlmCall, ProviderCredential, TenantLlmSettings
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_draft import NoteDraft
from nyx_app.models.note_image import NoteImage
from nyx_app.models.notification import Notification, NotificationSetting
from nyx_app.models.persona import Persona
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.report import PublishedPost, Report
from nyx_app.models.run import Run, StepRun
from nyx_app.models.tenancy import AuthSession, Invitation, Membership, PasswordReset, Role, Tenant, User
from nyx_app.models.throttle import AuthThrottle
from nyx_app.models.trash import TrashItem
from nyx_app.models.webhook import Webhook, WebhookDelivery
from nyx_app.models.workflow import Workflow, WorkflowInsight

__all__ = [
    "ApiIdempotency",
    "ApiRateWindow",
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "AuthThrottle",
    "CodePattern",
    "CodeSource",
    "ConsolidationPattern",
    "Discussion",
    "DiscussionMessage",
    "Invitation",
    "KnowledgeEmbedding",
    "KnowledgeItem",
    "KnowledgeSetting",
    "LlmCall",
    "Membership",
    "MemoryEntry",
    "NoteDraft",
    "NoteEnrichment",
    "NoteImage",
    "Notification",
    "NotificationSetting",
    "PasswordReset",
    "Persona",
    "PolicyDocument",
    "PolicyPassage",
    "Project",
    "ProjectNote",
    "ProviderCredential",
    "PublishedPost",
    "Report",
    "Role",
    "Run",
    "SourceFile",
    "StepRun",
    "Tenant",
    "TenantLlmSettings",
    "TrashItem",
    "User",
    "Webhook",
    "WebhookDelivery",
    "Workflow",
    "WorkflowInsight",
]
