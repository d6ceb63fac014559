"""Real git repositories made in a test, served over smart HTTP on loopback.

``GitServer`` runs Debian's ``git http-backend`` (the CGI program git ships) behind a tiny
threaded HTTP server: what the app fetches is exactly what a git host serves. Repositories whose
name starts with ``private-`` answer 401 unless the request carries the server's token as Basic
auth (any user name), as GitHub does for a private repository. A path listed in ``redirects``
answers 301 to another URL.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

GIT_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, check=True)
    return done.stdout.decode().strip()


class Repo:
    """A work tree (``work``) whose commits are pushed to a bare repository under the served root."""

    def __init__(self, root: Path, name: str, branch: str = "main") -> None:
        self.bare = root / f"{name}.git"
        self.work = root / "work" / name
        self.branch = branch
        self._gitlinks: list[tuple[str, str]] = []
        self.work.mkdir(parents=True)
        git("init", "--quiet", f"--initial-branch={branch}", cwd=self.work)
        git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(self.bare), cwd=root)
        git("config", "http.receivepack", "true", cwd=self.bare)

    def write(self, path: str, content: bytes | str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def symlink(self, path: str, to: str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(to, target)

    def gitlink(self, path: str, sha: str = "1" * 40) -> None:
        """A submodule entry (a commit in the tree), as a repository with submodules has."""
        self._gitlinks.append((path, sha))

    def commit(self, message: str = "change") -> str:
        git("add", "-A", cwd=self.work)
        for path, sha in self._gitlinks:  # after add -A, which would drop an entry without a folder
            git("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}", cwd=self.work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "--quiet", str(self.bare), f"HEAD:refs/heads/{self.branch}", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


class GitServer:
    def __init__(self, root: Path, token: str = "s3cret-token-1234") -> None:
        self.root = root
        self.token = token
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []  # (path, authorization header)
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def repo_url(self, name: str) -> str:
        return f"{self.url}/{name}.git"

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
        return decoded.split(":", 1)[-1] == self.token

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                auth = self.headers.get("Authorization", "")
                server.requests.append((parts.path, auth))
                for prefix, target in server.redirects.items():
                    if parts.path.startswith(prefix):
                        self.send_response(301)
                        self.send_header("Location", target + parts.path[len(prefix) :] + "?" + parts.query)
                        self.end_headers()
                        return
                if parts.path.lstrip("/").startswith("private-") and not server._authorized(auth):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                env = {
                    **GIT_ENV,
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": parts.path,
                    "QUERY_STRING": parts.query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(length),
                    "REMOTE_ADDR": "127.0.0.1",
                    "REMOTE_USER": "test",
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                }
                if self.headers.get("Content-Encoding"):
                    env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
                done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
                head, _, payload = done.stdout.partition(b"\r\n\r\n")
                if not _:
                    head, _, payload = done.stdout.partition(b"\n\n")
                status = 200
                headers: list[tuple[str, str]] = []
                for line in head.decode("latin-1").splitlines():
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        return Handler

    @contextmanager
    def running(self) -> Iterator[GitServer]:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
