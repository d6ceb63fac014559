"""The repository map: the symbols of the synced files that the rest of the code relies on most,
rendered within a token budget — what a code workflow gets as context instead of whole files.

As aider's repository map: every file is a node; a file that refers to a name another file
defines gets an edge to it, weighted by how often (square root) and by how telling the name is
(long or compound names count more, private or everywhere-defined ones less). PageRank (networkx)
ranks the files, each file's rank flows along its edges to the definitions it uses, and the
best-ranked definitions are shown, grouped by file, as many as fit ``tokens``. Chosen files (the
``{{files}}`` of a run) personalise the ranking towards what they touch.

Symbols come from the sync (services/code/sync.py, tree-sitter in a limited child process) and are
stored per file; ranking and rendering read them, so a map costs no parsing.
"""

from __future__ import annotations

import asyncio
import math
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.code import CodeSource, SourceFile
from nyx_app.services.context import TenantContext
from nyx_app.services.projects import get_project
from nyx_app.settings import get_settings

_COMPOUND = re.compile(r"[a-z][A-Z]|_[a-z]")
SPREAD_DEFINITIONS = 5  # a name defined in more files than this is common ("get", "run"): weighs less


def approx_tokens(text: str) -> int:
    """About four characters a token (code in common tokenizers is close to it)."""
    return (len(text) + 3) // 4


@dataclass(frozen=True, slots=True)
class MapFile:
    path: str
    defs: list[list[Any]]  # [name, kind, line, text]
    refs: dict[str, int]


@dataclass(frozen=True, slots=True)
class RepoMap:
    text: str
    tokens: int
    budget: int
    shown_symbols: int
    total_symbols: int
    files: int


def _name_weight(name: str, definers: int) -> float:
    weight = 1.0
    if len(name) >= 8 and _COMPOUND.search(name):
        weight *= 10
    if name.startswith("_"):
        weight *= 0.1
    if definers > SPREAD_DEFINITIONS:
        weight *= 0.1
    return weight


def rank(files: Iterable[MapFile], chosen: Collection[str] = ()) -> list[tuple[float, str, list[Any]]]:
    """Every definition with its rank, best first: (rank, path, [name, kind, line, text])."""
    files = list(files)
    defined: dict[str, set[str]] = defaultdict(set)
    for f in files:
        for d in f.defs:
            defined[str(d[0])].add(f.path)
    # One weighted edge per (referring file, defining file); what each name adds is kept beside it,
    # so a file's rank can flow to the definitions it uses (aider keeps one edge per name).
    weights: dict[tuple[str, str], float] = defaultdict(float)
    names: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for f in files:
        for name, count in f.refs.items():
            definers = defined.get(name)
            if not definers:
                continue
            weight = math.sqrt(count) * _name_weight(name, len(definers))
            for target in definers:
                if target != f.path:
                    weights[(f.path, target)] += weight
                    names[(f.path, target)].append((name, weight))
    if not files:
        return []
    graph = nx.DiGraph()
    graph.add_nodes_from(f.path for f in files)
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items())
    personal = {p: 1.0 for p in chosen if p in graph} or None
    try:
        file_rank = nx.pagerank(graph, weight="weight", personalization=personal)
    except nx.PowerIterationFailedConvergence:
        file_rank = {f.path: 1.0 / len(files) for f in files}
    out_total: dict[str, float] = defaultdict(float)
    for (source, _target), weight in weights.items():
        out_total[source] += weight
    used: dict[tuple[str, str], float] = defaultdict(float)
    for (source, target), contributions in names.items():
        share = file_rank[source] / out_total[source]
        for name, weight in contributions:
            used[(target, name)] += share * weight
    ranked = [
        # A definition nobody refers to still ranks by its file, far below any that is used.
        (used.get((f.path, str(d[0])), 0.0) + file_rank.get(f.path, 0.0) * 1e-3, f.path, d)
        for f in files
        for d in f.defs
    ]
    ranked.sort(key=lambda r: (-r[0], r[1], r[2][2]))
    return ranked


def render(ranked: list[tuple[float, str, list[Any]]], count: int) -> str:
    """The best ``count`` definitions, grouped by file (files in the order of their best one)."""
    by_file: dict[str, list[list[Any]]] = {}
    for _rank, path, d in ranked[:count]:
        by_file.setdefault(path, []).append(d)
    parts = []
    for path, defs in by_file.items():
        lines = [f"{path}:"] + [f"  {d[2]:>5}│ {d[3]}" for d in sorted(defs, key=lambda d: d[2])]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def fit(
    ranked: list[tuple[float, str, list[Any]]], budget: int, count_tokens: Callable[[str], int] = approx_tokens
) -> tuple[str, int, int]:
    """The largest prefix of ``ranked`` whose rendering fits ``budget`` tokens (binary search):
    (text, its tokens, definitions shown)."""
    low, high = 0, min(len(ranked), max(budget, 0))  # every definition shown costs at least a token
    best = ("", 0, 0)
    while low <= high:
        middle = (low + high) // 2
        text = render(ranked, middle)
        tokens = count_tokens(text)
        if tokens <= budget:
            best = (text, tokens, middle)
            low = middle + 1
        else:
            high = middle - 1
    return best


def build(files: list[MapFile], budget: int, chosen: Collection[str] = ()) -> RepoMap:
    ranked = rank(files, chosen)
    text, tokens, shown = fit(ranked, budget)
    return RepoMap(text, tokens, budget, shown, len(ranked), len(files))


async def load_files(session: AsyncSession, source_id: uuid.UUID) -> list[MapFile]:
    rows = await session.exec(
        select(SourceFile.path, SourceFile.symbols).where(
            SourceFile.source_id == source_id, col(SourceFile.skipped) == ""
        )
    )
    return [
        MapFile(path, list(symbols.get("defs") or []), dict(symbols.get("refs") or {}))
        for path, symbols in rows
        if isinstance(symbols, dict) and (symbols.get("defs") or symbols.get("refs"))
    ]


async def repo_map(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    *,
    tokens: int | None = None,
    chosen: Collection[str] = (),
) -> RepoMap | None:
    """The project's map at its synced commit (None before the first sync)."""
    project = await get_project(session, ctx, project_id)
    source = (await session.exec(select(CodeSource).where(CodeSource.project_id == project.id))).first()
    if source is None or not source.commit_sha:
        return None
    files = await load_files(session, source.id)
    budget = tokens or get_settings().code_map_tokens
    # networkx is pure Python: ranking thousands of files is CPU work kept off the event loop.
    return await asyncio.to_thread(build, files, budget, chosen)
