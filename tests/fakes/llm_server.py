"""A fake LLM provider on loopback, so LiteLLM's real provider code runs against it in tests.

Speaks three dialects on one port:
- OpenAI  ``POST /v1/chat/completions`` (plain and SSE streaming, with usage), api_base = ``openai_base``
- Anthropic ``POST /v1/messages`` (plain and SSE streaming), api_base = ``anthropic_base``
- OpenAI  ``POST /v1/embeddings``: deterministic vectors (``fake_embedding``: words hashed into
  ``embedding_dims`` dimensions, so texts sharing words are near), or a scripted fault, stall,
  wrong dimension (``wrong_dimension``) or NaN (``nan_vector``)
- Gemini  ``POST /v1beta/models/{model}:generateContent`` / ``:streamGenerateContent``,
  api_base = ``gemini_base`` (LiteLLM builds ``{api_base}/models/{model}:{endpoint}`` for ``gemini/``)

Each model has a script: a queue of steps consumed one per request (``answer``, ``fault``, ``stall``
…); when it runs dry the model's ``then`` step, else a default templated answer. Every request is
logged so tests can count calls, with when it came and whether its client was still connected when
the answer was ready (a killed client has hung up; a frozen one has not). A thread per request: a
stalled request never blocks another, and the app under test (another process) can reach it as
well as in-process tests.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.llm_dialects import DIALECTS, Dialect

DEFAULT_TEMPLATE = "Answer from {model}: {prompt}"


@dataclass(frozen=True)
class Step:
    """One scripted reaction. kind: answer | fault | stall | cut_stream | malformed_body | redirect."""

    kind: str
    text: str = ""  # the answer, or a redirect's Location
    fault: str = ""  # credit | auth | rate_limit | server | overloaded | context | bad_request
    latency: float = 0.0
    retry_after: float | None = None
    # kind "respond": the answer is fn(prompt) (the last user message's text).
    fn: Callable[[str], str] | None = None
    # Streaming: pause this long between the pieces of the answer.
    chunk_delay: float = 0.0
    status: int = 0  # a redirect's status code


def respond(fn: Callable[[str], str], latency: float = 0.0, chunk_delay: float = 0.0) -> Step:
    """An answer computed from the prompt, e.g. a JSON list for one step and a plan for another."""
    return Step("respond", fn=fn, latency=latency, chunk_delay=chunk_delay)


def answer(text: str = DEFAULT_TEMPLATE, latency: float = 0.0) -> Step:
    """Fixed text, or a template with {model} and {prompt} (the last user message)."""
    return Step("answer", text=text, latency=latency)


def wrong_dimension(dims: int) -> Step:
    """Embeddings of ``dims`` dimensions instead of the model's."""
    return Step("embed_dims", status=dims)


def nan_vector() -> Step:
    """Embeddings whose first vector holds a NaN."""
    return Step("embed_nan")


