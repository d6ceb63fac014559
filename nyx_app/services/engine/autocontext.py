"""Auto-context: a prompt that names no ``{{steps.…}}`` gets its dependencies' outputs appended.

The context is trimmed to what the model's context window leaves after the prompt and the answer
(tokens counted with LiteLLM's counter for that model), each dependency keeping a share in
proportion to its length; what was cut is said in words and recorded on the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nyx_app.services.llm import catalog

# Room kept free for message framing and the counter's own inaccuracy.
MARGIN_TOKENS = 1_000
DEFAULT_ANSWER_TOKENS = 4_096
TRIM_MARK = "\n\n[… {n:,} characters left out to fit the model's context window]"


@dataclass(frozen=True, slots=True)
class Dependency:
    key: str
    title: str
    output: str


def context_window(model_ref: str, default: int) -> int:
    info = catalog.find(model_ref)
    return info.context_window if info and info.context_window else default


def _section(dep: Dependency, text: str) -> str:
    return f"## {dep.title} (step {dep.key})\n\n{text.strip() or '(no output)'}"


def build(
    prompt: str,
    system: str,
    deps: list[Dependency],
    *,
    window: int,
    answer_tokens: int | None,
    count: Callable[[str], int],
) -> tuple[str, str]:
    """The prompt with its dependencies' outputs appended, and a note of any trimming ("" if none)."""
    if not deps:
        return prompt, ""
    header = f"{prompt.rstrip()}\n\n---\nContext from earlier steps:\n\n"
    budget = window - (answer_tokens or DEFAULT_ANSWER_TOKENS) - MARGIN_TOKENS - count(header + system)
    full = "\n\n".join(_section(d, d.output) for d in deps)
    # Cheap test first: about 3 characters per token at the very least, so shorter texts fit for sure.
    if len(full) // 3 <= budget or count(full) <= budget:
        return header + full, ""
    budget = max(budget, 0)
    tokens = count(full)
    ratio = budget / tokens if tokens else 0.0
    kept: list[str] = []
    notes: list[str] = []
    for dep in deps:
        keep = int(len(dep.output) * ratio * 0.95)  # 5 % slack for the counter's estimate
        if keep >= len(dep.output):
            kept.append(_section(dep, dep.output))
            continue
        cut = len(dep.output) - keep
        kept.append(_section(dep, dep.output[:keep] + TRIM_MARK.format(n=cut)))
        notes.append(f"{dep.key} cut from {len(dep.output):,} to {keep:,} characters")
    note = f"Auto-context trimmed to fit the model's {window:,}-token context window: " + "; ".join(notes) + "."
    return header + "\n\n".join(kept), note
