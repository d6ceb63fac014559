"""Toast conventions: what every page says after an action, said the same way everywhere.

- ``done(...)`` after a change the user asked for ("Project deleted", "Invitation link
  copied"): short, past tense, naming the thing; green, gone after a few seconds.
- ``failed(...)`` only for a failure that has no place on the page (a background test, a
  switch from the navigation). A refused form shows its messages *at its fields* instead
  (``user_action(form=...)`` + ``components.fields``), never only in a toast.
- ``info(...)`` for a side effect worth knowing ("Your other logins were signed out").

Return them from an event handler (``return toasts.done("Saved")``); lists of events work too.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

DONE_MS = 4000
FAILED_MS = 8000


def done(message: str, **props: Any) -> Any:
    return rx.toast.success(message, duration=DONE_MS, **props)


def failed(message: str, **props: Any) -> Any:
    return rx.toast.error(message, duration=FAILED_MS, **props)


def info(message: str, **props: Any) -> Any:
    return rx.toast.info(message, duration=DONE_MS, **props)