def fake_embedding(text: str, dims: int) -> list[float]:
    """A unit vector from the text's words: each word adds the same few ±1s wherever it occurs."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        rng = random.Random(hashlib.sha256(word.encode()).digest())
        for _ in range(8):
            vector[rng.randrange(dims)] += rng.choice((-1.0, 1.0))
    if not any(vector):
        vector[0] = 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def empty() -> Step:
    return Step("answer", text="")


def fault(name: str, retry_after: float | None = None) -> Step:
    return Step("fault", fault=name, retry_after=retry_after)


def stall(seconds: float = 30.0) -> Step:
    """Accept the request and say nothing for this long (past the caller's timeout)."""
    return Step("stall", latency=seconds)


def cut_stream(text: str = "This answer is cut off mid") -> Step:
    """Stream part of an answer, then drop the connection without finishing the message."""
    return Step("cut_stream", text=text)


def malformed_body() -> Step:
    """HTTP 200 whose body is not JSON at all."""
    return Step("malformed_body")


def redirect(location: str, status: int = 307) -> Step:
    """Answer with a redirect to ``location`` (a client must not follow it to an inside address)."""
    return Step("redirect", text=location, status=status)


@dataclass
class LoggedRequest:
    dialect: str
    model: str
    stream: bool
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # when it arrived (wall clock: comparable across processes)
    # Whether the client was still connected when its answer was about to be sent (None: no answer).
    client_connected: bool | None = None


@dataclass
class _Script:
    steps: deque[Step] = field(default_factory=deque)
    then: Step | None = None


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: thirteen fan-out calls connecting at once then
    # lost SYNs, and the kernel retried them a second later, so a run took 1 s longer now and then.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a cancelled run, a timeout) is normal here."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeLLM:
    def __init__(self) -> None:
        self._scripts: dict[str, _Script] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests answered at the same moment since reset()
        self.embedding_dims = 1536  # /v1/embeddings answers with this many dimensions
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake stalled handlers so shutdown does not wait for them
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()
            self.max_in_flight = 0
            self.embedding_dims = 1536

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.url

    @property
    def gemini_base(self) -> str:
        return self.url + "/v1beta"

    # -- scripting -----------------------------------------------------------------------------
    def script(self, model: str, *steps: Step, then: Step | None = None) -> None:
        with self._lock:
            self._scripts[model] = _Script(deque(steps), then)

    def next_step(self, model: str) -> Step:
        with self._lock:
            script = self._scripts.get(model)
            if script and script.steps:
                return script.steps.popleft()
            if script and script.then:
                return script.then
        return answer()

    def calls(self, model: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if model is None or r.model == model)

    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def prompts(self, model: str | None = None) -> list[str]:
        """The last user message of every request (to a model), in order."""
        with self._lock:
            return [_last_user_text(r.body, r.dialect) for r in self.requests if model is None or r.model == model]

    def wait_stalled(self, seconds: float) -> None:
        self._release.wait(seconds)


def _last_user_text(body: dict[str, Any], dialect: str) -> str:
    if dialect == "gemini":
        contents = body.get("contents") or []
        parts = contents[-1].get("parts", []) if contents else []
        return " ".join(p.get("text", "") for p in parts)
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(c.get("text", "") for c in content if isinstance(c, dict) and c.get("type") == "text")
    return ""


GEMINI_PATH = re.compile(r"^/v1beta/models/(?P<model>[^:]+):(?P<op>generateContent|streamGenerateContent)")


def _make_handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            path = self.path.split("?")[0]
            gemini = GEMINI_PATH.match(path)
            if path == "/v1/embeddings":
                self._embeddings(body)
                return
            if path == "/v1/chat/completions":
                name, model, stream = "openai", body.get("model", ""), bool(body.get("stream"))
            elif path == "/v1/messages":
                name, model, stream = "anthropic", body.get("model", ""), bool(body.get("stream"))
            elif gemini:
                name, model = "gemini", gemini["model"]
                stream = gemini["op"] == "streamGenerateContent"
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})
                return
            entry = LoggedRequest(name, model, stream, body, {k.lower(): v for k, v in self.headers.items()})
            fake.log(entry)
            fake.enter()
            try:
                self._react(DIALECTS[name], fake.next_step(model), model, _last_user_text(body, name), stream, entry)
            finally:
                fake.leave()

        def _connected(self) -> bool:
            """Whether the client is still there: a hung-up socket reads as end of file."""
            try:
                return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
            except BlockingIOError:
                return True  # nothing to read: still connected
            except OSError:
                return False

        def _react(
            self, dialect: Dialect, step: Step, model: str, prompt: str, stream: bool, entry: LoggedRequest
        ) -> None:
            if step.latency and step.kind != "stall":
                time.sleep(step.latency)
            if step.kind == "stall":
                fake.wait_stalled(step.latency)
                self.close_connection = True
                return
            if step.kind == "fault":
                status, payload, headers = dialect.error(step.fault, step.retry_after)
                self._send(status, payload, headers)
                return
            if step.kind == "redirect":
                self._send_raw(step.status, b"", "text/plain", {"Location": step.text})
                return
            if step.kind == "malformed_body":
                self._send_raw(200, b'{"choices": [ {"message": ', "application/json")
                return
            if step.kind == "respond" and step.fn is not None:
                text = step.fn(prompt)
            else:
                text = step.text.replace("{model}", model).replace("{prompt}", prompt)
            entry.client_connected = self._connected()  # the answer is ready: is anyone there?
            usage = (max(1, len(prompt.split())), len(text.split()))
            if step.kind == "cut_stream":
                events = dialect.stream_events(model, text, usage)
                self._stream(events[: max(2, len(events) // 2)], cut=True)
            elif stream:
                self._stream(dialect.stream_events(model, text, usage), cut=False, delay=step.chunk_delay)
            else:
                self._send(200, dialect.response(model, text, usage))

        def _embeddings(self, body: dict[str, Any]) -> None:
            model = body.get("model", "")
            texts = body.get("input") or []
            texts = [texts] if isinstance(texts, str) else [str(t) for t in texts]
            entry = LoggedRequest("openai", model, False, body, {k.lower(): v for k, v in self.headers.items()})
            fake.log(entry)
            step = fake.next_step(model)
            if step.kind in ("fault", "stall", "redirect", "malformed_body"):
                fake.enter()
                try:
                    self._react(DIALECTS["openai"], step, model, "", False, entry)
                finally:
                    fake.leave()
                return
            if step.latency:
                time.sleep(step.latency)
            dims = step.status if step.kind == "embed_dims" else int(body.get("dimensions") or fake.embedding_dims)
            vectors = [fake_embedding(t, dims) for t in texts]
            if step.kind == "embed_nan" and vectors:
                vectors[0][0] = float("nan")
            tokens = sum(max(1, len(t.split())) for t in texts)
            data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
            payload = {"object": "list", "data": data, "model": model,
                       "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}  # fmt: skip
            # json.dumps writes NaN as a bare NaN token, as a broken server would.
            self._send(200, payload)

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: list[str], *, cut: bool, delay: float = 0.0) -> None:
            """Chunked SSE; a cut stream stops without the terminating chunk, like a dropped peer."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in events:
                data = event.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
            if cut:
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def image_parts(request: LoggedRequest) -> int:
    """How many images a request carried (OpenAI/Anthropic/Gemini message formats)."""
    count = 0
    for message in request.body.get("messages") or request.body.get("contents") or []:
        parts = message.get("content") or message.get("parts") or []
        if isinstance(parts, list):
            count += sum(1 for p in parts if isinstance(p, dict) and _is_image(p))
    return count


def _is_image(part: dict[str, Any]) -> bool:
    return part.get("type") in ("image_url", "image") or "inline_data" in part or "inlineData" in part
