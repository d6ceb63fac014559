"""Members of the current tenant: owners and admins add users (e-mail + initial password) and
remove them; removal takes effect on the removed user's very next event."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.services import members
from nyx_app.services.permissions import Action, role_may
from nyx_app.services.validation import parse_id
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class MemberView:
    user_id: str
    email: str
    name: str
    role: str


class MembersState(AuthState):
    members: list[MemberView] = []

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_manage_members(self) -> bool:
        return role_may(self.role, Action.MEMBERS_MANAGE)

    @rx.var
    def may_manage_owners(self) -> bool:
        return role_may(self.role, Action.OWNERS_MANAGE)

    async def _reload(self) -> None:
        rows = await self._in_tenant(members.list_members)
        self.members = [MemberView(str(m.user_id), m.email, m.name, m.role) for m in rows]

    @rx.event
    @user_action
    async def load(self):
        await self._reload()

    @rx.event
    @user_action
    async def add(self, form: dict[str, str]):
        added = await self._in_tenant(
            lambda s, c: members.add_member(
                s, c, form.get("email", ""), form.get("password", ""), form.get("name", ""), form.get("role", "")
            )
        )
        await self._reload()
        return rx.toast.success(f"{added.email} added as {added.role}")

    @rx.event
    @user_action
    async def remove(self, user_id: str):
        await self._in_tenant(lambda s, c: members.remove_member(s, c, parse_id(user_id, "Member")))
        await self._reload()


def _member_row(m: MemberView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m.name),
        rx.table.cell(m.email),
        rx.table.cell(rx.badge(m.role)),
        rx.table.cell(
            rx.cond(
                (m.email != MembersState.user_email)
                & MembersState.may_manage_members
                & ((m.role != "owner") | MembersState.may_manage_owners),
                rx.button(
                    "Remove", size="1", variant="soft", color_scheme="red", on_click=MembersState.remove(m.user_id)
                ),
            )
        ),
        class_name="member-row",
    )


@signed_in_page
def members_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Members of ", MembersState.tenant_name, size="7"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Name", "E-mail", "Role", "")])),
            rx.table.body(rx.foreach(MembersState.members, _member_row)),
            width="100%",
        ),
        rx.cond(
            MembersState.may_manage_members,
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Add a member", size="4"),
                        rx.text(
                            "An existing account is added as it is; a new e-mail gets an account with the initial "
                            "password, to be changed after the first login.",
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.hstack(
                            rx.input(name="email", placeholder="E-mail", id="member-email", flex="1"),
                            rx.input(name="name", placeholder="Name", id="member-name", flex="1"),
                            rx.input(
                                name="password",
                                placeholder="Initial password",
                                type="password",
                                id="member-password",
                                flex="1",
                            ),
                            rx.select(["member", "admin"], name="role", default_value="member", id="member-role"),
                            width="100%",
                        ),
                        rx.button("Add member", type="submit", id="add-member"),
                        width="100%",
                    ),
                    on_submit=MembersState.add,
                    reset_on_submit=True,
                ),
                width="100%",
            ),
        ),
        error_callout(MembersState.error),
        width="100%",
        spacing="4",
    )
