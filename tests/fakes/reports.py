"""A report like the seed's flagship output: ~145,000 characters of implementation specs for 13
action points, with 30 code blocks of long lines, 10 wide tables, a Mermaid flowchart and a sequence
diagram, lists, blockquotes and a remote image. Used by the PDF tests and scripts/bench/pdf.py.

`to_html` is a stand-in for the app's Markdown renderer (integrations/markdown.py, being built on
another branch): markdown-it-py with raw HTML off gives the same shape of HTML for what is here.
"""

from __future__ import annotations

import itertools

from markdown_it import MarkdownIt

TARGET_CHARS = 145_000
ACTION_POINTS = 13
CODE_BLOCKS = 30
WIDE_TABLES = 10
REMOTE_IMAGE = "https://example.com/t.png"

# Words that exist only inside the diagrams: found in the PDF text, they prove a diagram was drawn.
FLOWCHART_LABELS = ("Vision extraction", "Action point matcher", "Spec writer")
SEQUENCE_LABELS = ("Browser", "Run engine", "enqueue step")
# Words that exist only in the diagrams' source: found in the PDF text, a diagram was printed as code.
DIAGRAM_SOURCE_MARKERS = ("graph TD", "sequenceDiagram", "participant", "-->")

FLOWCHART = """```mermaid
graph TD
  U[Uploaded screenshots] --> V[Vision extraction]
  V --> E{Enough context?}
  E -- yes --> M[Action point matcher]
  E -- no --> C[Ask for more context]
  C --> V
  M --> S[Spec writer]
  S --> R[(Report store)]
```"""

SEQUENCE = """```mermaid
sequenceDiagram
  participant B as Browser
  participant A as App
  participant W as Run engine
  B->>A: start pipeline
  A->>W: enqueue step
  W-->>A: step finished
  A-->>B: progress 16 of 16
```"""

_SENTENCES = (
    "The step reads the note, its images and the project's memory, then asks the model for a plan.",
    "Every file path in the plan is checked against the repository before it is shown to a developer.",
    "Tenant isolation is enforced by row-level security, so a forgotten filter cannot leak rows.",
    "The run engine retries a failed step once and records the provider's answer in words.",
    "Costs are summed per step and per run, and the budget check refuses a step that would exceed it.",
    "A reviewer can pause the run after any step, edit the output and let the pipeline continue.",
    "Long outputs are stored as Markdown and rendered on the server by one sanitising renderer.",
    "The specification names the tests to write first, then the smallest change that makes them pass.",
)
_FILES = ("nyx_app/services/runs.py", "nyx_app/jobs/pipeline.py", "nyx_app/integrations/llm.py", "alembic/versions/")


def _prose(seed: int, sentences: int) -> str:
    cycle = itertools.islice(itertools.cycle(_SENTENCES), seed % len(_SENTENCES), None)
    return " ".join(itertools.islice(cycle, sentences))


def _code(n: int) -> str:
    kind = ("python", "bash", "sql")[n % 3]
    if kind == "python":
        body = f'''async def action_point_{n}(session: AsyncSession, ctx: TenantContext, note_id: uuid.UUID) -> ActionPlan:
    """Build the implementation plan for action point {n} from the note, its images and the project memory."""
    note = await notes.get_note(session, ctx, note_id)
    images = await note_images.list_for_note(session, ctx, note.id)
    context = await memory.search(session, ctx, query=note.title, limit=8, kinds=("decision", "pitfall", "convention"))
    plan = await llm.complete(ctx, prompt=templates.render("action_point", note=note, images=images, context=context, number={n}))
    return ActionPlan(number={n}, files=[f for f in plan.files if f.startswith(("nyx_app/", "tests/", "alembic/"))], text=plan.text)'''
    elif kind == "bash":
        body = f"""# Action point {n}: migrate, test and benchmark in one go
./scripts/test tests/services/test_action_point_{n}.py -x -q --maxfail=1 && alembic upgrade head && PYTHONPATH=. .venv/bin/python scripts/bench/runs.py --steps 16 --tenants 10 --report test-artifacts/action-point-{n}.json
grep -rn "tenant_id" nyx_app/services/ | grep -v "ctx.tenant_id" | sort | uniq -c | sort -rn | head -20  # every query scoped?"""
    else:
        body = f"""-- Action point {n}: one row per matched action point, scoped to the tenant by RLS
SELECT r.id, r.created_at, s.number AS step, s.status, s.cost_usd, a.title AS action_point, length(s.output) AS output_chars
FROM runs r JOIN run_steps s ON s.tenant_id = r.tenant_id AND s.run_id = r.id LEFT JOIN action_points a ON a.tenant_id = s.tenant_id AND a.step_id = s.id
WHERE r.workflow_id = '8ae18aa5-a026-448e-8b92-de706296d039' AND s.number <= {n + 3} ORDER BY r.created_at DESC, s.number;"""
    return f"```{kind}\n{body}\n```"


