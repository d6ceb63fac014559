"""Wire formats of the three provider APIs the fake server speaks: answers, streams, and errors.

Error bodies copy what the real providers send, because the call path classifies on them:
Anthropic's "credit balance is too low" is a 400, OpenAI's exhausted quota a 429 insufficient_quota.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

Usage = tuple[int, int]  # (prompt tokens, completion tokens)


class Dialect(Protocol):
    def response(self, model: str, text: str, usage: Usage) -> dict[str, Any]: ...
    def stream_events(self, model: str, text: str, usage: Usage) -> list[str]: ...
    def error(self, fault: str, retry_after: float | None) -> tuple[int, dict[str, Any], dict[str, str]]: ...


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if text else []


def _sse(payload: dict[str, Any], event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n"


def _retry_headers(retry_after: float | None) -> dict[str, str]:
    return {"retry-after": str(retry_after)} if retry_after is not None else {}


@dataclass(frozen=True)
class OpenAIDialect:
    def response(self, model: str, text: str, usage: Usage) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }

    def stream_events(self, model: str, text: str, usage: Usage) -> list[str]:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        events = [_sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})]
        events += [_sse({**base, "choices": [{"index": 0, "delta": {"content": p}}]}) for p in _pieces(text)]
        events.append(_sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        u = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
        events.append(_sse({**base, "choices": [], "usage": u}))
        events.append("data: [DONE]\n\n")
        return events

    def error(self, fault: str, retry_after: float | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        table = {
            "credit": (
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
            ),
            "auth": (
                401,
                "Incorrect API key provided: sk-fake. You can find your API key at platform.openai.com.",
                "invalid_api_key",
            ),
            "rate_limit": (
                429,
                "Rate limit reached for requests per min. Please try again in 1s.",
                "rate_limit_exceeded",
            ),
            "server": (500, "The server had an error while processing your request.", "server_error"),
            "overloaded": (503, "The engine is currently overloaded, please try again later.", "overloaded"),
            "context": (
                400,
                "This model's maximum context length is 1047576 tokens. However, your messages "
                "resulted in 2000000 tokens. Please reduce the length of the messages.",
                "context_length_exceeded",
            ),
            "bad_request": (400, "Invalid value for 'temperature': must be between 0 and 2.", "invalid_request_error"),
        }
        status, message, code = table[fault]
        return status, {"error": {"message": message, "type": code, "code": code}}, _retry_headers(retry_after)


@dataclass(frozen=True)
class AnthropicDialect:
    def response(self, model: str, text: str, usage: Usage) -> dict[str, Any]:
        return {
            "id": f"msg_{uuid.uuid4().hex[:12]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        }

    def stream_events(self, model: str, text: str, usage: Usage) -> list[str]:
        start = {**self.response(model, "", (usage[0], 1)), "content": [], "stop_reason": None}
        events = [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse(
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                "content_block_start",
            ),
        ]
        events += [
            _sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
                "content_block_delta",
            )
            for p in _pieces(text)
        ]
        events.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": usage[1]},
        }
        events.append(_sse(delta, "message_delta"))
        events.append(_sse({"type": "message_stop"}, "message_stop"))
        return events

    def error(self, fault: str, retry_after: float | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        table = {
            "credit": (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. "
                "Please go to Plans & Billing to upgrade or purchase credits.",
            ),
            "auth": (401, "authentication_error", "invalid x-api-key"),
            "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
            "server": (500, "api_error", "Internal server error"),
            "overloaded": (529, "overloaded_error", "Overloaded"),
            "context": (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
            "bad_request": (400, "invalid_request_error", "temperature: range: 0..1"),
        }
        status, kind, message = table[fault]
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return status, body, _retry_headers(retry_after)


@dataclass(frozen=True)
class GeminiDialect:
    def response(self, model: str, text: str, usage: Usage) -> dict[str, Any]:
        return {
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": usage[0],
                "candidatesTokenCount": usage[1],
                "totalTokenCount": sum(usage),
            },
            "modelVersion": model,
        }

    def stream_events(self, model: str, text: str, usage: Usage) -> list[str]:
        pieces = _pieces(text) or [""]
        events = []
        for i, piece in enumerate(pieces):
            chunk = self.response(model, piece, usage)
            if i < len(pieces) - 1:
                del chunk["candidates"][0]["finishReason"]
            events.append(_sse(chunk))
        events.append(_sse({"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "index": 0}]}))
        events.append(_sse({"usageMetadata": self.response(model, "", usage)["usageMetadata"]}))
        return events

    def error(self, fault: str, retry_after: float | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        table = {
            "credit": (
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details.",
            ),
            "auth": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
            "rate_limit": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
            "server": (500, "INTERNAL", "An internal error has occurred."),
            "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            "context": (
                400,
                "INVALID_ARGUMENT",
                "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).",
            ),
            "bad_request": (400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.temperature'."),
        }
        status, code, message = table[fault]
        return status, {"error": {"code": status, "message": message, "status": code}}, _retry_headers(retry_after)


DIALECTS: dict[str, Dialect] = {"openai": OpenAIDialect(), "anthropic": AnthropicDialect(), "gemini": GeminiDialect()}
