"""What the login and registration forms tell the user, as short codes and as words.

The forms post to HTTP routes, which answer with a redirect back to the page carrying codes in
the query (``?error=name_empty,email_taken``). The page shows the words for known codes only, so
no text from a URL ever reaches the user (a crafted link cannot make the app say anything).
Each problem belongs to one field, or to the whole form (field ``""``).
"""

from __future__ import annotations

from enum import StrEnum

from nyx_app.models.tenancy import NAME_MAX
from nyx_app.models.throttle import ThrottleScope
from nyx_app.services import auth, invitations, password_reset, throttle
from nyx_app.services.errors import InvalidInput
from nyx_app.services.passwords import PASSWORD_MAX, PASSWORD_MIN, check_password_rules
from nyx_app.services.validation import required_text

MAX_CODES = 8


class Problem(StrEnum):
    WRONG_LOGIN = "wrong"
    NAME_EMPTY = "name_empty"
    NAME_LONG = "name_long"
    EMAIL_EMPTY = "email_empty"
    EMAIL_INVALID = "email_invalid"
    EMAIL_TAKEN = "email_taken"
    PASSWORD_SHORT = "password_short"
    PASSWORD_LONG = "password_long"
    PASSWORD_REFUSED = "password_refused"
    PASSWORD_WEAK = "password_weak"
    NAME_INVALID = "name_invalid"
    WORKSPACE_INVALID = "workspace_invalid"
    WORKSPACE_EMPTY = "workspace_empty"
    WORKSPACE_LONG = "workspace_long"
    LOCKED_ACCOUNT = "locked_account"
    LOCKED_ADDRESS = "locked_address"
    LOCKED_REGISTRATIONS = "locked_registrations"
    LOCKED_DEVICE = "locked_device"
    LOCKED_RESET_ACCOUNT = "locked_reset_account"
    LOCKED_RESET_ADDRESS = "locked_reset_address"
    PASSWORDS_DIFFER = "passwords_differ"
    RESET_INVALID = "reset_invalid"
    RESET_USED = "reset_used"
    RESET_EXPIRED = "reset_expired"
    INVITE_INVALID = "invite_invalid"
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    FAILED = "failed"


FIELD: dict[Problem, str] = {
    Problem.NAME_EMPTY: "name",
    Problem.NAME_LONG: "name",
    Problem.EMAIL_EMPTY: "email",
    Problem.EMAIL_INVALID: "email",
    Problem.EMAIL_TAKEN: "email",
    Problem.PASSWORD_SHORT: "password",
    Problem.PASSWORD_LONG: "password",
    Problem.PASSWORD_REFUSED: "password",
    Problem.PASSWORD_WEAK: "password",
    Problem.PASSWORDS_DIFFER: "repeat",
    Problem.NAME_INVALID: "name",
    Problem.WORKSPACE_INVALID: "workspace",
    Problem.WORKSPACE_EMPTY: "workspace",
    Problem.WORKSPACE_LONG: "workspace",
}

_WORDS: dict[Problem, str] = {
    Problem.WRONG_LOGIN: auth.WRONG_LOGIN,
    Problem.NAME_EMPTY: "Name cannot be empty.",
    Problem.NAME_LONG: f"Name is too long (at most {NAME_MAX} characters).",
    Problem.EMAIL_EMPTY: "E-mail cannot be empty.",
    Problem.EMAIL_INVALID: "That does not look like an e-mail address.",
    Problem.EMAIL_TAKEN: auth.EMAIL_TAKEN,
    Problem.PASSWORD_SHORT: f"The password needs at least {PASSWORD_MIN} characters.",
    Problem.PASSWORD_LONG: f"The password is too long (at most {PASSWORD_MAX} characters).",
    Problem.PASSWORD_REFUSED: "This password cannot be used; please choose another.",
    Problem.PASSWORD_WEAK: (
        "This password is too easy to guess (a common word, a name, your e-mail or a simple pattern). "
        "Add another word or two; uncommon words are better."
    ),
    Problem.NAME_INVALID: "Name contains invisible or text-direction characters; please remove them.",
    Problem.WORKSPACE_INVALID: ("Workspace name contains invisible or text-direction characters; please remove them."),
    Problem.WORKSPACE_EMPTY: "Workspace name cannot be empty.",
    Problem.WORKSPACE_LONG: f"Workspace name is too long (at most {NAME_MAX} characters).",
    Problem.INVITE_INVALID: invitations.NOT_VALID,
    Problem.INVITE_USED: invitations.USED,
    Problem.INVITE_EXPIRED: invitations.EXPIRED,
    Problem.FAILED: "That did not work; please check your entries and try again.",
    Problem.PASSWORDS_DIFFER: "The two passwords differ.",
    Problem.RESET_INVALID: password_reset.NOT_VALID,
    Problem.RESET_USED: password_reset.USED,
    Problem.RESET_EXPIRED: password_reset.EXPIRED,
}

