"""Account: the signed-in user's name and e-mail, password, and logins (sessions).

These stay websocket events: changing the password keeps this login's token (only the others
are revoked) and ending a login only revokes a row, so no cookie has to change. Ending this
browser's own login sends it to the login page, whose form clears the cookie on the next login.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.pages.api_tokens.view import personal_tokens_card
from nyx_app.services import account, auth
from nyx_app.services.account import SessionView
from nyx_app.services.errors import InvalidFields
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "not yet"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if seconds < 120:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} hours ago"
    return f"{moment:%d %b %Y}"


@dataclasses.dataclass
class SessionRow:
    id: str
    device: str
    signed_in: str
    last_seen: str
    current: bool


def _row(s: SessionView) -> SessionRow:
    return SessionRow(str(s.id), s.device, f"{s.created_at:%d %b %Y %H:%M} UTC", _ago(s.last_seen_at), s.current)


class AccountState(AuthState):
    sessions: list[SessionRow] = []
    # Bumped after a password change: the form is keyed by it and comes back empty.
    password_changed: int = 0
    # Arrived from a password-reset link (?password=reset): say what happened.
    after_reset: bool = False

    async def _reload_sessions(self) -> None:
        self.sessions = [_row(s) for s in await account.list_sessions(self._session_token())]

    @rx.event
    @user_action
    async def load(self):
        await self._require()
        self.after_reset = self.router.url.query_parameters.get("password") == "reset"
        await self._reload_sessions()

    @rx.event
    @user_action
    async def end_other_sessions(self):
        await self._require()
        ended = await account.end_other_sessions(self._session_token())
        await self._reload_sessions()
        if not ended:
            return toasts.done("No other login was open; only this browser is signed in.")
        return toasts.done(
            f"{ended} other login{'s' if ended != 1 else ''} ended; those browsers are signed out on their next click."
        )

    @rx.event
    @user_action(form="profile")
    async def save_profile(self, form: dict[str, str]):
        await self._require()
        profile = await account.update_profile(self._session_token(), form.get("name", ""), form.get("email", ""))
        self.user_name, self.user_email = profile.name, profile.email
        return toasts.done("Name and e-mail saved")

    @rx.event
    @user_action(form="password")
    async def change_password(self, form: dict[str, str]):
        if form.get("new_password", "") != form.get("repeat_password", ""):
            raise InvalidFields({"repeat_password": "The two new passwords differ."})
        await self._require()
        current, new = form.get("current_password", ""), form.get("new_password", "")
        await auth.change_password(self._session_token(), current, new)
        await self._reload_sessions()
        self.password_changed += 1
        return toasts.done("Password changed; your other logins have been signed out.")

    @rx.event
    @user_action
    async def end_session(self, session_id: str):
        await self._require()
        if await account.end_session(self._session_token(), session_id):
            return rx.redirect(routes.LOGIN)
        await self._reload_sessions()
        return toasts.done("That login has ended; the browser is signed out on its next click.")


def _password(label: str, name: str, autocomplete: str) -> rx.Component:
    return field(label, name, "password", id=name, type="password", auto_complete=autocomplete)


def _session_row(s: SessionRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.icon("monitor-smartphone", size=16),
                rx.text(s.device, weight="medium"),
                rx.cond(s.current, rx.badge("this browser", color_scheme="green")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.text("Signed in ", s.signed_in, " · last used ", s.last_seen, size="1", color_scheme="gray"),
            spacing="1",
            min_width="0",
        ),
        confirm_dialog(
            rx.cond(s.current, "Log out this browser?", "End this login?"),
            rx.cond(
                s.current,
                "This browser is signed out now.",
                "That browser is signed out on its next click. Its owner can log in again with the password.",
            ),
            AccountState.end_session(s.id),
            trigger_label="End",
            confirm_label="End login",
            trigger_class="end-session",
            confirm_class="confirm-end-session",
        ),
        justify="between",
        align="center",
        wrap="wrap",
        gap="3",
        width="100%",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        class_name="session-row",
    )


@signed_in_page
def account_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Your account",
            description=rx.text(AccountState.user_name, " · ", AccountState.user_email, color_scheme="gray"),
        ),
        error_callout(AccountState.error),
        rx.cond(
            AccountState.after_reset,
            rx.callout(
                "Your new password is set. Every other login of your account has been signed out.",
                icon="circle-check",
                color_scheme="green",
                id="password-reset-done",
                max_width="720px",
            ),
        ),
        section_card(
            "Name and e-mail",
            rx.form(
                rx.vstack(
                    field("Name", "name", "profile", default_value=AccountState.user_name, auto_complete="name"),
                    field(
                        "E-mail",
                        "email",
                        "profile",
                        default_value=AccountState.user_email,
                        # Not type="email": the browser would refuse silently; the server says why.
                        input_mode="email",
                        auto_complete="email",
                    ),
                    form_error("profile"),
                    rx.button("Save", type="submit", id="save-profile"),
                    width="100%",
                    spacing="3",
                ),
                on_submit=AccountState.save_profile,
                key=AccountState.user_email + AccountState.user_name,
            ),
            description="Your e-mail is what you log in with.",
            max_width="720px",
        ),
        section_card(
            "Change password",
            rx.form(
                rx.vstack(
                    _password("Current password", "current_password", "current-password"),
                    _password("New password (at least 8 characters)", "new_password", "new-password"),
                    _password("New password again", "repeat_password", "new-password"),
                    form_error("password", id="form-error"),
                    rx.button("Change password", type="submit", id="change-password"),
                    width="100%",
                    spacing="3",
                ),
                on_submit=AccountState.change_password,
                key=AccountState.password_changed,
            ),
            description="Your other logins are signed out when the password changes.",
            max_width="720px",
        ),
        section_card(
            "Where you are logged in",
            rx.box(rx.foreach(AccountState.sessions, _session_row), width="100%", id="sessions"),
            rx.cond(
                AccountState.sessions.length() > 1,  # type: ignore[attr-defined]
                rx.box(
                    confirm_dialog(
                        "Sign out all other sessions?",
                        "Every browser but this one is signed out on its next click. This browser stays signed in.",
                        AccountState.end_other_sessions,
                        trigger_label="Sign out all other sessions",
                        confirm_label="Sign them out",
                        trigger_class="end-other-sessions",
                        confirm_class="confirm-end-other-sessions",
                    ),
                    padding_top="0.75em",
                ),
            ),
            description="End any login you do not recognise; ending this browser's logs you out.",
            max_width="720px",
        ),
        personal_tokens_card(),
        spacing="4",
        width="100%",
    )
