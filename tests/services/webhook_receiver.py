"""A webhook receiver written from the README's "Webhooks" section alone (not from the signing
code): raw body, HMAC-SHA256 over "<timestamp>.<body>" keyed with the whole secret, constant-time
comparison, five minutes of tolerance. It can also be told to fail or stall."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    verified: bool
    event_id: str
    body: dict[str, Any]
    reason: str = ""


@dataclass
class Receiver:
    secret: str = ""
    # What to do with each request in turn ("ok", "500", "stall"); the last one repeats.
    script: list[str] = field(default_factory=lambda: ["ok"])
    received: list[Received] = field(default_factory=list)
    port: int = 0
    stall_seconds: float = 5.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/nyx"

    def verify(self, headers: Any, raw: bytes) -> tuple[bool, str]:
        timestamp = headers.get("Nyx-Webhook-Timestamp", "")
        signature = headers.get("Nyx-Webhook-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False, "timestamp"
        expected = "v1=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return False, "signature"
        return True, ""

    def next_action(self) -> str:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok, reason = receiver.verify(self.headers, raw)
            receiver.received.append(Received(ok, self.headers.get("Nyx-Webhook-Id", ""), json.loads(raw), reason))
            action = receiver.next_action()
            if action == "stall":
                time.sleep(receiver.stall_seconds)
            status = 500 if action == "500" or not ok else 204
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0" if status == 204 else "14")
                self.end_headers()
                if status != 204:
                    self.wfile.write(b"receiver broke")
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
