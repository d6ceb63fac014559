"""One outbound guard: nothing a member writes makes the server open a URL except through
``integrations/net_guard.py``. This test reads every module of ``nyx_app/`` and fails when an HTTP
client, a URL opener, a socket or a library that fetches on its own appears outside the places
listed below, each with the reason it may. A new place needs a reason here, in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nyx_app.settings import ROOT_DIR

PACKAGE = ROOT_DIR / "nyx_app"

# Modules that open connections or fetch URLs by themselves (prefix match on the imported name).
OUTBOUND = (
    "urllib.request", "urllib3", "requests", "httpx", "httpcore", "aiohttp", "http.client", "pycurl",
    "socket", "ssl", "fsspec", "smart_open", "websockets", "websocket", "ftplib", "smtplib", "xmlrpc",
    "litellm", "openai", "anthropic", "boto3", "botocore", "playwright", "pyppeteer",
    # jsonschema resolves a remote $ref by itself unless given a registry that refuses it.
    "jsonschema", "referencing",
)  # fmt: skip
# Names that open a URL wherever they come from.
OPENERS = {"urlopen", "urlretrieve", "build_opener", "create_connection"}

ALLOWED: dict[str, tuple[set[str], str]] = {
    "integrations/net_guard.py": (
        {"httpx", "httpcore", "socket", "ssl"},
        "the guard itself: resolves, checks and connects to the addresses a request uses",
    ),
    "integrations/llm.py": (
        {"httpx", "litellm", "openai"},
        "LiteLLM and the OpenAI SDK get an httpx client whose transport is net_guard.GuardedTransport",
    ),
    "integrations/llm_errors.py": ({"httpx", "litellm"}, "exception classes only, to classify provider errors"),
    "integrations/storage.py": (
        {"boto3", "botocore"},
        "S3 at the endpoint the operator configured in settings; no member chooses it",
    ),
    "integrations/pdf/renderer.py": (
        {"playwright"},
        "Chromium renders our own HTML; page.route refuses every request but the app's own assets",
    ),
    "integrations/pdf/diagrams.py": ({"playwright"}, "the same browser, same route refusal"),
    "integrations/pdf/template.py": ({"playwright"}, "a type (PdfMargins) only"),
    "integrations/mail.py": (
        {"smtplib", "ssl"},
        "the SMTP server the operator configured in settings (password-reset mail); no member chooses it",
    ),
    "services/webhooks/deliver.py": (
        {"httpx"},
        "an httpx client whose transport is net_guard.GuardedTransport, judged on the address it connects to",
    ),
    "integrations/git.py": (
        {"httpcore"},
        "exception classes only (net_guard's connect errors); git fetches only from the address net_guard "
        "checked, pinned with http.curloptResolve, redirects off",
    ),
    "integrations/github.py": (
        {"httpx"},
        "the operator's GitHub API (NYX_GITHUB_API_URL), never an address a member gives; redirects not followed",
    ),
    "services/workflows/schemas.py": (
        {"jsonschema", "referencing"},
        "every validator there has the registry that refuses to retrieve anything",
    ),
}
# Imports by a computed name (which the checks above cannot see), and why these are safe.
DYNAMIC_IMPORTS = {
    "integrations/limited_child.py": "imports the modules its parent process names (our own)",
    "integrations/code_tags.py": "imports the tree-sitter grammar modules named in its own GRAMMARS table",
}


def _outbound(name: str) -> str | None:
    return next((m for m in OUTBOUND if name == m or name.startswith(m + ".")), None)


def _findings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            found += [(node.lineno, a.name) for a in node.names if a.name in OPENERS]
        elif isinstance(node, ast.Attribute) and node.attr in OPENERS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                names = [argument.value]
            else:
                found.append((node.lineno, "import by a computed name"))
        found += [(node.lineno, m) for n in names if (m := _outbound(n))]
    return found


def _is_dynamic_import(node: ast.Call) -> bool:
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "__import__") or (
        isinstance(f, ast.Attribute) and f.attr == "import_module"
    )


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if ".web" not in p.parts)


def test_no_http_client_or_url_opener_outside_the_guard() -> None:
    wrong: list[str] = []
    for path in _modules():
        where = path.relative_to(PACKAGE).as_posix()
        allowed = ALLOWED.get(where, (set(), ""))[0]
        for line, what in _findings(path):
            if what == "import by a computed name" and where in DYNAMIC_IMPORTS:
                continue
            if what not in allowed:
                wrong.append(f"nyx_app/{where}:{line} uses {what}")
    assert not wrong, "Outbound requests go through integrations/net_guard.py only:\n" + "\n".join(wrong)


def test_every_allowed_place_exists_and_still_needs_its_exception() -> None:
    """A stale entry would silently allow a future import there."""
    for where, (allowed, reason) in ALLOWED.items():
        path = PACKAGE / where
        assert path.exists(), f"{where} is listed as allowed but is gone"
        assert reason
        used = {what for _, what in _findings(path)}
        assert allowed <= used, f"{where} no longer uses {sorted(allowed - used)}: remove them from ALLOWED"


@pytest.mark.parametrize(
    "source",
    [
        "import urllib.request",
        "from urllib.request import urlopen",
        "import requests",
        "from httpx import AsyncClient",
        "import aiohttp",
        "from http.client import HTTPConnection",
        "import fsspec",
        "from jsonschema import Draft202012Validator",
        "x = __import__('requests')",
        "import importlib\nimportlib.import_module(name)",
        "import urllib\nurllib.request.urlopen('http://x')",
    ],
)
def test_the_check_sees_each_way_in(tmp_path: Path, source: str) -> None:
    path = tmp_path / "module.py"
    path.write_text(source + "\n")
    assert _findings(path)
