"""Log in and register: plain HTML forms that post to the auth routes (api/auth_routes.py).

Only an HTTP response can set the HttpOnly session cookie, and the post's redirect is a full page
load, so the websocket reconnects carrying the new cookie. A refused form comes back here with
short codes in the query; the page shows the words for those codes (never text from the URL)
next to the field they concern, and refills what the user typed (never the password) from the
form-echo cookie.
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.api.cookies import form_values
from nyx_app.components.fields import field_label
from nyx_app.components.layout import theme_toggle
from nyx_app.components.post_form import post_form
from nyx_app.services import auth, auth_feedback, invitations
from nyx_app.services.auth_feedback import Problem
from nyx_app.services.errors import NotFound
from nyx_app.services.passwords import PASSWORD_MIN
from nyx_app.settings import get_settings
from nyx_app.state.session import AuthState

FIELDS = ("name", "email", "password", "workspace")


class LoginState(AuthState):
    form_error: str = ""
    name_error: str = ""
    email_error: str = ""
    password_error: str = ""
    workspace_error: str = ""
    # Registering through an invitation link: its token travels in a hidden field; the page names
    # the workspace the person joins. ``next``: where the login form goes afterwards.
    invite: str = ""
    invite_workspace: str = ""
    next_path: str = ""

    @rx.event
    async def load(self):
        """on_load of both pages: a signed-in user goes on (to the dashboard, or the invitation)."""
        self.error = ""
        query = self.router.url.query_parameters
        self.invite, self.invite_workspace = query.get("invite", "")[:200], ""
        # The page a signed-out visitor opened (or an invitation): only a path of this app.
        self.next_path = routes.safe_next(query.get("next", ""))
        if await self._context() is not None:
            return rx.redirect(self.next_path or (routes.invite_url(self.invite) if self.invite else routes.DASHBOARD))
        if self.invite:
            try:
                self.invite_workspace = (await invitations.preview(self.invite)).workspace
            except NotFound:
                self.invite = ""
        problems = self._show_feedback()
        # Refill what was typed straight into the inputs (only after a refusal, so a normal visit
        # never overwrites typing); the values are never kept in state.
        kept = form_values(self.router.headers.cookie) if problems else {}
        if Problem.EMAIL_INVALID in problems and kept.get("email"):
            # The validator's own reason for what was typed (worked out here, never read from the URL).
            self.email_error = auth.email_problem(kept["email"]) or self.email_error
        return [rx.set_value(field, value) for field, value in kept.items() if field in FIELDS and value]

    def _show_feedback(self) -> list[Problem]:
        query = self.router.url.query_parameters
        problems = auth_feedback.parse(query.get("error", ""))
        settings = get_settings()
        longest = max(settings.throttle_login_window_minutes, settings.throttle_registration_window_minutes)
        wait = auth_feedback.parse_wait(query.get("wait", ""), longest)
        messages: dict[str, list[str]] = {field: [] for field in ("", *FIELDS)}
        for problem in problems:
            messages[auth_feedback.field_of(problem)].append(auth_feedback.words(problem, wait))
        self.form_error = " ".join(messages[""])
        self.name_error, self.email_error, self.password_error, self.workspace_error = (
            " ".join(messages[f]) for f in FIELDS
        )
        return problems


def _field(label: str, name: str, error: rx.Var[str], type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        field_label(label, name),
        rx.input(
            name=name,
            id=name,
            type=type_,
            width="100%",
            required=True,
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            **props,
        ),
        rx.cond(error != "", rx.text(error, size="1", color_scheme="red", id=f"{name}-error", role="alert")),
        spacing="1",
        width="100%",
    )


def _form_error() -> rx.Component:
    return rx.cond(
        LoginState.form_error != "",
        rx.callout(LoginState.form_error, icon="triangle-alert", color_scheme="red", role="alert", id="form-error"),
    )


def _card(title: str | rx.Component, *children: rx.Component) -> rx.Component:
    return rx.box(
        rx.box(theme_toggle(), position="absolute", top="1rem", right="1rem"),
        rx.center(
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.image(src="/icon.svg", width="36px", height="36px", alt=""),
                        rx.heading("nyxCore", size="6"),
                        align="center",
                        spacing="3",
                    ),
                    title if isinstance(title, rx.Component) else rx.text(title, color_scheme="gray"),
                    *children,
                    spacing="4",
                ),
                width="min(420px, 92vw)",
                size="3",
            ),
            min_height="85vh",
        ),
        position="relative",
    )


def _post_form(action: str, *children: rx.Component) -> rx.Component:
    return post_form(action, rx.vstack(*children, spacing="3"), width="100%")


def login_page() -> rx.Component:
    return _card(
        "Sign in to your workspace",
        _post_form(
            routes.LOGIN_API,
            _field("E-mail", "email", LoginState.email_error, "email", auto_complete="username"),
            _field("Password", "password", LoginState.password_error, "password", auto_complete="current-password"),
            rx.el.input(type="hidden", name="next", value=LoginState.next_path),
            _form_error(),
            rx.button("Log in", type="submit", width="100%", id="login-submit"),
        ),
        rx.flex(
            rx.text("No account yet? ", rx.link("Register", href=routes.REGISTER), size="2"),
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD, size="2", id="forgot-link"),
            justify="between",
            wrap="wrap",
            gap="2",
            width="100%",
        ),
    )


# Shared with the password-reset pages (pages/password_reset/): the same card, fields and form.
auth_card, auth_field, auth_post_form = _card, _field, _post_form


def register_page() -> rx.Component:
    return _card(
        rx.cond(
            LoginState.invite_workspace != "",
            rx.text(
                "Create your account to join ",
                rx.text.strong(LoginState.invite_workspace),
                color_scheme="gray",
                id="invite-note",
            ),
            rx.text("Create a workspace; you will be its owner", color_scheme="gray"),
        ),
        _post_form(
            routes.REGISTER_API,
            _field("Your name", "name", LoginState.name_error, auto_complete="name"),
            _field("E-mail", "email", LoginState.email_error, "email", auto_complete="username"),
            _field(
                f"Password (at least {PASSWORD_MIN} characters)",
                "password",
                LoginState.password_error,
                "password",
                auto_complete="new-password",
            ),
            rx.cond(LoginState.invite == "", _field("Workspace name", "workspace", LoginState.workspace_error)),
            rx.el.input(type="hidden", name="invite", value=LoginState.invite),
            _form_error(),
            rx.button("Create account", type="submit", width="100%", id="register-submit"),
        ),
        rx.text(
            "Already registered? ",
            rx.link(
                "Log in",
                href=rx.cond(
                    LoginState.invite != "", routes.LOGIN + "?next=/invite/" + LoginState.invite, routes.LOGIN
                ),
            ),
            size="2",
        ),
    )
