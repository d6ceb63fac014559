"""A sample project made in one click, so a newcomer sees what a filled workspace looks like:
notes with Markdown and images, a memory entry tied to the project, and the whole loop recorded
(a finished workflow run, its report and a discussion: ``sample_story.py``), costing nothing.

The pictures are drawn here with Pillow (no files shipped, nothing fetched) and go through the
same checks, re-encoding and storage as any upload.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.project import Project
from nyx_app.services import memory, note_images, notes, projects, sample_story
from nyx_app.services.context import TenantContext
from nyx_app.services.note_images import IncomingFile

SAMPLE_NAME = "Sample: Lunar lander"
DESCRIPTION = (
    "A sample project to look around in: notes with screenshots, a memory entry, and a recorded run, report "
    "and discussion (no model was called). Delete it any time."
)

WELCOME = """## What a note is for

Notes hold what you know about a project: decisions, findings, screenshots. They are
**Markdown**, so tables, lists and code all work:

| step | who | status |
|---|---|---|
| design the landing screen | Ada | done |
| wire up the altitude alarm | Grace | in progress |

> Add images below a note by dropping them on the note's page.

Workflows read notes like this one and turn them into action points and plans. This sample
comes with one finished run of *Image to implementation* (Runs tab), its report (Reports tab) and
a discussion between two personas (Discussions tab), all recorded: no model was called and nothing
was paid. Add a provider and start the workflow again to see it happen live.
"""

ALARM = """## Altitude alarm

When the descent rate is too high the pilot must see it **at once**:

1. the gauge turns red;
2. a tone sounds;
3. the abort button is highlighted.

```python
if descent_rate > LIMIT:
    alarm.raise_("descent too fast")
```
"""

MEMORY_TITLE = "Alarms must be seen, not only heard"
MEMORY_TEXT = (
    "The memory hub keeps what the team learned, across projects. Search it by words or by tag; "
    "workflows use it as context. Example: every alarm needs a visual signal as well as a sound."
)


def _picture(title: str, boxes: list[str], color: tuple[int, int, int]) -> bytes:
    """A small diagram: a title and boxes joined by arrows."""
    width, height = 640, 360
    img = Image.new("RGB", (width, height), (248, 249, 252))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=18)
    draw.rectangle((0, 0, width, 56), fill=color)
    draw.text((20, 16), title, fill="white", font=font)
    box_w, gap = 160, (width - 40 - 3 * 160) // 2
    for i, label in enumerate(boxes[:3]):
        left = 20 + i * (box_w + gap)
        draw.rounded_rectangle((left, 150, left + box_w, 250), radius=14, outline=color, width=4, fill="white")
        draw.text((left + 16, 188), label, fill=(30, 30, 40), font=small)
        if i < 2:
            x = left + box_w + 8
            draw.line((x, 200, x + gap - 16, 200), fill=color, width=4)
            draw.polygon([(x + gap - 16, 190), (x + gap - 4, 200), (x + gap - 16, 210)], fill=color)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def _free_name(session: AsyncSession) -> str:
    taken = set(await session.exec(select(Project.name).where(Project.name.startswith(SAMPLE_NAME))))
    if SAMPLE_NAME not in taken:
        return SAMPLE_NAME
    n = 2
    while f"{SAMPLE_NAME} ({n})" in taken:
        n += 1
    return f"{SAMPLE_NAME} ({n})"


async def create_sample_project(session: AsyncSession, ctx: TenantContext) -> Project:
    project = await projects.create_project(session, ctx, await _free_name(session), DESCRIPTION)
    welcome = await notes.create_note(session, ctx, project.id, "Start here", WELCOME)
    alarm = await notes.create_note(session, ctx, project.id, "Altitude alarm", ALARM)
    blue, red = (52, 81, 178), (206, 44, 49)
    await note_images.add_images(
        session,
        ctx,
        welcome.id,
        [
            IncomingFile("landing-flow.png", _picture("Landing flow", ["Approach", "Descent", "Touchdown"], blue)),
            IncomingFile("screens.png", _picture("Screens", ["Login", "Dashboard", "Gauges"], blue)),
        ],
    )
    await note_images.add_images(
        session, ctx, alarm.id, [IncomingFile("alarm.png", _picture("Alarm", ["Sensor", "Check", "Alarm"], red))]
    )
    await memory.create_entry(
        session,
        ctx,
        title=MEMORY_TITLE,
        content=MEMORY_TEXT,
        tags="sample, alarms, ux",
        project_id=str(project.id),
    )
    await sample_story.add_story(session, ctx, project)
    return project
