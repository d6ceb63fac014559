"""What the audit log records, and how each action reads in the log."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SESSION_ENDED = "auth.session_ended"
    PASSWORD_CHANGED = "account.password_changed"
    EMAIL_CHANGED = "account.email_changed"
    INVITATION_CREATED = "invitation.created"
    INVITATION_REVOKED = "invitation.revoked"
    INVITATION_ACCEPTED = "invitation.accepted"
    MEMBER_ADDED = "member.added"
    ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_LEFT = "member.left"
    PROVIDER_KEY_ADDED = "provider.key_added"
    PROVIDER_REMOVED = "provider.removed"
    BUDGET_CHANGED = "budget.changed"
    PROJECT_PUBLISHED = "project.published"
    PROJECT_UNPUBLISHED = "project.unpublished"
    NOTE_PUBLISHED = "note.published"
    NOTE_UNPUBLISHED = "note.unpublished"
    REPORT_PUBLISHED = "report.published"
    REPORT_UNPUBLISHED = "report.unpublished"
    PROJECT_DELETED = "project.deleted"
    WORKFLOW_DELETED = "workflow.deleted"
    REPORT_DELETED = "report.deleted"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    EXPORTED = "data.exported"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    API_WRITE = "api.write"  # a call through the API or MCP server that changed something

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS: dict[AuditAction, str] = {
    AuditAction.SIGN_IN: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Sign-in failed",
    AuditAction.SESSION_ENDED: "Login ended",
    AuditAction.PASSWORD_CHANGED: "Password changed",
    AuditAction.EMAIL_CHANGED: "E-mail changed",
    AuditAction.INVITATION_CREATED: "Invitation created",
    AuditAction.INVITATION_REVOKED: "Invitation revoked",
    AuditAction.INVITATION_ACCEPTED: "Invitation accepted",
    AuditAction.MEMBER_ADDED: "Member added",
    AuditAction.ROLE_CHANGED: "Role changed",
    AuditAction.MEMBER_REMOVED: "Member removed",
    AuditAction.MEMBER_LEFT: "Member left",
    AuditAction.PROVIDER_KEY_ADDED: "Provider key added",
    AuditAction.PROVIDER_REMOVED: "Provider removed",
    AuditAction.BUDGET_CHANGED: "Budget changed",
    AuditAction.PROJECT_PUBLISHED: "Project published",
    AuditAction.PROJECT_UNPUBLISHED: "Project unpublished",
    AuditAction.NOTE_PUBLISHED: "Note made public",
    AuditAction.NOTE_UNPUBLISHED: "Note made private",
    AuditAction.REPORT_PUBLISHED: "Post published",
    AuditAction.REPORT_UNPUBLISHED: "Post unpublished",
    AuditAction.PROJECT_DELETED: "Project deleted",
    AuditAction.WORKFLOW_DELETED: "Workflow deleted",
    AuditAction.REPORT_DELETED: "Report deleted",
    AuditAction.TOKEN_CREATED: "API token created",
    AuditAction.TOKEN_REVOKED: "API token revoked",
    AuditAction.EXPORTED: "Exported",
    AuditAction.WEBHOOK_CREATED: "Webhook created",
    AuditAction.WEBHOOK_CHANGED: "Webhook changed",
    AuditAction.WEBHOOK_DELETED: "Webhook deleted",
    AuditAction.API_WRITE: "API call",
}
