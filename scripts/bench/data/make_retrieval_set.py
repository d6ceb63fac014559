# ruff: noqa: E501, RUF001  (hand-written texts)
"""Builds ``retrieval_set.json``: a labelled set for choosing the local embedder.

    python scripts/bench/data/make_retrieval_set.py   # rewrites retrieval_set.json (deterministic)

60 hand-written "target" items of a software team (notes and memory entries), each with two
queries: one that shares (almost) no words with it — the user remembers the meaning, not the
wording — and one a user types with the item's own distinctive words. Around them, ~300 distractors
from a seeded generator: stand-ups, meeting notes, tickets and memory entries over the same
components, so words like "deploy", "database" or "login" appear everywhere and only the meaning
tells the target apart. A query's relevant set is its one target item.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

# (kind, title, body, query by meaning, query by words)
TARGETS: list[tuple[str, str, str, str, str]] = [
    (
        "note",
        "Postmortem: vector column dropped by schema push",
        "During the release the ORM's schema push removed the embeddings column from workflow_insight because the model "
        "did not declare it. We restored it by hand with ALTER TABLE and rebuilt the HNSW index.",
        "why did our similarity search data vanish after shipping",
        "schema push dropped vector column",
    ),
    (
        "memory",
        "Anthropic credit exhausted returns HTTP 400",
        "When the account has no credit left the provider answers 400 with 'credit balance is too low', not 429. "
        "Treat it as account-wide and move to the fallback provider immediately.",
        "the AI vendor ran out of prepaid money and refused requests",
        "credit balance too low 400",
    ),
    (
        "note",
        "Flaky login test on CI",
        "test_login_redirect fails one run in twenty: the session cookie is set after the redirect races the websocket "
        "reconnect. Waiting for the dashboard heading instead of a fixed sleep fixed it.",
        "sign-in check that passes sometimes and fails other times in the pipeline",
        "test_login_redirect cookie race",
    ),
    (
        "memory",
        "Use presigned URLs for S3 downloads",
        "Never stream large report PDFs through the app server. Generate a presigned GET URL valid for five minutes "
        "and redirect the browser to the bucket.",
        "let the browser fetch big files straight from object storage",
        "presigned URL S3 download",
    ),
    (
        "note",
        "Rate limiting the public API",
        "Token bucket per API token: 60 requests per minute, burst 20. Counters live in Redis so every app instance "
        "shares them; answer 429 with Retry-After.",
        "stop one client from hammering our endpoints",
        "token bucket Redis 429 Retry-After",
    ),
    (
        "note",
        "Timezone bug in weekly report",
        "The weekly digest counted Sunday evening runs in the next week because we truncated timestamps in the "
        "server's local zone. Store and compare in UTC, convert only for display.",
        "digest put Sunday night activity into the wrong seven-day period",
        "weekly digest UTC truncation",
    ),
    (
        "memory",
        "Argon2 parameters for password hashing",
        "argon2id with 64 MiB memory, 3 iterations, parallelism 1. Rehash on login when parameters change.",
        "how we store user secrets so stolen tables are useless",
        "argon2id memory iterations rehash",
    ),
    (
        "note",
        "Dark mode contrast issues",
        "Grey secondary text on the dark panel measured 3.1:1, below WCAG AA. Raised it to slate-300 (7.2:1); "
        "badges keep their colour but gain an outline.",
        "night theme labels were too hard to read",
        "WCAG contrast slate-300 dark panel",
    ),
    (
        "note",
        "Memory leak in the PDF renderer",
        "Chromium pages were never closed after a failed render, so the worker grew by 40 MB per failure until the "
        "OOM killer ended it. Close the page in a finally block.",
        "background process kept eating RAM until the kernel killed it",
        "chromium page close finally OOM",
    ),
    (
        "memory",
        "Invitation links expire after 7 days",
        "Invitation tokens are single use and expire after seven days; an expired link shows who to ask for a new one.",
        "how long a teammate has to accept joining the workspace",
        "invitation token expire seven days",
    ),
    (
        "note",
        "Choosing Postgres job queue over Redis",
        "We picked procrastinate because jobs are rows in the same database: a run and its job commit together, so no "
        "run can exist without its job. Redis queues would need an outbox.",
        "why background tasks are stored in the main relational store",
        "procrastinate job queue outbox",
    ),
    (
        "note",
        "Mobile layout breaks on the run page",
        "On screens below 400 px the step cards overflow horizontally because of the long model names. Wrap with "
        "overflow-wrap:anywhere and hide the cost column.",
        "pipeline progress screen looks broken on phones",
        "overflow-wrap step cards 400 px",
    ),
    (
        "memory",
        "Webhook signatures",
        "Outgoing webhooks carry an HMAC-SHA256 of the body in X-Nyx-Signature with a per-endpoint secret and a "
        "timestamp to stop replays.",
        "how receivers verify that callbacks really come from us",
        "HMAC-SHA256 X-Nyx-Signature",
    ),
    (
        "note",
        "Slow dashboard query",
        "The dashboard counted runs per project with a correlated subquery: 1.8 s for the largest tenant. A grouped "
        "join with an index on (tenant_id, project_id, created_at) brought it to 12 ms.",
        "home screen took ages to appear for our biggest customer",
        "correlated subquery index dashboard count",
    ),
    (
        "memory",
        "GDPR deletion requests",
        "A user's deletion request must remove their personal data within 30 days: account, sessions, authored notes "
        "are reassigned to a placeholder, audit events keep only a pseudonym.",
        "what we must do when someone asks us to forget them",
        "GDPR deletion 30 days pseudonym",
    ),
    (
        "note",
        "Retry policy for LLM calls",
        "Retry rate limits and overloaded errors twice with the provider's Retry-After; never retry authentication or "
        "bad request errors; then fall back to the next model in the chain.",
        "when should we try the language model again after it fails",
        "retry overloaded Retry-After fallback chain",
    ),
    (
        "note",
        "Sprint 14 retrospective",
        "Went well: pairing on the engine. Went badly: too many parallel branches, merges took a day. Action: at most "
        "three open branches per person and a daily merge window.",
        "what the team decided to change about how we integrate work",
        "retrospective parallel branches merge window",
    ),
    (
        "memory",
        "Feature flags naming",
        "Flags are named area.feature.variant, default off, and carry an owner and a removal date; stale flags are "
        "listed in the weekly digest.",
        "conventions for toggles that switch functionality on and off",
        "feature flags owner removal date",
    ),
    (
        "note",
        "Image uploads accepted SVG with scripts",
        "An SVG upload with an embedded script tag rendered in the app's origin. We now decode every upload with Pillow "
        "and re-encode to PNG; SVG is refused.",
        "a picture file could run code in our pages",
        "SVG upload script Pillow re-encode",
    ),
    (
        "note",
        "Onboarding checklist for new engineers",
        "Day one: laptop, SSO, repository access, run ./scripts/test. Week one: pair on a bug, ship a small fix, read "
        "DESIGN.md and the seeds.",
        "what a fresh hire does in the first days",
        "onboarding checklist SSO day one",
    ),
    (
        "memory",
        "Customer Acme wants SAML",
        "Acme's IT requires SAML single sign-on with their Okta tenant before rolling out to 400 seats; they accept "
        "SCIM provisioning later.",
        "a big client needs their corporate identity provider to log people in",
        "Acme SAML Okta",
    ),
    (
        "note",
        "Backup and restore drill",
        "Restored last night's base backup plus WAL to a scratch server in 23 minutes; point-in-time recovery to "
        "14:02 worked. Next drill in three months.",
        "practising getting the data back after a disaster",
        "restore drill WAL point-in-time",
    ),
    (
        "note",
        "Websocket reconnect storm",
        "After a deploy, 2,000 browsers reconnected in the same second and the backend spent 40 s answering. Added "
        "jittered backoff (0.2 s times attempt, capped at 2 s).",
        "every open tab came back at once after we shipped and overwhelmed the servers",
        "websocket reconnect jitter backoff",
    ),
    (
        "memory",
        "Pricing: tokens cost per million",
        "Model prices are stored per million input and output tokens; the cost of a call is computed from the "
        "provider's usage numbers, never estimated after the fact.",
        "how we work out what each request to the model costs us",
        "price per million tokens usage",
    ),
    (
        "note",
        "Mermaid diagrams missing in PDF",
        "Reports exported to PDF showed raw Mermaid code because the renderer printed before diagrams finished. Await "
        "every render promise before page.pdf.",
        "charts came out as plain text in the exported document",
        "Mermaid PDF await render",
    ),
    (
        "note",
        "Decision: no sticky sessions",
        "Behind the load balancer any instance must serve any request: state lives in Redis, uploads in S3, so we "
        "turned sticky sessions off.",
        "any server can answer any visitor without pinning",
        "sticky sessions load balancer Redis state",
    ),
    (
        "memory",
        "Code review etiquette",
        "Review within one working day; comment on the code, not the person; mark nits as nits; approve with "
        "suggestions when nothing blocks.",
        "how we give feedback on each other's pull requests politely",
        "review nits approve suggestions",
    ),
    (
        "note",
        "Disk full on the database host",
        "WAL archiving to the bucket failed silently for two days and pg_wal filled the disk. Alert when archiving "
        "lags more than 15 minutes.",
        "the server ran out of storage space because logs were never shipped",
        "pg_wal archiving disk full",
    ),
    (
        "note",
        "Search returns other tenant's notes",
        "A raw SQL search path forgot the tenant filter and a superuser connection bypassed row level security. All "
        "queries now run as the app role with RLS forced.",
        "a customer saw another company's documents in results",
        "RLS forced app role tenant filter",
    ),
    (
        "memory",
        "Release train every Tuesday",
        "We release on Tuesdays at 10:00 UTC; hotfixes any day with two approvals; no releases on Friday afternoons.",
        "on which weekday we ship new versions",
        "release Tuesday 10:00 UTC hotfix",
    ),
    (
        "note",
        "Keyboard shortcuts for power users",
        "Ctrl-K opens the command palette, slash focuses search, g then p goes to projects. Shortcuts are listed "
        "under the question-mark overlay.",
        "typing combinations that let experts move around without the mouse",
        "Ctrl-K command palette shortcut",
    ),
    (
        "note",
        "Cost spike in March",
        "A loop in the auto-fix workflow re-ran the strongest model 300 times on one repository: $412 in a night. "
        "Added a monthly budget per tenant and a hard stop.",
        "we got an unexpectedly huge bill one night",
        "auto-fix loop budget $412",
    ),
    (
        "memory",
        "Support hours",
        "Support answers within four business hours, Monday to Friday 08:00–18:00 CET; critical incidents are paged "
        "around the clock.",
        "when customers can expect a human to reply",
        "support business hours CET paged",
    ),
    (
        "note",
        "Email deliverability",
        "Invitation mails landed in spam at two customers. We set up SPF, DKIM and DMARC for the sending domain and "
        "moved to a transactional mail provider.",
        "messages to new teammates ended up in junk folders",
        "SPF DKIM DMARC spam",
    ),
    (
        "note",
        "Accessibility audit results",
        "axe found 14 issues: missing labels on icon buttons, focus lost after closing dialogs, low contrast badges. "
        "All fixed except the chart legend.",
        "problems that make the app hard for people using screen readers",
        "axe audit icon button labels focus",
    ),
    (
        "memory",
        "Definition of done",
        "Done means merged, deployed to staging, tested in a browser, documented in the README if a setting changed, "
        "and the issue closed with a note.",
        "when can a task be called finished",
        "definition of done staging README",
    ),
    (
        "note",
        "Python 3.12 upgrade blocked",
        "The upgrade is blocked by a C extension without 3.12 wheels; we pinned 3.11 until the maintainer ships them.",
        "why we are still on the older interpreter",
        "Python 3.12 wheels pinned 3.11",
    ),
    (
        "note",
        "Duplicate analysis runs",
        "Clicking analyse twice started two code analysis runs for the same repository. A guard now refuses a second "
        "run while one is active or finished within three minutes.",
        "the same scan started twice when someone double clicked",
        "duplicate analysis guard three minutes",
    ),
    (
        "memory",
        "Personas level up with use",
        "Each finished discussion gives the persona experience; levels unlock at 100, 300 and 700 XP and show a badge.",
        "how the AI experts grow over time",
        "persona XP level badge",
    ),
    (
        "note",
        "Large file uploads time out",
        "Uploads over 50 MB hit the proxy's 60 s timeout. Switched to multipart uploads straight to the bucket with "
        "presigned parts.",
        "big attachments fail halfway through sending",
        "multipart upload 50 MB proxy timeout",
    ),
    (
        "note",
        "Translating the UI to German",
        "Strings are extracted into catalogues; dates and numbers use the browser's locale; German labels are 30 % "
        "longer, so buttons must not have fixed widths.",
        "making the interface available in another language",
        "German translation catalogue locale",
    ),
    (
        "memory",
        "Staging data is synthetic",
        "Staging never holds customer data: a seed script creates fake tenants, notes and runs every night.",
        "the test environment only has made-up records",
        "staging seed script fake tenants",
    ),
    (
        "note",
        "Streaming answers stutter",
        "Token-by-token updates caused 200 re-renders per second. We flush streamed output every 300 ms, which the "
        "eye cannot tell apart from live.",
        "the text of the reply appeared in a jerky way",
        "flush streamed output 300 ms re-render",
    ),
    (
        "note",
        "Git clone of private repos",
        "Private GitHub repositories are cloned with a fine-grained token scoped to one repository, read-only, stored "
        "encrypted and never logged.",
        "fetching source code that is not public",
        "fine-grained token clone private repository",
    ),
    (
        "memory",
        "Incident severity levels",
        "SEV1: all customers down, page everyone. SEV2: a feature down for many. SEV3: degraded, fix in business hours.",
        "how bad an outage is and who gets woken up",
        "SEV1 SEV2 SEV3 page",
    ),
    (
        "note",
        "Prompt injection in notes",
        "A note containing 'ignore previous instructions' made the summariser reveal the system prompt. Notes are now "
        "passed as quoted data and outputs are checked against a schema.",
        "user text tricked the model into disobeying us",
        "prompt injection ignore previous instructions",
    ),
    (
        "note",
        "Cache invalidation for the model catalog",
        "The provider model list was cached for a day and new models did not appear. The cache now expires after an "
        "hour and a manual refresh button clears it.",
        "newly released assistants did not show up in the picker",
        "model catalog cache expire refresh",
    ),
    (
        "memory",
        "Pair programming on Thursdays",
        "Thursday afternoons are for pairing across teams; pick a partner from another squad on the board.",
        "a weekly habit of coding together in twos",
        "pairing Thursday afternoon squad",
    ),
    (
        "note",
        "Unicode normalisation in search",
        "Searching 'cafe' did not find 'café' because tokens kept their accents. Added unaccent to the text search "
        "configuration.",
        "looking up words without the little marks on letters found nothing",
        "unaccent text search café",
    ),
    (
        "note",
        "Two-factor authentication rollout",
        "TOTP second factor is optional for members and mandatory for owners from June; recovery codes are shown once.",
        "an extra step when signing in using a phone app code",
        "TOTP recovery codes owners mandatory",
    ),
    (
        "memory",
        "Vendor: Hetzner for compute",
        "Production runs on dedicated servers in Falkenstein; object storage at the same provider; backups copied to a "
        "second region nightly.",
        "where our machines physically are and who rents them to us",
        "Hetzner Falkenstein dedicated servers",
    ),
    (
        "note",
        "Run page memory use in the browser",
        "A run with 500 fan-out items kept every item's output in the page state: 80 MB in the tab. Items now load on "
        "demand when expanded.",
        "the progress screen made the browser tab huge",
        "fan-out items load on demand 80 MB",
    ),
    (
        "note",
        "Dependency vulnerability in a YAML parser",
        "The scanner flagged arbitrary code execution in the YAML loader; we switched to safe_load everywhere and "
        "added a lint rule.",
        "a library we use had a security hole when reading config files",
        "YAML safe_load vulnerability",
    ),
    (
        "memory",
        "How to name branches",
        "Branches are named issue-number-short-topic, for example 23-knowledge-search; delete after merge.",
        "the convention for naming work in progress in version control",
        "branch naming issue number topic",
    ),
    (
        "note",
        "Quarterly planning Q3",
        "Themes for Q3: knowledge search, policy library, SSO for enterprise. Out: the mobile app and the plugin "
        "marketplace.",
        "what we agreed to focus on for the next three months",
        "Q3 themes policy library SSO",
    ),
    (
        "note",
        "Deadlock between sweeper and engine",
        "The sweeper locked runs then steps while the engine locked steps then runs: a deadlock every few hours. Both "
        "now lock the run row first.",
        "two background processes waited for each other forever",
        "deadlock lock order run row first",
    ),
    (
        "memory",
        "Logo and brand colours",
        "Primary indigo #4F46E5, accent amber #F59E0B; the logo needs 16 px clear space and is never placed on photos.",
        "the official look of our company visuals",
        "indigo #4F46E5 amber logo",
    ),
    (
        "note",
        "Customer churn interview",
        "Beta customer left because reports took too long to generate and could not be shared by link. Both are now "
        "on the roadmap.",
        "why a client stopped paying for the product",
        "churn interview reports shared link",
    ),
    (
        "note",
        "Load test of the job queue",
        "With 8 workers the queue processed 1,900 jobs per minute before the database CPU saturated; the bottleneck "
        "was the NOTIFY trigger per insert.",
        "how many background tasks per minute the system handles before it chokes",
        "load test 1,900 jobs per minute NOTIFY",
    ),
]
PEOPLE = ["Mara", "Jonas", "Priya", "Tomás", "Lea", "Kenji", "Sofia", "Ahmed"]
COMPONENTS = [
    "login page",
    "run engine",
    "report export",
    "memory hub",
    "notes tab",
    "job queue",
    "billing page",
    "persona editor",
    "workflow editor",
    "search box",
    "image gallery",
    "provider settings",
    "database",
    "deploy pipeline",
    "API",
    "invitations",
    "dashboard",
    "PDF renderer",
    "webhooks",
    "team page",
]
ACTIONS = [
    "refactored",
    "added tests for",
    "fixed a bug in",
    "reviewed changes to",
    "profiled",
    "documented",
    "paired on",
    "cleaned up",
    "started redesigning",
    "investigated errors in",
]
BLOCKERS = [
    "waiting for design",
    "a failing CI job",
    "unclear requirements",
    "a code review",
    "nothing",
    "access to staging",
    "a dependency upgrade",
    "the release freeze",
]
TOPICS = [
    "release planning",
    "hiring",
    "the roadmap",
    "customer feedback",
    "on-call rotation",
    "budget",
    "tech debt",
    "the offsite",
    "security review",
    "performance",
]
TICKETS = [
    "Button misaligned on {c}",
    "Slow response on {c}",
    "Error toast on {c} is unclear",
    "Add export to {c}",
    "Typo on {c}",
    "Empty state missing on {c}",
    "{c} ignores keyboard focus",
    "Translate {c}",
    "Log noise from {c}",
    "Permissions check on {c}",
]
FACTS = [
    "The {c} belongs to the platform squad; ask {p} before changing it.",
    "Staging URL for the {c} changes every release; see the release notes.",
    "The {c} has a feature flag; turn it on per tenant in the admin panel.",
    "Metrics for the {c} are on the shared dashboard under its own tab.",
    "{p} wrote the original {c}; the design doc is linked from the README.",
]


def distractors(seed: int = 23, count: int = 300) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    for i in range(count):
        c, p, q = rng.choice(COMPONENTS), rng.choice(PEOPLE), rng.choice(PEOPLE)
        shape = i % 4
        if shape == 0:
            day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            body = (
                f"{p} {rng.choice(ACTIONS)} the {c}. {q} {rng.choice(ACTIONS)} the {rng.choice(COMPONENTS)}. "
                f"Blocked by {rng.choice(BLOCKERS)}."
            )
            out.append(("note", f"Stand-up {day}", body))
        elif shape == 1:
            t = rng.choice(TOPICS)
            body = (
                f"Discussed {t} and the {c}. {p} will follow up with {q}. Next meeting in "
                f"{rng.randint(1, 4)} weeks; notes shared in the channel."
            )
            out.append(("note", f"Meeting: {t}", body))
        elif shape == 2:
            title = rng.choice(TICKETS).format(c=c)
            body = (
                f"Reported by {p}. Steps: open the {c}, {rng.choice(ACTIONS).split()[0]} something, observe. "
                f"Priority {rng.choice(['low', 'medium', 'high'])}. Assigned to {q}."
            )
            out.append(("note", title, body))
        else:
            out.append(("memory", f"About the {c}", rng.choice(FACTS).format(c=c, p=p)))
    return out


def build() -> dict[str, object]:
    items = []
    queries = []
    for n, (kind, title, body, by_meaning, by_words) in enumerate(TARGETS):
        item_id = f"t{n:03d}"
        items.append({"id": item_id, "kind": kind, "title": title, "body": body})
        queries.append({"query": by_meaning, "style": "meaning", "relevant": [item_id]})
        queries.append({"query": by_words, "style": "words", "relevant": [item_id]})
    for n, (kind, title, body) in enumerate(distractors()):
        items.append({"id": f"d{n:03d}", "kind": kind, "title": title, "body": body})
    return {"items": items, "queries": queries}


if __name__ == "__main__":
    path = Path(__file__).with_name("retrieval_set.json")
    data = build()
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(data['items'])} items, {len(data['queries'])} queries -> {path}")  # type: ignore[arg-type]
