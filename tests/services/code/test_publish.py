"""Which repository URLs auto-fix may open a pull request for: only owner/name on the operator's
GitHub host, never a path that walks the API elsewhere with the user's token."""

from __future__ import annotations

import pytest

from nyx_app.services.code.publish import github_repository
from nyx_app.settings import get_settings


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/octo/hello.git", ("octo", "hello")),
        ("/octo/hello", ("octo", "hello")),
        ("/../hello", None),
        ("/octo/..", None),
        ("/octo/hello/extra", None),
        ("/oc%2fto/hello", None),
    ],
)
def test_only_owner_and_name_on_the_github_host(path: str, expected: tuple[str, str] | None) -> None:
    host = get_settings().github_host
    assert github_repository(f"https://{host}{path}") == expected


def test_another_host_is_not_github() -> None:
    assert github_repository("https://git.example.org/octo/hello.git") is None
