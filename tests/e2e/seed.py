"""Rows for browser tests, made through the services in the app's own database.

Run as a separate process (``seed_notes`` below does it): the browser tests' process runs sync
Playwright and cannot start an event loop of its own, and its settings point at the unit tests'
database, not the app's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.services import auth, note_images, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.note_images import IncomingFile
from tests.e2e.helpers import PASSWORD
from tests.fakes import images as corpus


async def _project_with_notes(count: int) -> dict[str, str]:
    email = f"seeded{time.time_ns()}@example.test"
    token = await auth.register(email, PASSWORD, "Sam Seeder", "Seeded team")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        project = await projects.create_project(s, ctx, "Many notes")
        for i in range(count):
            topic = "the deployment checklist" if i % 5 == 0 else "the login screen"
            note = await notes.create_note(s, ctx, project.id, f"Note {i:02d}", f"About **{topic}**, part {i}.")
            if i == 7:
                files = [IncomingFile(f"{n}.png", corpus.image_bytes("PNG", (40 + n, 30))) for n in range(2)]
                await note_images.add_images(s, ctx, note.id, files)
    return {"email": email, "project": project.name}


async def _main(count: int) -> None:
    try:
        sys.stdout.write(json.dumps(await _project_with_notes(count)) + "\n")
    finally:
        await dispose_engines()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1])))
