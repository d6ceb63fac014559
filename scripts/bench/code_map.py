"""P11: sync + repository map of a generated repository, against the bare tree-sitter parse.

    PYTHONPATH=. .venv/bin/python scripts/bench/code_map.py [--files 2000] [--lines 100]

Generates a repository of ``--files`` files (Python, TypeScript, Go, Java, Rust in equal parts,
``--lines`` lines each, every file defining a class and functions and calling into others), pushes
it to a bare repository served over smart HTTP on loopback (tests/fakes/git_server.py: git
http-backend), then in the same run:

1. the bare parse: tree-sitter parses every file in this process (the floor: no git, no database);
2. a full sync (the engine's code_sync run: fetch, list, read, symbols in the limited child
   process, one transaction) and the map built from its stored symbols;
3. a re-sync after 10 changed files;
4. the map at several token budgets (tokens counted by the map's own estimate).

Printed: wall times, the ratio sync+map / bare parse (goal ≤ 1.5x), re-sync / full (goal ≤ 10 %),
peak memory (this process and its children, sampled), and each budget against the map's tokens.
Uses its own database (nyx_bench) on the embedded server. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
os.environ["NYX_GIT_PROTOCOLS"] = "https,http"  # the loopback git host speaks http
os.environ["NYX_LLM_ALLOWED_HOSTS"] = "127.0.0.1"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil
import tree_sitter as ts

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.integrations import code_tags
from nyx_app.services import auth, projects
from nyx_app.services.code import parsing, repo_map, sources
from nyx_app.services.context import TenantContext
from nyx_app.services.engine.executor import execute
from nyx_app.settings import get_settings
from tests.fakes.git_server import GitServer, Repo

LANGS = ("py", "ts", "go", "java", "rs")


def source(lang: str, i: int, n: int, lines: int) -> str:
    other, third = (i * 7 + 3) % n, (i * 13 + 5) % n
    body: list[str]
    if lang == "py":
        body = [
            f"class Widget{i}:",
            f"    def render_{i}(self, value):",
            f"        return compute_{other}(value)",
            "",
            f"def compute_{i}(value):",
            f"    return Widget{third}().render_{third}(value) if value else 0",
            "",
        ]
        filler = [f"x_{i}_{k} = {k}  # filler line" for k in range(lines)]
    elif lang == "ts":
        body = [
            f"export class Widget{i} {{",
            f"  render{i}(value: number): number {{ return compute{other}(value) }}",
            "}",
            f"export function compute{i}(value: number): number {{",
            f"  return new Widget{third}().render{third}(value)",
            "}",
        ]
        filler = [f"const x{i}_{k} = {k}; // filler line" for k in range(lines)]
    elif lang == "go":
        body = [
            "package gen",
            f"type Widget{i} struct{{}}",
            f"func (w Widget{i}) Render{i}(v int) int {{ return Compute{other}(v) }}",
            f"func Compute{i}(v int) int {{ return Widget{third}{{}}.Render{third}(v) }}",
        ]
        filler = [f"var X{i}_{k} = {k} // filler line" for k in range(lines)]
    elif lang == "java":
        body = [
            f"class Widget{i} {{",
            f"  int render{i}(int v) {{ return Util{other}.compute{other}(v); }}",
            "}",
            f"class Util{i} {{ static int compute{i}(int v) {{ return new Widget{third}().render{third}(v); }} }}",
        ]
        filler = [f"// filler line {k}" for k in range(lines)]
    else:
        body = [
            f"pub struct Widget{i};",
            f"impl Widget{i} {{ pub fn render_{i}(&self, v: u32) -> u32 {{ compute_{other}(v) }} }}",
            f"pub fn compute_{i}(v: u32) -> u32 {{ Widget{third}.render_{third}(v) }}",
        ]
        filler = [f"// filler line {k}" for k in range(lines)]
    return "\n".join(body + filler[: max(0, lines - len(body))]) + "\n"


def generate(repo: Repo, files: int, lines: int) -> dict[str, tuple[str, bytes]]:
    per = files // len(LANGS)
    made: dict[str, tuple[str, bytes]] = {}
    names = {"py": "Python", "ts": "TypeScript", "go": "Go", "java": "Java", "rs": "Rust"}
    for lang in LANGS:
        for i in range(per):
            path = f"{lang}/mod{i // 50}/file{i}.{lang}"
            text = source(lang, i, per, lines)
            repo.write(path, text)
            made[path] = (names[lang], text.encode())
    return made


class Peak:
    """Largest RSS of this process plus its children, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bare_parse(files: dict[str, tuple[str, bytes]]) -> float:
    parsers = {name: ts.Parser(code_tags._language(name)) for name in ("Python", "TypeScript", "Go", "Java", "Rust")}
    started = time.perf_counter()
    for language, content in files.values():
        parsers[language].parse(content)
    return time.perf_counter() - started


