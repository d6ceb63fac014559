"""Screenshots of the main pages at desktop and phone width, for a person to look at.

    PYTHONPATH=. .venv/bin/python scripts/screens.py test-artifacts/screens/after [--all]

Starts the real app (production build, one port) on its own database ``nyx_screens``, fills it
through the services (a project with notes, images and a memory hub), signs in through the
login form and saves dashboard, project, note and memory hub at 1440 and 390 px wide, plus
whether each page scrolls sideways (``--all``: members, providers, account, a 404 and the public
page too). Not a test: it asserts nothing.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

os.environ["NYX_DATABASE_NAME"] = "nyx_screens"
os.environ.setdefault("NYX_ENVIRONMENT", "test")
os.environ.setdefault("NYX_SECRET_KEY", "screens-only-secret-key-not-for-production-use")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.services import auth, memory, note_images, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.note_images import IncomingFile
from nyx_app.settings import ROOT_DIR, Settings
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _stop, _wait_for

EMAIL, PASSWORD = "ada@example.test", "violet-harbor-kite-91"
NOTE = """## Launch checklist

The guidance computer must be **green** before we go.

| system | owner | status |
|---|---|---|
| guidance | Margaret | go |
| fuel | Gene | go |

> Failure is not an option.

- crew aboard
- hatch closed
"""


def _png(color: str, label: str) -> bytes:
    img = Image.new("RGB", (480, 300), color)
    ImageDraw.Draw(img).text((20, 20), label, fill="white")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def seed() -> tuple[str, str]:
    token = await auth.register(EMAIL, PASSWORD, "Ada Lovelace", "Analytical Engines")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        apollo = await projects.create_project(s, ctx, "Apollo guidance", "Flight software for the lunar module")
        await projects.create_project(s, ctx, "Difference engine", "")
        note = await notes.create_note(s, ctx, apollo.id, "Launch checklist", NOTE)
        if hasattr(notes, "set_public"):  # the "after" app: a published project with a public note
            await notes.set_public(s, ctx, note.id, True)
            await projects.update_project(s, ctx, apollo.id, published=True)
        await notes.create_note(s, ctx, apollo.id, "Open questions", "What happens on a *1202* alarm?")
        for title, content, tags in [
            ("Deploy steps", "Always push before deploying to production.", "ops, deploy"),
            ("Vector column", "Never run `db push`; it drops the embedding column.", "database, postgres"),
            ("Alarm 1202", "Executive overflow: the computer sheds low-priority work and goes on.", "guidance"),
        ]:
            await memory.create_entry(s, ctx, title=title, content=content, tags=tags, project_id=str(apollo.id))
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        files = [IncomingFile("panel.png", _png("#3451b2", "panel")), IncomingFile("dsky.png", _png("#2b9a66", "dsky"))]
        await note_images.add_images(s, ctx, note.id, files)
    await dispose_engines()
    return str(apollo.id), str(note.id)


def main(out: Path) -> int:
    settings = Settings(database_name="nyx_screens")
    prepare(settings, recreate=True)
    project_id, note_id = asyncio.run(seed())
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "NYX_PUBLIC_URL": base, "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_USE_SYSTEM_BUN": "1"}
    env["PATH"] = f"{ROOT_DIR / '.tools/node_modules/.bin'}:{ROOT_DIR / '.venv/bin'}:{env.get('PATH', '')}"
    log = out / "app.log"
    cmd = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    import subprocess

    with log.open("wb") as sink:
        proc = subprocess.Popen(
            cmd, cwd=ROOT_DIR, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    pages = {
        "dashboard": "/",
        "project": f"/projects/{project_id}",
        "note": f"/projects/{project_id}/notes/{note_id}",
        "memory": "/memory",
    }
    if "--all" in sys.argv:
        pages |= {
            "members": "/settings/members",
            "providers": "/settings/providers",
            "account": "/settings/account",
            "not-found": "/no/such/page",
            "public": f"/public/{project_id}",
        }
    try:
        _wait_for(f"{base}/ping", proc, log)
        _wait_for(f"{base}/login", proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, height in ((1440, 900), (390, 844)):
                context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto("/login")
                page.fill("#email", EMAIL)
                page.fill("#password", PASSWORD)
                page.click("#login-submit")
                page.wait_for_url(f"{base}/")
                for name, path in pages.items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(800)  # let fonts and thumbnails settle: a picture, not a test
                    page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    print(f"{name:10} {width:5} px wide: scrollWidth {scroll}")
                context.close()
            browser.close()
    finally:
        _stop(proc)
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sys.exit(main(Path(args[0] if args else "test-artifacts/screens/after")))
