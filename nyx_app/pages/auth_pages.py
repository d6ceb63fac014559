"""Log in and register. Identity is established here and nowhere else."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.layout import error_callout
from nyx_app.services import auth
from nyx_app.state.session import AuthState, user_action


class LoginState(AuthState):
    @rx.event
    async def redirect_if_signed_in(self):
        self.error = ""
        if await self._context() is not None:
            return rx.redirect(routes.DASHBOARD)

    @rx.event
    @user_action
    async def login(self, form: dict[str, str]):
        self.session_token = await auth.login(form.get("email", ""), form.get("password", ""))
        return rx.redirect(routes.DASHBOARD)

    @rx.event
    @user_action
    async def register(self, form: dict[str, str]):
        self.session_token = await auth.register(
            form.get("email", ""), form.get("password", ""), form.get("name", ""), form.get("workspace", "")
        )
        return rx.redirect(routes.DASHBOARD)


def _field(label: str, name: str, type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type=type_, width="100%", **props),
        spacing="1",
        width="100%",
    )


def _card(title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(rx.heading("nyxCore", size="6"), rx.text(title, color_scheme="gray"), *children, spacing="4"),
            width="min(420px, 92vw)",
            size="3",
        ),
        min_height="85vh",
    )


def login_page() -> rx.Component:
    return _card(
        "Sign in to your workspace",
        rx.form(
            rx.vstack(
                _field("E-mail", "email", "email", auto_complete="username"),
                _field("Password", "password", "password", auto_complete="current-password"),
                error_callout(LoginState.error),
                rx.button("Log in", type="submit", width="100%", id="login-submit"),
                spacing="3",
            ),
            on_submit=LoginState.login,
        ),
        rx.text("No account yet? ", rx.link("Register", href=routes.REGISTER), size="2"),
    )


def register_page() -> rx.Component:
    return _card(
        "Create a workspace; you will be its owner",
        rx.form(
            rx.vstack(
                _field("Your name", "name", auto_complete="name"),
                _field("E-mail", "email", "email", auto_complete="username"),
                _field("Password (at least 8 characters)", "password", "password", auto_complete="new-password"),
                _field("Workspace name", "workspace"),
                error_callout(LoginState.error),
                rx.button("Create account", type="submit", width="100%", id="register-submit"),
                spacing="3",
            ),
            on_submit=LoginState.register,
        ),
        rx.text("Already registered? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )
