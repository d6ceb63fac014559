"""GitHub's REST API: the one call auto-fix makes, opening a pull request.

The API's address is the operator's (``NYX_GITHUB_API_URL``), never a user's, so it is called
directly rather than through the provider-endpoint guard. The token goes in the Authorization
header only; no error message or log line carries it, and redirects are not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from nyx_app.settings import get_settings

TIMEOUT_S = 30.0
MESSAGE_MAX = 300
_SAFE = re.compile(r"[^\w .,:;()'/#@+-]")


class GitHubError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    url: str


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or "")]
    parts.extend(str(e["message"]) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message"))
    return _SAFE.sub("", ": ".join(p for p in parts if p))[:MESSAGE_MAX]


async def open_pull_request(
    token: str, owner: str, repo: str, *, head: str, base: str, title: str, body: str
) -> PullRequest:
    """POST /repos/{owner}/{repo}/pulls; raises GitHubError in words."""
    api = get_settings().github_api_url.rstrip("/")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "nyxCore",
    }
    payload = {"title": title, "head": head, "base": base, "body": body, "maintainer_can_modify": True}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False, trust_env=False) as client:
            response = await client.post(f"{api}/repos/{owner}/{repo}/pulls", json=payload, headers=headers)
    except httpx.HTTPError as error:
        raise GitHubError(f"GitHub could not be reached ({type(error).__name__}).") from None
    if response.status_code == 201:
        try:
            data = response.json()
            link = str(data.get("html_url") or "")
            # Shown as a link on the page: only a web address, never javascript: or data:.
            return PullRequest(int(data.get("number") or 0), link if link.startswith("https://") else "")
        except (ValueError, TypeError, AttributeError):
            raise GitHubError("GitHub answered in an unexpected way; look for the pull request on GitHub.") from None
    said = _said(response)
    if response.status_code in (401, 403):
        raise GitHubError(f"GitHub refused the token ({response.status_code}): it needs write access to pull requests.")
    if response.status_code == 404:
        raise GitHubError("GitHub does not know this repository (or the token cannot see it).")
    raise GitHubError(f"GitHub did not open the pull request ({response.status_code}){': ' + said if said else ''}.")
