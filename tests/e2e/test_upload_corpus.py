"""Uploads in the browser: judged by decoding, never by name, each refusal in words at its file —
the same corpus through a note's drop zone and a persona's portrait (tests/fakes/images.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_note, create_project, open_project, register
from tests.fakes.images import UploadCase, upload_corpus

pytestmark = pytest.mark.e2e

# What a browser can send: names without control characters (Chromium refuses those in a File).
CASES = [c for c in upload_corpus() if c.id != "control-characters"]
# An unknown type: what a browser reports for a file without (or with an odd) extension.
UNKNOWN_TYPE = "application/octet-stream"


def as_file(case: UploadCase) -> dict[str, object]:
    return {"name": case.name, "mimeType": UNKNOWN_TYPE, "buffer": case.data}


def test_a_notes_drop_zone_takes_images_by_content_and_names_each_refusal(page: Page) -> None:
    register(page, "Uma", "Uma's uploads")
    create_project(page, "Corpus")
    open_project(page, "Corpus")
    create_note(page, "Files")
    page.locator(".image-drop-zone input[type=file]").set_input_files([as_file(c) for c in CASES])
    taken, refused = [c for c in CASES if not c.refusal], [c for c in CASES if c.refusal]
    # Eight files through the image workers: on a busy machine that takes longer than expect's 5 s.
    expect(page.locator(".image-card")).to_have_count(len(taken), timeout=60_000)
    expect(page.locator(".upload-ok")).to_have_count(len(taken))
    expect(page.locator(".upload-error")).to_have_count(len(refused))
    for case in refused:
        line = page.locator(".upload-error", has_text=case.shown)
        expect(line).to_contain_text(case.refusal)
    for case in taken:
        expect(page.locator(".upload-ok", has_text=case.shown)).to_have_count(1)
    assert "\u202e" not in page.locator("#upload-outcomes").inner_text()


def test_a_portrait_takes_a_png_without_extension_and_names_each_refusal(page: Page) -> None:
    register(page, "Vic", "Vic's crew")
    page.click("text=Personas")
    page.locator(".persona-card").first.locator(".edit-persona").click()
    upload = page.locator(".portrait-upload input[type=file]")
    for case in CASES:
        upload.set_input_files([as_file(case)])
        if case.refusal:
            expect(page.locator("#portrait-error")).to_contain_text(f"{case.shown}: ", timeout=30_000)
            expect(page.locator("#portrait-error")).to_contain_text(case.refusal)
        else:
            expect(page.locator("#portrait-error")).to_have_count(0)
            expect(page.locator("#remove-portrait")).to_be_visible(timeout=30_000)
            page.click("#remove-portrait")
            expect(page.locator("#remove-portrait")).to_have_count(0)


def test_a_workflow_import_is_judged_by_reading_the_file_not_by_its_name(page: Page) -> None:
    register(page, "Wes", "Wes's flows")
    create_project(page, "Flows")
    open_project(page, "Flows")
    page.click("#tab-workflows")
    drop = page.locator(".import-drop-zone input[type=file]")
    bmp = next(c for c in CASES if c.id == "bmp-named-png")
    drop.set_input_files([{"name": "flow.json", "mimeType": "application/json", "buffer": bmp.data}])
    expect(page.locator("#import-error")).to_contain_text("That file is not a workflow export: it is not text.")
    # Text without the .json name is read as what it is (here: not an export), not refused by name.
    drop.set_input_files([{"name": "exported-flow", "mimeType": UNKNOWN_TYPE, "buffer": b'{"format": "other"}'}])
    expect(page.locator("#import-error")).not_to_contain_text("it is not text")
    expect(page.locator("#import-error")).to_be_visible()
