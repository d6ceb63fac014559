"""What the members page shows (its state and actions are in pages/members.py)."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.pages.members import InviteRow, MembersState, MemberView
from nyx_app.services.invitations import DEFAULT_DAYS, VALID_DAYS


def _role_control(m: MemberView) -> rx.Component:
    changeable = (
        MembersState.may_change_roles
        & (m.email != MembersState.user_email)
        & ((m.role != "owner") | MembersState.may_manage_owners)
    )
    return rx.cond(
        changeable,
        rx.select(
            MembersState.role_choices,
            value=m.role,
            on_change=lambda role: MembersState.change_role(m.user_id, role),
            size="1",
            aria_label="Role",
            class_name="member-role",
        ),
        rx.badge(m.role, size="2", class_name="member-role-badge"),
    )


def _member_row(m: MemberView) -> rx.Component:
    removable = (
        (m.email != MembersState.user_email)
        & MembersState.may_manage_members
        & ((m.role != "owner") | MembersState.may_manage_owners)
    )
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.text(m.name, weight="medium"),
                rx.cond(m.email == MembersState.user_email, rx.badge("you", variant="outline", size="1")),
                align="center",
                spacing="2",
            ),
            rx.text(m.email, size="2", color_scheme="gray", overflow_wrap="anywhere"),
            rx.text(
                "Joined ",
                m.joined,
                rx.cond(m.invited_by != "", rx.fragment(" · ", m.invited_by)),
                size="1",
                color_scheme="gray",
                class_name="member-joined",
            ),
            spacing="1",
            min_width="0",
            flex="1 1 16em",
        ),
        rx.hstack(
            _role_control(m),
            rx.cond(
                removable,
                confirm_dialog(
                    "Remove this member?",
                    rx.alert_dialog.description(
                        m.name,
                        " (",
                        m.email,
                        ") loses access to this workspace on their next click. ",
                        "Their notes and memories stay.",
                        size="2",
                    ),
                    MembersState.remove(m.user_id),
                    trigger_label="Remove",
                    confirm_class="confirm-remove-member",
                ),
            ),
            spacing="2",
            align="center",
        ),
        justify="between",
        align="center",
        wrap="wrap",
        gap="3",
        padding_y="0.75em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="member-row",
    )


def _invite_row(i: InviteRow) -> rx.Component:
    return rx.flex(
        rx.text(
            rx.badge(i.role),
            " link by ",
            i.created_by,
            " · made ",
            i.created,
            " · works until ",
            i.expires,
            size="2",
        ),
        confirm_dialog(
            "Revoke this invitation?",
            "The link stops working at once. Nobody has joined with it yet.",
            MembersState.revoke_invite(i.id),
            trigger_label="Revoke",
            confirm_class="confirm-revoke-invite",
        ),
        justify="between",
        align="center",
        wrap="wrap",
        gap="2",
        width="100%",
        class_name="invite-row",
    )


def _invite_section() -> rx.Component:
    return section_card(
        "Invite people",
        rx.form(
            rx.box(
                field(
                    "Role",
                    "role",
                    "invite",
                    control=rx.select(MembersState.role_choices, name="role", default_value="member", id="invite-role"),
                    id="invite-role",
                ),
                field(
                    "Link works for",
                    "days",
                    "invite",
                    control=rx.select.root(
                        rx.select.trigger(id="invite-days"),
                        rx.select.content(
                            *[rx.select.item(f"{d} day{'s' if d > 1 else ''}", value=str(d)) for d in VALID_DAYS]
                        ),
                        name="days",
                        default_value=str(DEFAULT_DAYS),
                    ),
                    id="invite-days",
                ),
                rx.box(
                    rx.button(rx.icon("link", size=16), "Create invitation link", type="submit", id="create-invite"),
                    class_name="nyx-row-fixed",
                ),
                class_name="nyx-row",
            ),
            form_error("invite"),
            on_submit=MembersState.create_invite,
        ),
        rx.cond(
            MembersState.new_link != "",
            rx.callout(
                rx.vstack(
                    rx.text(
                        "Send this link to the person you invite (as ",
                        MembersState.new_link_role,
                        "). It is shown only now.",
                    ),
                    rx.flex(
                        rx.input(
                            value=MembersState.new_link, read_only=True, id="invite-link", flex="1", min_width="0"
                        ),
                        rx.button(
                            rx.icon("copy", size=14),
                            "Copy",
                            on_click=[rx.set_clipboard(MembersState.new_link), MembersState.copied],
                            id="copy-invite",
                        ),
                        gap="2",
                        width="100%",
                    ),
                    width="100%",
                    spacing="2",
                ),
                icon="link",
                color_scheme="green",
                width="100%",
            ),
        ),
        rx.cond(
            MembersState.invitations.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.text("Open invitations", size="2", weight="medium"),
                rx.foreach(MembersState.invitations, _invite_row),
                width="100%",
                spacing="2",
                id="open-invitations",
            ),
        ),
        description="The person opens the link, signs in or creates an account, and joins. Each link works once.",
        id="invite-section",
    )


def _direct_add_section() -> rx.Component:
    return section_card(
        "Add an account directly",
        rx.form(
            rx.vstack(
                rx.box(
                    field("E-mail", "email", "member"),
                    field("Name", "name", "member"),
                    field("Initial password", "password", "member", type="password", auto_complete="new-password"),
                    field(
                        "Role",
                        "role",
                        "member",
                        control=rx.select(["member", "admin"], name="role", default_value="member", id="member-role"),
                        id="member-role",
                    ),
                    class_name="nyx-row",
                ),
                form_error("member"),
                rx.button("Add member", type="submit", id="add-member"),
                width="100%",
            ),
            on_submit=MembersState.add,
            key=MembersState.added,
        ),
        description=(
            "An existing account is added as it is; a new e-mail gets an account with the initial password, "
            "to be changed after the first login. Prefer an invitation link: nobody has to pass a password on."
        ),
    )


def _workspace_section() -> rx.Component:
    rename = rx.cond(
        MembersState.may_rename,
        rx.form(
            rx.box(
                field(
                    "Workspace name",
                    "name",
                    "workspace",
                    default_value=MembersState.tenant_name,
                    key=MembersState.tenant_name,
                ),
                rx.box(
                    rx.button("Rename", type="submit", id="rename-workspace"),
                    class_name="nyx-row-fixed",
                ),
                class_name="nyx-row",
            ),
            form_error("workspace"),
            on_submit=MembersState.rename_workspace,
        ),
    )
    leave = confirm_dialog(
        "Leave this workspace?",
        rx.alert_dialog.description(
            "You lose access to ",
            MembersState.tenant_name,
            " at once. Someone has to invite you to come back.",
            size="2",
        ),
        MembersState.leave_workspace,
        trigger_label="Leave workspace",
        trigger_id="leave-workspace",
        confirm_class="confirm-leave",
    )
    delete = rx.cond(
        MembersState.may_delete_workspace,
        confirm_dialog(
            "Delete this workspace?",
            rx.alert_dialog.description(
                "Every project, note, image, memory, provider key and invitation of ",
                rx.text.strong(MembersState.tenant_name),
                " is deleted, for every member. This cannot be undone.",
                size="2",
            ),
            MembersState.delete_workspace,
            trigger_label="Delete workspace",
            trigger_id="delete-workspace",
            confirm_id="confirm-delete-workspace",
            typed_name=MembersState.tenant_name,
            typed_value=MembersState.delete_typed,
            on_type=MembersState.set_delete_typed,
        ),
    )
    return section_card(
        "Workspace",
        rename,
        form_error("delete-workspace"),
        rx.hstack(leave, delete, spacing="3", wrap="wrap"),
        description="Leaving or deleting needs the workspace to keep an owner and you to have another workspace.",
        danger=True,
        id="workspace-section",
    )


@signed_in_page(section="members")
def members_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Members",
            description=rx.text(
                "Who works in ", rx.text.strong(MembersState.tenant_name), ", and with which role.", color_scheme="gray"
            ),
        ),
        error_callout(MembersState.error),
        section_card(
            "People",
            rx.cond(
                MembersState.loaded,
                rx.box(rx.foreach(MembersState.members, _member_row), width="100%", id="member-list"),
                rx.spinner(),
            ),
            description="Owners manage everything; admins manage members and providers; members work on content.",
        ),
        rx.cond(MembersState.may_manage_members, rx.fragment(_invite_section(), _direct_add_section())),
        _workspace_section(),
        width="100%",
        spacing="4",
    )