async def sync(ctx: TenantContext, project_id: object) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        run = await sources.start_sync(s, ctx, project_id)  # type: ignore[arg-type]
    status = await execute(ctx.tenant_id, run.id)
    elapsed = time.perf_counter() - started
    async with transaction(ctx.tenant_id) as s:
        view = await sources.view(s, ctx, project_id)  # type: ignore[arg-type]
    assert view is not None and status is not None and status.value == "succeeded", (status, view)
    return elapsed, {"files": view.file_count, "lines": view.line_count, "skipped": view.skipped_count}


async def main(files: int, lines: int) -> None:
    prepare(get_settings())
    stamp = time.time_ns()
    token = await auth.register(f"map{stamp}@example.com", "violet-harbor-kite-91", "Bench", f"Map {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    with tempfile.TemporaryDirectory() as tmp, GitServer(Path(tmp)).running() as server:
        repo = Repo(Path(tmp), "gen")
        made = generate(repo, files, lines)
        repo.commit("generated")
        total_lines = sum(c.count(b"\n") for _l, c in made.values())
        print(f"repository: {len(made):,} files, {total_lines:,} lines in {len(LANGS)} languages")
        parsing.pool().warm()  # the child process starts once per worker, not per sync
        # scipy (under networkx's PageRank) is imported once per process (~0.8 s here): not per map.
        repo_map.rank([repo_map.MapFile("a", [["x", "function", 1, "x"]], {}), repo_map.MapFile("b", [], {"x": 1})])
        bare = min(bare_parse(made) for _ in range(3))
        print(f"bare tree-sitter parse (this process, best of 3): {bare:.2f} s")
        started = time.perf_counter()
        for language, content in made.values():
            code_tags.extract(language, "x", content)
        print(f"parse + tags queries (this process, what the sync's child does): {time.perf_counter() - started:.2f} s")
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            project = await projects.create_project(s, ctx, f"Map {stamp}")
            await sources.save_source(s, ctx, project.id, url=server.repo_url("gen"))
        with Peak() as peak:
            full, counts = await sync(ctx, project.id)
            started = time.perf_counter()
            async with transaction(ctx.tenant_id) as s:
                built = await repo_map.repo_map(s, ctx, project.id, tokens=2048)
            mapped = time.perf_counter() - started
        assert built is not None
        print(f"full sync: {full:.2f} s ({counts}); map (rank + render, 2,048 tokens): {mapped:.2f} s")
        print(f"sync + map: {full + mapped:.2f} s = {(full + mapped) / bare:.1f}x the bare parse (goal <= 1.5x)")
        print(f"peak RSS, this process + children (git, parser child): {peak.peak / 2**20:.0f} MB")
        for i, path in enumerate(list(made)[:10]):
            repo.write(
                path, made[path][1].decode() + f"# changed {i}\n".replace("#", "//" if "py" not in path else "#")
            )
        repo.commit("ten changed")
        again, _ = await sync(ctx, project.id)
        print(
            f"re-sync after 10 changed files: {again:.2f} s = "
            f"{100 * again / full:.0f} % of the full sync (goal <= 10 %)"
        )
        async with transaction(ctx.tenant_id) as s:
            for budget in (512, 1024, 2048, 4096, 8192):
                m = await repo_map.repo_map(s, ctx, project.id, tokens=budget)
                assert m is not None
                ok = "respected" if m.tokens <= budget else "EXCEEDED"
                print(
                    f"map budget {budget:>5}: {m.tokens:>5} tokens, "
                    f"{m.shown_symbols:,} of {m.total_symbols:,} symbols ({ok})"
                )
    parsing.close()
    await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.files, args.lines))
