"""Data for scripts/bench/pages.py: a seeded workspace and the files the upload drops use.

Everything is made through the services, the way the app makes it. Images for the seeded notes
are processed once and stored again under new keys (1,000 real decodes would only slow the set-up);
the dropped files are generated once and kept in .data/bench/ (deterministic, so runs compare).
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from nyx_app.db.session import transaction
from nyx_app.services import auth, memory, note_images, notes, projects, sample_story
from nyx_app.services.context import TenantContext
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.reports import built
from nyx_app.services.workflows import store as workflows
from nyx_app.services.workflows.builtin import FLAGSHIP
from nyx_app.settings import ROOT_DIR

PASSWORD = "violet-harbor-kite-91"
FILES_DIR = ROOT_DIR / ".data" / "bench"
WORDS = [
    *("login", "flow", "screen", "button", "error", "state", "retry", "token", "session", "cache"),
    *("deploy", "queue", "worker", "image", "upload", "preview", "draft", "editor", "search", "index"),
    *("tenant", "project", "note", "memory", "pipeline", "step", "model", "prompt", "cost"),
]


@dataclass
class Seeded:
    email: str
    project_id: str = ""  # 200 notes, 1,000 images
    gallery_note_url: str = ""  # a note with 20 images
    upload_note_urls: list[str] = field(default_factory=list)  # empty notes for the drops
    # The rest of the signed-in pages, with volume: 100 finished runs and 50 reports in the big project.
    note_url: str = ""
    workflow_url: str = ""
    run_url: str = ""
    report_url: str = ""
    discussion_url: str = ""


def _paragraph(rnd: random.Random, words: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(words)).capitalize() + "."


def note_markdown(rnd: random.Random) -> str:
    """About 1.5 KB of ordinary Markdown: headings, prose, a list, some code."""
    parts = [f"## {_paragraph(rnd, 4)}", _paragraph(rnd, 60), _paragraph(rnd, 45)]
    parts.append("\n".join(f"- **{rnd.choice(WORDS)}**: {_paragraph(rnd, 8)}" for _ in range(5)))
    parts.append("```python\ndef step(x):\n    return x * 2  # " + rnd.choice(WORDS) + "\n```")
    parts.append(_paragraph(rnd, 40))
    return "\n\n".join(parts)


def _small_png(seed: int) -> bytes:
    img = Image.new("RGB", (640, 400), (240, 242, 246))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 640, 48], fill=(30 + seed * 20, 60, 90))
    draw.text((20, 80), f"Screen {seed}", fill=(20, 20, 20))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def _context(email: str) -> TenantContext:
    token = await auth.register(email, PASSWORD, "Bench User", "Bench workspace")
    ident = await auth.resolve(token)
    assert ident is not None
    return TenantContext(ident.tenant_id, ident.user_id, ident.role)


async def seed(
    notes_count: int = 200, images_per_note: int = 5, memories: int = 2000, runs: int = 100, reports: int = 50
) -> Seeded:
    from nyx_app import routes

    email = f"bench{time.time_ns()}@example.com"
    ctx = await _context(email)
    rnd = random.Random(7)
    checked = await note_images.check_files([IncomingFile(f"s{i}.png", _small_png(i)) for i in range(5)])
    seeded = Seeded(email)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        for i in range(4):
            await projects.create_project(s, ctx, f"Side project {i}", _paragraph(rnd, 12))
        big = await projects.create_project(s, ctx, "Big project", "200 notes, 1,000 images")
        seeded.project_id = str(big.id)
        for i in range(notes_count):
            note = await notes.create_note(s, ctx, big.id, f"Note {i}: {_paragraph(rnd, 5)}", note_markdown(rnd))
            await note_images.save_images(s, ctx, note.id, checked[:images_per_note])
        gallery = await projects.create_project(s, ctx, "Gallery project")
        note = await notes.create_note(s, ctx, gallery.id, "Twenty screenshots", note_markdown(rnd))
        for _ in range(4):
            await note_images.save_images(s, ctx, note.id, checked)
        seeded.gallery_note_url = routes.note_url(str(gallery.id), str(note.id))
        for i in range(12):
            drop = await notes.create_note(s, ctx, gallery.id, f"Drop target {i}", "Images go here.")
            seeded.upload_note_urls.append(routes.note_url(str(gallery.id), str(drop.id)))
        for i in range(memories):
            await memory.create_entry(
                s, ctx, title=f"Memory {i}: {_paragraph(rnd, 4)}", content=_paragraph(rnd, 50), tags="bench"
            )
    await _runs_and_reports(ctx, seeded, runs, reports)
    return seeded


async def _runs_and_reports(ctx: TenantContext, seeded: Seeded, runs: int, reports: int) -> None:
    """Finished flagship runs (recorded rows, as the sample project's), run reports of some of them,
    and a discussion, all in the big project."""
    from nyx_app import routes

    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        big = await projects.get_project(s, ctx, seeded.project_id)
        first_note = (await notes.list_notes(s, ctx, big.id))[0]
        workflow = await workflows.create_workflow(s, ctx, big.id, template=FLAGSHIP)
        sources = {"N1": {"kind": "note", "id": str(first_note.id), "title": first_note.title}}
        made = [
            await sample_story.recorded_run(s, ctx, big, workflow, sources, title=f"Image to implementation #{i + 1}")
            for i in range(runs)
        ]
        report = None
        for run in made[:reports]:
            report = await built.make_run_report(s, ctx, run.id, big.id)
        discussion = await sample_story.recorded_discussion(s, ctx, big)
    pid = seeded.project_id
    seeded.note_url = routes.note_url(pid, str(first_note.id))
    seeded.workflow_url = routes.workflow_url(pid, str(workflow.id))
    seeded.run_url = routes.run_url(pid, str(made[-1].id))
    seeded.report_url = routes.report_url(pid, str(report.id)) if report else ""
    seeded.discussion_url = routes.discussion_url(pid, str(discussion.id)) if discussion else ""


def screenshot(seed: int, size: tuple[int, int] = (2560, 1600)) -> bytes:
    """A retina screenshot: flat UI with text and one photo-like panel, about 2.9 MB of PNG."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, w, 90], fill=(30, 34, 44))
    draw.rectangle([0, 90, 420, h], fill=(236, 238, 242))
    for i in range(40):
        draw.text((24, 120 + i * 34), f"Menu item {i} {rnd.random():.5f}", fill=(40, 40, 40))
    for i in range(60):
        line = " ".join(f"word{rnd.randint(0, 9999)}" for _ in range(14))
        draw.text((460, 130 + i * 24), line, fill=(20, 20, 20))
    pw, ph = rnd.randint(1040, 1070), rnd.randint(1100, 1140)
    noise = Image.effect_noise((pw, ph), 60 + seed).convert("RGB").filter(ImageFilter.GaussianBlur(0.6))
    tint = Image.new("RGB", (pw, ph), (rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255)))
    img.paste(Image.blend(noise, tint, 0.4), (1480, 200))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def photo(seed: int, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A 12-megapixel phone photo's worth of JPEG, about 3 MB."""
    base = Image.effect_noise((size[0] // 8, size[1] // 8), 70 + seed).convert("RGB")
    base = base.resize(size, Image.Resampling.BICUBIC)
    img = Image.blend(base, Image.effect_noise(size, 25).convert("RGB"), 0.25)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def drop_files(kind: str, count: int) -> list[Path]:
    """Paths of ``count`` generated files (made once, then reused)."""
    make, ext = (screenshot, "png") if kind == "screenshot" else (photo, "jpg")
    folder = FILES_DIR / kind
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{kind}-{i:02d}.{ext}"
        if not path.exists():
            path.write_bytes(make(i))
        paths.append(path)
    return paths
