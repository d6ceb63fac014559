"""Members and workspace settings of the current tenant.

Owners and admins invite people by a link they copy (it works once, for the role chosen, until
it expires), change roles and remove members; everyone sees who joined when and who invited
them, and may leave. Owners rename the workspace or delete it (typing its name). Every change
takes effect on the other person's very next event. The page's view is read in one transaction
(``services.views.members_page``); the actions' rules are in ``services.members``,
``invitations`` and ``workspaces``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx

from nyx_app import routes
from nyx_app.models.tenancy import MemberPublic, Role
from nyx_app.services import invitations, members, views, workspaces
from nyx_app.services.invitations import InvitationView
from nyx_app.services.permissions import Action, role_may
from nyx_app.services.validation import parse_id
from nyx_app.settings import get_settings
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


def _date(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else ""


@dataclasses.dataclass
class MemberView:
    user_id: str
    email: str
    name: str
    role: str
    joined: str
    invited_by: str


@dataclasses.dataclass
class InviteRow:
    id: str
    role: str
    created: str
    expires: str
    created_by: str


def _member(m: MemberPublic) -> MemberView:
    invited = f"invited by {m.invited_by_name}" if m.invited_by_name else ""
    return MemberView(str(m.user_id), m.email, m.name, m.role, _date(m.joined_at), invited)


def _invite(i: InvitationView) -> InviteRow:
    return InviteRow(
        str(i.id), i.role.value, _date(i.created_at), f"{i.expires_at:%d %b %Y %H:%M} UTC", i.created_by_name
    )


class MembersState(AuthState):
    members: list[MemberView] = []
    invitations: list[InviteRow] = []
    loaded: bool = False
    new_link: str = ""  # shown once after creating an invitation: only its hash is stored
    new_link_role: str = ""
    delete_typed: str = ""
    # Bumped after a successful create: the form is keyed by it, so React remounts it empty in the
    # same update that shows the result (clearing inputs afterwards could wipe new typing).
    added: int = 0

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_manage_members(self) -> bool:
        return role_may(self.role, Action.MEMBERS_MANAGE)

    @rx.var
    def may_manage_owners(self) -> bool:
        return role_may(self.role, Action.OWNERS_MANAGE)

    @rx.var
    def may_change_roles(self) -> bool:
        return role_may(self.role, Action.ROLES_CHANGE)

    @rx.var
    def may_rename(self) -> bool:
        return role_may(self.role, Action.WORKSPACE_RENAME)

    @rx.var
    def may_delete_workspace(self) -> bool:
        return role_may(self.role, Action.WORKSPACE_DELETE)

    @rx.var
    def role_choices(self) -> list[str]:
        """The roles this user may give."""
        owners = role_may(self.role, Action.OWNERS_MANAGE)
        return [r.value for r in (Role.OWNER, Role.ADMIN, Role.MEMBER) if owners or r is not Role.OWNER]

    async def _reload(self) -> None:
        view = await self._in_tenant(views.members_page)
        self.members = [_member(m) for m in view.members]
        self.invitations = [_invite(i) for i in view.invitations]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self.new_link, self.new_link_role, self.delete_typed = "", "", ""
        await self._reload()

    @rx.event
    @user_action
    async def change_role(self, user_id: str, role: str):
        changed = await self._in_tenant(lambda s, c: members.change_role(s, c, user_id, role))
        await self._reload()
        return toasts.done(
            f"{changed.name or changed.email} is now {'an' if role in ('owner', 'admin') else 'a'} {role}"
        )

    @rx.event
    @user_action
    async def remove(self, user_id: str):
        await self._in_tenant(lambda s, c: members.remove_member(s, c, parse_id(user_id, "Member")))
        await self._reload()
        return toasts.done("Member removed. They lose access on their next click.")

    @rx.event
    @user_action(form="invite")
    async def create_invite(self, form: dict[str, str]):
        role, raw_days = form.get("role", Role.MEMBER.value), form.get("days") or str(invitations.DEFAULT_DAYS)
        days = int(raw_days) if raw_days.isdigit() else 0  # anything else is refused by the service
        made = await self._in_tenant(lambda s, c: invitations.create_invitation(s, c, role, days))
        self.new_link = get_settings().public_url.rstrip("/") + routes.invite_url(made.token)
        self.new_link_role = made.invitation.role.value
        await self._reload()
        return toasts.done("Invitation link created: copy it now, it is shown only once.")

    @rx.event
    def copied(self):
        return toasts.done("Invitation link copied")

    @rx.event
    @user_action
    async def revoke_invite(self, invitation_id: str):
        await self._in_tenant(lambda s, c: invitations.revoke(s, c, invitation_id))
        await self._reload()
        return toasts.done("Invitation revoked: the link no longer works.")

    @rx.event
    @user_action(form="member")
    async def add(self, form: dict[str, str]):
        get = form.get
        added = await self._in_tenant(
            lambda s, c: members.add_member(
                s, c, get("email", ""), get("password", ""), get("name", ""), get("role", "")
            )
        )
        await self._reload()
        self.added += 1
        return toasts.done(f"{added.email} added as {added.role}")

    @rx.event
    @user_action(form="workspace")
    async def rename_workspace(self, form: dict[str, str]):
        name = form.get("name", "")
        renamed = await self._in_tenant(lambda s, c: workspaces.rename_workspace(s, c, name))
        self.tenant_name = renamed.name
        await self._require()  # the switcher shows the new name
        return toasts.done("Workspace renamed")

    @rx.event
    def set_delete_typed(self, value: str):
        self.delete_typed = value

    @rx.event
    @user_action
    async def leave_workspace(self):
        await self._in_tenant(members.leave)
        return [rx.redirect(routes.DASHBOARD), toasts.done("You left the workspace.")]

    @rx.event
    @user_action(form="delete-workspace")
    async def delete_workspace(self):
        typed = self.delete_typed
        name = await self._in_tenant(lambda s, c: workspaces.delete_workspace(s, c, typed))
        return [rx.redirect(routes.DASHBOARD), toasts.done(f"Workspace {name} deleted.")]
