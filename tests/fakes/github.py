"""A loopback fake of the one GitHub REST endpoint auto-fix uses: ``POST /repos/{o}/{r}/pulls``.

It records each request (path, headers, JSON body) and answers 201 with a pull request's number
and address, or 401 when the Authorization header is not ``Bearer <token>``, as GitHub does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeGitHub:
    def __init__(self, token: str) -> None:
        self.token = token
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                fake.received.append(Received("POST", self.path, dict(self.headers.items()), json.loads(raw)))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._answer(401, {"message": "Bad credentials"})
                elif not self.path.endswith("/pulls"):
                    self._answer(404, {"message": "Not Found"})
                else:
                    number = len(fake.received)
                    self._answer(201, {"number": number, "html_url": f"https://github.test{self.path}/{number}"})

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeGitHub]:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
