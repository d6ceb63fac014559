"""user_action, the last line of defence of every page event: NUL refused before the handler
runs, and an unexpected error shown in words (the page stays usable) instead of Reflex's
"Contact the website administrator"."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from nyx_app.services.errors import InvalidInput
from nyx_app.state.session import NUL_REFUSED, UNEXPECTED, user_action


class Page(SimpleNamespace):
    error: str = ""


def _recording(outcome: Exception | None = None) -> tuple[Any, list[tuple]]:
    calls: list[tuple] = []

    @user_action
    async def handler(self: Page, *args: Any, **kwargs: Any) -> str:
        calls.append((args, kwargs))
        if outcome is not None:
            raise outcome
        return "done"

    return handler, calls


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("a\x00b",), {}),
        (({"title": "ok", "content": "x\x00"},), {}),  # a form
        (({"title\x00": "ok"},), {}),
        ((["ok", ["deep\x00"]],), {}),
        ((), {"query": "\x00"}),
    ],
    ids=["string", "form-value", "form-key", "nested-list", "keyword"],
)
async def test_a_nul_anywhere_in_the_arguments_is_refused_before_the_handler_runs(args, kwargs) -> None:
    handler, calls = _recording()
    page = Page(error="")
    assert await handler(page, *args, **kwargs) is None
    assert calls == []
    assert page.error == NUL_REFUSED


async def test_an_unexpected_error_is_logged_once_and_shown_in_words(caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = _recording(ValueError("A string literal cannot contain NUL (0x00) characters."))
    page = Page(error="")
    with caplog.at_level(logging.ERROR, logger="nyx_app.state.session"):
        assert await handler(page) is None
    assert page.error == UNEXPECTED
    assert "Something went wrong and nothing was saved" in page.error
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None


async def test_a_refusal_shows_its_message_and_the_next_success_clears_it() -> None:
    refused, _ = _recording(InvalidInput("Title cannot be empty."))
    page = Page(error="")
    await refused(page)
    assert page.error == "Title cannot be empty."
    fine, calls = _recording()
    assert await fine(page, {"title": "ok"}) == "done"
    assert page.error == "" and len(calls) == 1