def _table(n: int) -> str:
    head = (
        "| # | Action point | Files touched | Tests to write first | Migration | Risk | Owner | Estimate | Status |"
        "\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {n}.{r} | Persist the {('image set', 'run output', 'memory link', 'report')[r % 4]} for step {r} "
        f"| `{_FILES[r % len(_FILES)]}`, `tests/services/test_step_{n}_{r}.py` "
        f"| a tenant never sees another tenant's rows; a retried step keeps its first output "
        f"| `{n:04d}_add_step_{r}_columns.py` | {('low', 'medium', 'high')[r % 3]} "
        f"| backend | {r + 1}h | {('planned', 'in progress', 'done')[(n + r) % 3]} |"
        for r in range(1, 7)
    ]
    return "\n".join([head, *rows])


def _action_point(n: int, code: list[str], table: str | None) -> str:
    parts = [
        f"## Action point {n}: {('Multi-image notes', 'Tenant guards', 'Run retries', 'Cost ledger')[n % 4]} ({n} of {ACTION_POINTS})",
        _prose(n, 6),
        "### What changes",
        "\n".join(
            [
                f"1. Add the service function in `{_FILES[n % len(_FILES)]}` and its test first.",
                "2. Wire the job so the page only enqueues and shows progress:",
                "   - the handler validates input and calls the service;",
                "   - the job commits once, at the edge.",
                "3. Document the decision in the project memory.",
            ]
        ),
        _prose(n + 1, 5),
    ]
    for i, block in enumerate(code):
        parts += [f"### Step {n}.{i + 1}", _prose(n + i, 3), block]
    if table is not None:
        parts += ["### Plan", table]
    parts += [f"> **Lesson from the seed:** {_prose(n + 2, 2)}", _prose(n + 3, 7)]
    return "\n\n".join(parts)


def flagship_report() -> str:
    """Deterministic Markdown of at least TARGET_CHARS characters."""
    codes = [_code(i) for i in range(1, CODE_BLOCKS + 1)]
    per_point = [codes[i::ACTION_POINTS] for i in range(ACTION_POINTS)]
    intro = "\n\n".join(
        [
            "# Image-to-implementation pipeline: proof of concept",
            "Workflow `8ae18aa5-a026-448e-8b92-de706296d039`, *feat: project-onboarding (13 actions)*, 16 steps "
            "in about 18 minutes for $0.82: **13 of 13 action points matched** with an implementation plan.",
            f"![Screenshot of the run]({REMOTE_IMAGE})",
            "> The output is ready for a developer to pick up: file paths, code, tests to write first and commands.",
            "## Pipeline",
            FLOWCHART,
            _prose(0, 8),
            "## How a step runs",
            SEQUENCE,
            _prose(3, 8),
        ]
    )
    points = [
        _action_point(n, per_point[n - 1], _table(n) if n <= WIDE_TABLES else None) for n in range(1, ACTION_POINTS + 1)
    ]
    text = "\n\n".join([intro, *points, "## Appendix: notes from the run"])
    paragraph = 0
    while len(text) < TARGET_CHARS:
        text += "\n\n" + _prose(paragraph, 6)
        paragraph += 1
    return text + "\n"


def to_html(markdown: str) -> str:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return str(md.render(markdown))
