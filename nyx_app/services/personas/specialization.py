"""Auto-specialization: the top 3 of 15 domain categories by keyword count (seed 004).

A pure function over a persona's description and system prompt. Keywords match whole words only,
case-insensitively ("reactor" is not "react", "classes" is not "css"; a hyphen or slash inside a
keyword is part of it, so "front-end" and "ci/cd" are keywords of their own). Every occurrence
counts. Ties are broken, in this order: more occurrences, then more distinct keywords, then the
category's place in ``CATEGORIES`` (earlier wins) — so the result never depends on dict order.
No keyword at all gives no specialization. A few German words are listed next to the English
ones, because teams write personas in both.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

TOP = 3

# Category label → keywords (lower case; spaces in a keyword match any run of whitespace).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Frontend": (
        "frontend", "front-end", "react", "vue", "angular", "svelte", "css", "html", "tailwind", "javascript",
        "typescript", "next.js", "dom", "browser", "web components", "sass", "ui components", "single-page",
    ),
    "Backend": (
        "backend", "back-end", "api", "apis", "rest", "graphql", "server", "servers", "django", "fastapi",
        "flask", "express", "node.js", "spring", "grpc", "endpoint", "endpoints", "webhooks",
    ),
    "Databases": (
        "database", "databases", "sql", "postgresql", "postgres", "mysql", "sqlite", "mongodb", "redis",
        "schema", "schemas", "query", "queries", "index", "indexes", "migration", "migrations", "orm",
        "pgvector", "datenbank", "datenbanken",
    ),
    "DevOps & infrastructure": (
        "devops", "ci/cd", "ci", "pipeline", "pipelines", "docker", "kubernetes", "k8s", "terraform",
        "ansible", "deployment", "deployments", "helm", "infrastructure", "github actions", "monitoring",
        "observability", "sre", "on-call",
    ),
    "Security": (
        "security", "secure", "vulnerability", "vulnerabilities", "owasp", "xss", "csrf", "injection",
        "authentication", "authorization", "encryption", "penetration", "threat", "threats", "pentest",
        "sicherheit", "exploit", "exploits",
    ),
    "Testing & QA": (
        "testing", "test", "tests", "qa", "quality assurance", "pytest", "jest", "playwright", "cypress",
        "selenium", "e2e", "regression", "coverage", "tdd", "testen", "testfälle", "flaky",
    ),
    "Data & ML": (
        "machine learning", "ml", "ai", "llm", "llms", "data science", "pandas", "numpy", "pytorch",
        "tensorflow", "embeddings", "nlp", "analytics", "etl", "data pipeline", "data pipelines",
        "model training", "rag",
    ),
    "Mobile": (
        "mobile", "ios", "android", "swift", "kotlin", "react native", "flutter", "app store", "play store",
        "swiftui",
    ),
    "Architecture": (
        "architecture", "architect", "design patterns", "system design", "scalability", "domain-driven",
        "ddd", "event-driven", "modular", "monolith", "trade-offs", "architektur", "boundaries",
    ),
    "Performance": (
        "performance", "latency", "throughput", "optimization", "optimisation", "caching", "cache",
        "profiling", "benchmark", "benchmarks", "load testing", "memory leak", "leistung", "bottleneck",
        "bottlenecks",
    ),
    "Accessibility & UX": (
        "accessibility", "a11y", "wcag", "ux", "usability", "user experience", "screen reader", "aria",
        "design system", "barrierefreiheit", "inclusive", "user research",
    ),
    "Documentation": (
        "documentation", "docs", "technical writing", "readme", "api reference", "tutorial", "tutorials",
        "guides", "dokumentation", "changelog",
    ),
    "Product & project management": (
        "product", "roadmap", "stakeholder", "stakeholders", "requirements", "user stories", "backlog",
        "prioritization", "prioritisation", "agile", "scrum", "kanban", "sprint", "sprints", "okr", "okrs",
        "produktmanagement", "milestones",
    ),
    "Compliance & legal": (
        "compliance", "gdpr", "dsgvo", "iso 27001", "soc 2", "hipaa", "legal", "privacy", "audit",
        "audits", "regulation", "regulations", "datenschutz", "license", "licensing", "contracts",
    ),
    "Cloud & networking": (
        "cloud", "aws", "azure", "gcp", "google cloud", "networking", "network", "dns", "cdn",
        "load balancer", "vpc", "tcp", "http", "serverless", "lambda", "firewall",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Specialization:
    category: str
    count: int
    keywords: dict[str, int]  # the keywords that decided, with their counts

    @property
    def explanation(self) -> str:
        words = ", ".join(f"{k} ({n})" if n > 1 else k for k, n in self.keywords.items())
        return f"{self.category}: {words}"


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    # Letters, digits and "_" around a match mean it is part of a longer word; so do "-", "/" and
    # "." glued to a letter (e.g. "react" inside "react-dom" still counts: "-" follows, then a
    # letter of another word — only characters of the same token block a match).
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    return re.compile(rf"(?<![\w.+#/-]){body}(?![\w+#/]|[.-]\w)", re.IGNORECASE)


def specializations(*texts: str, top: int = TOP) -> list[Specialization]:
    """The best-matching categories for the texts (description, system prompt …), at most ``top``."""
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        return []
    scored: list[tuple[int, int, int, Specialization]] = []
    for order, (category, keywords) in enumerate(CATEGORIES.items()):
        found: Counter[str] = Counter()
        for keyword in keywords:
            hits = len(_pattern(keyword).findall(text))
            if hits:
                found[keyword] = hits
        if found:
            total = sum(found.values())
            ranked = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
            scored.append((-total, -len(found), order, Specialization(category, total, ranked)))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored[:top]]
