"""Registration problems become codes for the form, each with its own words at its own field."""

from __future__ import annotations

from nyx_app.services.auth_feedback import Problem, field_of, parse, registration_problems, words


def test_every_field_is_judged_at_once() -> None:
    found = registration_problems("not-an-email", "password", "\u202eEvil", "")
    assert found == [Problem.NAME_INVALID, Problem.EMAIL_INVALID, Problem.PASSWORD_WEAK, Problem.WORKSPACE_EMPTY]
    assert [field_of(p) for p in found] == ["name", "email", "password", "workspace"]
    assert words(Problem.PASSWORD_WEAK).startswith("This password is too easy to guess")


def test_a_password_made_of_the_users_own_name_is_weak() -> None:
    assert registration_problems("ada@example.com", "ada lovelace", "Ada Lovelace", "Team") == [Problem.PASSWORD_WEAK]
    assert registration_problems("ada@example.com", "violet-harbor-kite-91", "Ada Lovelace", "Team") == []


def test_unknown_codes_from_a_url_are_dropped() -> None:
    assert parse("password_weak,<script>,name_invalid") == [Problem.PASSWORD_WEAK, Problem.NAME_INVALID]