_LOCKS: dict[Problem, ThrottleScope] = {
    Problem.LOCKED_ACCOUNT: ThrottleScope.LOGIN_ACCOUNT,
    Problem.LOCKED_ADDRESS: ThrottleScope.LOGIN_ADDRESS,
    Problem.LOCKED_REGISTRATIONS: ThrottleScope.REGISTER_ADDRESS,
    Problem.LOCKED_DEVICE: ThrottleScope.LOGIN_DEVICE,
    Problem.LOCKED_RESET_ACCOUNT: ThrottleScope.RESET_ACCOUNT,
    Problem.LOCKED_RESET_ADDRESS: ThrottleScope.RESET_ADDRESS,
}


def words(problem: Problem, wait_minutes: int = 1) -> str:
    scope = _LOCKS.get(problem)
    if scope is not None:
        return throttle.wait_message(scope, wait_minutes)
    return _WORDS[problem]


def field_of(problem: Problem) -> str:
    return FIELD.get(problem, "")


def for_throttle(refused: throttle.Throttled) -> Problem:
    """The code of a throttle's refusal (both untrusted account scopes read the same)."""
    by_scope = {scope: problem for problem, scope in _LOCKS.items()}
    return by_scope.get(refused.scope, Problem.LOCKED_ACCOUNT)


def for_reset(message: str) -> Problem:
    """The code of a refused reset link (services/password_reset.py's words)."""
    return {password_reset.USED: Problem.RESET_USED, password_reset.EXPIRED: Problem.RESET_EXPIRED}.get(
        message, Problem.RESET_INVALID
    )


def parse(codes: str) -> list[Problem]:
    """Codes from a URL: unknown ones are dropped, never shown."""
    known = {p.value for p in Problem}
    found = [Problem(c) for c in (codes or "").split(",")[:MAX_CODES] if c in known]
    return list(dict.fromkeys(found))


def parse_wait(value: str, longest_minutes: int) -> int:
    """The wait (whole minutes) in a URL, clamped to what a lock can last."""
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(minutes, 1), max(longest_minutes, 1))


def _text_problem(value: str, label: str, empty: Problem, long: Problem, invalid: Problem) -> Problem | None:
    try:
        required_text(value, label, NAME_MAX)
    except InvalidInput:
        cleaned = (value or "").strip()
        if not cleaned:
            return empty
        return long if len(cleaned) > NAME_MAX else invalid
    return None


def for_invitation(message: str) -> Problem:
    """The code for an invitation refused at registration (services/invitations.py's words)."""
    return {invitations.USED: Problem.INVITE_USED, invitations.EXPIRED: Problem.INVITE_EXPIRED}.get(
        message, Problem.INVITE_INVALID
    )


def password_problem(password: str, user_inputs: tuple[str, ...] = ()) -> Problem | None:
    """The code for a password the rules refuse (None if it passes)."""
    try:
        check_password_rules(password, user_inputs=user_inputs)
    except InvalidInput as refused:
        if len(password) < PASSWORD_MIN:
            return Problem.PASSWORD_SHORT
        if len(password) > PASSWORD_MAX:
            return Problem.PASSWORD_LONG
        if refused.message.startswith("This password is too easy to guess"):
            return Problem.PASSWORD_WEAK
        return Problem.PASSWORD_REFUSED  # a rule other than length or guessability
    return None


def registration_problems(
    email: str, password: str, name: str, workspace: str, *, needs_workspace: bool = True
) -> list[Problem]:
    """Every problem of a registration form at once, judged by the services' own checks. Someone
    joining through an invitation names no workspace of their own (``needs_workspace=False``)."""
    problems: list[Problem] = []
    name_problem = _text_problem(name, "Name", Problem.NAME_EMPTY, Problem.NAME_LONG, Problem.NAME_INVALID)
    if name_problem:
        problems.append(name_problem)
    try:
        auth.normalise_email(email)
    except InvalidInput:
        problems.append(Problem.EMAIL_EMPTY if not (email or "").strip() else Problem.EMAIL_INVALID)
    password_refused = password_problem(password, (email, name))
    if password_refused:
        problems.append(password_refused)
    workspace_problem = needs_workspace and _text_problem(
        workspace, "Workspace name", Problem.WORKSPACE_EMPTY, Problem.WORKSPACE_LONG, Problem.WORKSPACE_INVALID
    )
    if workspace_problem:
        problems.append(workspace_problem)
    return problems
