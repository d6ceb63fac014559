"""A plain HTML form that the browser itself posts (no websocket event, a full navigation).

``rx.form``/``rx.el.form`` always attach a submit handler that prevents the browser's own post;
forms whose answer must set or clear an HttpOnly cookie (log in, register, log out) need the
real thing.
"""

from __future__ import annotations

from reflex_base.vars.base import Var
from reflex_components_core.el.elements.base import BaseHTML


class PostForm(BaseHTML):
    tag = "form"

    action: Var[str]
    method: Var[str]


def post_form(action: str, *children, **props) -> PostForm:
    return PostForm.create(*children, action=action, method="post", **props)
