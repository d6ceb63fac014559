"""The state learns the session token from the websocket handshake's Cookie header, and Reflex
never sends that header back to the browser (state/session.py relies on both)."""

from __future__ import annotations

from reflex.state import State
from reflex_base.utils.format import json_dumps

import nyx_app.nyx_app  # noqa: F401  (registers every page state under the root state)
from nyx_app.state.session import AuthState

TOKEN = "tok_3nJ9-very-secret-value"


def test_the_handshake_cookie_reaches_handlers_but_never_the_browser() -> None:
    root = State(_reflex_internal_init=True)
    router_data = {
        "headers": {"cookie": f"theme=dark; nyx_session={TOKEN}", "user-agent": "Chromium", "host": "nyx.test"},
        "pathname": "/login",
        "asPath": "/login",
    }
    root.router_data = root._update_router_vars(router_data, {})
    auth = root.get_substate(AuthState.get_full_name().split(".")[1:])
    assert isinstance(auth, AuthState)
    assert auth._session_token() == TOKEN

    sent = json_dumps(root.get_delta()) + json_dumps(root.dict())
    assert "Chromium" in sent  # the headers are sent ...
    assert TOKEN not in sent  # ... without the cookie
    assert "session_token" not in json_dumps(root.dict())  # and no state var holds a token
