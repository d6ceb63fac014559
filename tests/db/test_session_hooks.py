"""after_commit / after_rollback: work outside the database follows the transaction's fate."""

import logging

import pytest

from nyx_app.db.session import after_commit, after_rollback, transaction


async def test_commit_runs_after_commit_actions_only(db: None) -> None:
    ran: list[str] = []

    async def mark(what: str) -> None:
        ran.append(what)

    async with transaction() as s:
        after_commit(s, lambda: mark("commit"))
        after_rollback(s, lambda: mark("rollback"))
        assert ran == []  # nothing runs before the outcome is known
    assert ran == ["commit"]


async def test_a_failure_runs_after_rollback_actions_only_and_the_error_still_propagates(db: None) -> None:
    ran: list[str] = []

    async def mark(what: str) -> None:
        ran.append(what)

    with pytest.raises(ZeroDivisionError):
        async with transaction() as s:
            after_commit(s, lambda: mark("commit"))
            after_rollback(s, lambda: mark("rollback"))
            1 / 0  # noqa: B018
    assert ran == ["rollback"]


async def test_a_failing_action_is_logged_and_the_others_still_run(db: None, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise OSError("storage is down")

    async def mark() -> None:
        ran.append("second")

    with caplog.at_level(logging.ERROR, logger="nyx_app.db.session"):
        async with transaction() as s:
            after_commit(s, broken)
            after_commit(s, mark)
    assert ran == ["second"]
    assert "storage is down" in caplog.text
