"""The Providers page's "Test" button: a real, minimal call through the one call path.

It waits ``llm_probe_timeout_seconds`` (10 s), not the minute a workflow step may wait: the user
is watching a spinner, and a provider that has not answered by then is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from nyx_app.db.session import transaction
from nyx_app.integrations.llm import ErrorKind
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound, ServiceError
from nyx_app.services.llm import catalog
from nyx_app.services.llm.call import LlmRequest, complete
from nyx_app.services.llm.credentials import resolve_all
from nyx_app.services.llm.errors import LlmUnavailable
from nyx_app.settings import get_settings

# Cheap models that answer a tiny prompt without spending the token limit on thinking.
PROBE_MODELS = {
    catalog.ANTHROPIC: "claude-sonnet-4-6",
    catalog.OPENAI: "gpt-4.1-nano",
    catalog.GEMINI: "gemini-2.5-flash-lite",
}
PROBE_PROMPT = "Reply with the single word OK."


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    message: str


def probe_timeout_seconds() -> float:
    return get_settings().llm_probe_timeout_seconds


async def probe_provider(ctx: TenantContext, name: str) -> ProbeResult:
    """Call the provider once, without fallbacks. The call path records the attempt and sets the
    provider's status; this returns what to tell the user."""
    async with transaction(tenant_id=ctx.tenant_id, user_id=ctx.user_id) as session:
        provider = (await resolve_all(session, ctx)).get(name)
    if provider is None:
        raise NotFound("Provider not found.")
    model_id = PROBE_MODELS.get(provider.kind) or (provider.models[0] if provider.models else "")
    if not model_id:
        raise NotFound("This endpoint lists no models to test with.")
    request = LlmRequest(
        PROBE_PROMPT,
        model=f"{name}/{model_id}",
        fallbacks=[],
        max_tokens=16,
        purpose="provider test",
        timeout=probe_timeout_seconds(),
        ignore_retry_at=True,  # the user asked to try it now
    )
    try:
        result = await complete(ctx, request)
    except LlmUnavailable as exc:
        if exc.attempts and exc.attempts[-1].error_kind == ErrorKind.TIMEOUT:
            return ProbeResult(
                False,
                f"{name} did not answer within {probe_timeout_seconds():g} s, so the test gave up. "
                "It may be overloaded or unreachable; calls from workflows wait longer.",
            )
        return ProbeResult(False, exc.message)
    except ServiceError as exc:
        return ProbeResult(False, exc.message)
    return ProbeResult(True, f"{name} answered in {result.latency_ms} ms using {model_id}.")
