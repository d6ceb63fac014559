"""Account: the signed-in user changes their password (members start with an initial one).

This stays a websocket event: the login keeps its token (only the others are revoked), so no
cookie has to change.
"""

from __future__ import annotations

import reflex as rx

from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.services import auth
from nyx_app.services.errors import InvalidInput
from nyx_app.state.session import AuthState, user_action


class AccountState(AuthState):
    @rx.event
    def load(self):
        self.error = ""

    @rx.event
    @user_action
    async def change_password(self, form: dict[str, str]):
        if form.get("new_password", "") != form.get("repeat_password", ""):
            raise InvalidInput("The two new passwords differ.")
        await self._require()
        current, new = form.get("current_password", ""), form.get("new_password", "")
        await auth.change_password(self._session_token(), current, new)
        return rx.toast.success("Password changed; your other logins have been signed out.")


def _password(label: str, name: str, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type="password", auto_complete=autocomplete, width="100%"),
        spacing="1",
        width="100%",
    )


@signed_in_page
def account_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Your account", size="7"),
        rx.text(AccountState.user_name, " · ", AccountState.user_email, color_scheme="gray"),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Change password", size="4"),
                    _password("Current password", "current_password", "current-password"),
                    _password("New password (at least 8 characters)", "new_password", "new-password"),
                    _password("New password again", "repeat_password", "new-password"),
                    error_callout(AccountState.error),
                    rx.button("Change password", type="submit", id="change-password"),
                    width="100%",
                    spacing="3",
                ),
                on_submit=AccountState.change_password,
                reset_on_submit=True,
            ),
            width="100%",
            max_width="480px",
        ),
        spacing="4",
    )
