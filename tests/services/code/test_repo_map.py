"""The repository map: symbols of five languages read by tree-sitter at sync (in a limited child
process), ranked by how much the rest of the code refers to them, rendered within a budget."""

from __future__ import annotations

from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.code import SourceFile
from nyx_app.models.run import RunStatus
from nyx_app.services.code import repo_map, sources
from nyx_app.services.code.repo_map import MapFile, approx_tokens, build, rank
from tests.factories import TenantFactory
from tests.fakes.git_server import GitServer, Repo
from tests.services.code.conftest import new_project
from tests.services.code.test_sync import import_and_sync

FILES = {
    "core/registry.py": "class ServiceRegistry:\n    def register_service(self, name):\n        return name\n",
    "core/lonely.py": "def never_called_anywhere():\n    return 0\n",
    "app/main.py": "from core.registry import ServiceRegistry\n\nServiceRegistry().register_service('a')\n",
    "app/jobs.py": "def run_jobs(r):\n    r.register_service('b')\n    return ServiceRegistry()\n",
    "web/client.ts": "export class ApiClient { fetchThing(id: string): Thing { return new Thing() } }\n"
    "interface Thing {}\n",
    "web/app.js": "function startApp() { return new ApiClient() }\n",
    "svc/server.go": "package svc\n\ntype Server struct{}\n\nfunc (s Server) Serve() int { return Helper() }\n\n"
    "func Helper() int { return 1 }\n",
    "java/Store.java": "public class Store { int count() { return new ServiceRegistry().hashCode(); } }\n",
    "rs/lib.rs": "pub struct Cache;\nimpl Cache { pub fn get(&self) -> u8 { compute() } }\nfn compute() -> u8 { 1 }\n",
}


async def test_sync_reads_symbols_of_five_languages_and_the_map_ranks_what_is_used(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    repo = Repo(git_server.root, "multi")
    for path, content in FILES.items():
        repo.write(path, content)
    repo.commit()
    acct, project_id = await new_project(tenants)
    run = await import_and_sync(acct, project_id, git_server.repo_url("multi"))
    assert run.status == RunStatus.SUCCEEDED.value, run.error
    async with transaction(acct.ctx.tenant_id) as s:
        rows = {f.path: f.symbols for f in await s.exec(select(SourceFile))}
        full = await repo_map.repo_map(s, acct.ctx, project_id, tokens=10_000)
        small = await repo_map.repo_map(s, acct.ctx, project_id, tokens=40)
        view = await sources.view(s, acct.ctx, project_id)
    names = {path: {d[0] for d in symbols["defs"]} for path, symbols in rows.items()}
    assert names["core/registry.py"] == {"ServiceRegistry", "register_service"}
    assert {"ApiClient", "fetchThing", "Thing"} <= names["web/client.ts"]
    assert names["web/app.js"] == {"startApp"}
    assert {"Server", "Serve", "Helper"} <= names["svc/server.go"]
    assert {"Store", "count"} <= names["java/Store.java"]
    assert {"Cache", "get", "compute"} <= names["rs/lib.rs"]
    assert rows["app/jobs.py"]["refs"]["register_service"] == 1
    assert full is not None and small is not None and view is not None
    assert full.shown_symbols == full.total_symbols and "never_called_anywhere" in full.text
    # The most referred-to definition leads; a small budget keeps it and drops the unused one.
    assert full.text.startswith("core/registry.py:")
    assert "ServiceRegistry" in small.text and "never_called_anywhere" not in small.text
    assert small.tokens <= 40 and approx_tokens(small.text) == small.tokens


def test_rank_follows_references_and_the_budget_holds_for_every_size() -> None:
    files = [
        MapFile("a.py", [["used_everywhere", "function", 1, "def used_everywhere():"]], {}),
        MapFile("b.py", [["rarely_used", "function", 1, "def rarely_used():"]], {"used_everywhere": 3}),
        MapFile("c.py", [], {"used_everywhere": 1, "rarely_used": 1}),
        MapFile("d.py", [["nobody", "function", 4, "def nobody():"]], {"used_everywhere": 2}),
    ]
    ranked = rank(files)
    assert [r[2][0] for r in ranked] == ["used_everywhere", "rarely_used", "nobody"]
    # Chosen files pull the ranking towards what they use.
    assert rank(files, chosen=["c.py"])[0][2][0] in {"used_everywhere", "rarely_used"}
    for budget in (0, 5, 12, 20, 1000):
        built = build(files, budget)
        assert built.tokens <= budget
        assert approx_tokens(built.text) == built.tokens
