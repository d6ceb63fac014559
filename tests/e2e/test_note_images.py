"""Note images in the browser: drop several at once, describe, reorder, view in the lightbox,
remove, reload; paste into the editor; drops the browser refuses before sending anything."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from nyx_app.settings import Settings
from tests.e2e.conftest import E2E_DATABASE
from tests.e2e.helpers import create_note, create_project, open_project, register

pytestmark = pytest.mark.e2e


def png(width: int, height: int, color: str) -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return {"name": f"{color}.png", "mimeType": "image/png", "buffer": out.getvalue()}


def card_sizes(page: Page) -> list[str]:
    """The gallery's order, read from each card's "W x H px" label."""
    labels = page.locator(".image-card").all_inner_texts()
    return [next(part for part in text.split("\n") if " px" in part).split(" px")[0] for text in labels]


def descriptions(page: Page) -> list[str]:
    return [box.input_value() for box in page.locator(".image-card textarea").all()]


def test_upload_describe_reorder_remove_and_reload(page: Page) -> None:
    register(page, "Iris", "Iris's studio")
    create_project(page, "Storyboard")
    open_project(page, "Storyboard")
    create_note(page, "Login flow", "## Screens\n\nThe **login** flow, step by step.")
    expect(page.locator(".note-content strong")).to_have_text("login")
    expect(page.locator("#no-images")).to_be_visible()

    # One pick of four files: three images and a text file wearing a .png name.
    fake = {"name": "notes.png", "mimeType": "image/png", "buffer": b"just some text, not a picture\n"}
    page.locator(".image-drop-zone input[type=file]").set_input_files(
        [png(120, 80, "red"), png(160, 90, "green"), fake, png(200, 100, "blue")]
    )
    expect(page.locator(".image-card")).to_have_count(3)
    expect(page.locator(".upload-ok")).to_have_count(3)
    expect(page.locator(".upload-error")).to_have_count(1)
    expect(page.locator(".upload-error")).to_contain_text("notes.png")
    expect(page.locator(".upload-error")).to_contain_text("not an image we can read")
    assert card_sizes(page) == ["120 x 80", "160 x 90", "200 x 100"]
    # Thumbnails really load through the authenticated route (naturalWidth is 0 for a broken image).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.image-thumb')].every(i => i.complete && i.naturalWidth > 0)"
    )

    boxes = page.locator(".image-card textarea")
    boxes.nth(0).fill("Red: the empty form")
    boxes.nth(0).press("Tab")
    expect(page.get_by_text("Description saved")).to_be_visible()
    boxes.nth(2).fill("Blue: the error state")
    boxes.nth(2).press("Tab")
    expect(page.get_by_text("Description saved").first).to_be_visible()
    page.screenshot(path="test-artifacts/note-images.png", full_page=True)

    # Red moves after green; then blue moves to the front.
    page.locator(".image-card").nth(0).locator(".image-move-down").click()
    expect(page.locator(".image-card").nth(0)).to_contain_text("160 x 90")
    page.locator(".image-card").nth(2).locator(".image-move-up").click()
    expect(page.locator(".image-card").nth(1)).to_contain_text("200 x 100")
    page.locator(".image-card").nth(1).locator(".image-move-up").click()
    expect(page.locator(".image-card").nth(0)).to_contain_text("200 x 100")
    assert card_sizes(page) == ["200 x 100", "160 x 90", "120 x 80"]

    page.locator(".image-card").nth(1).locator(".image-remove").click()  # green goes, after a confirmation
    page.click(".confirm-remove-image")
    expect(page.locator(".image-card")).to_have_count(2)

    # The lightbox shows the full-size image from the authenticated route, inside the app, with
    # its description; next and previous (buttons and arrow keys) go round.
    page.locator(".image-open").first.click()
    lightbox = page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    expect(page.locator("#lightbox-position")).to_have_text("1 of 2")
    expect(lightbox).to_contain_text("Blue: the error state")
    page.wait_for_function("() => document.querySelector('.lightbox-image')?.naturalWidth === 200")
    href = page.locator(".lightbox-image").get_attribute("src")
    assert href is not None and "/api/images/" in href and not href.endswith("/thumb")
    page.click("#lightbox-next")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 2")
    expect(lightbox).to_contain_text("Red: the empty form")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lightbox-position")).to_have_text("1 of 2")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 2")
    page.click("#lightbox-prev")
    expect(page.locator("#lightbox-position")).to_have_text("1 of 2")
    page.click("#lightbox-close")
    expect(lightbox).to_have_count(0)
    assert page.url.split("/notes/")[1] != ""  # still on the note's page
    full = page.request.get(href)
    assert full.status == 200 and full.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(full.body())).size == (200, 100)

    page.reload()
    expect(page.locator(".image-card")).to_have_count(2)
    assert card_sizes(page) == ["200 x 100", "120 x 80"]
    assert descriptions(page) == ["Blue: the error state", "Red: the empty form"]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.image-thumb')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path="test-artifacts/note-images-after-reload.png", full_page=True)

    # Deleting the note puts it and its images in the trash: the route answers 404 at once; the
    # files (and the removed image's) stay for a restore until the trash is emptied.
    project_id, note_id = page.url.split("/projects/")[1].split("/notes/")
    stored = Settings(database_name=E2E_DATABASE).storage_dir  # the app's, not this process's
    # Two images and two thumbnails, and the removed image's two files, kept by the trash.
    assert len(list(stored.glob(f"*/{project_id}/{note_id}/*"))) == 6
    page.locator(".delete-note").click()
    page.click(".confirm-delete-note")
    expect(page.locator("#project-title")).to_have_text("Storyboard")
    expect(page.locator(".note-card", has_text="Login flow")).to_have_count(0)
    assert page.request.get(href).status == 404
    page.goto(f"/projects/{project_id}/notes/{note_id}")
    expect(page.locator("#not-found")).to_have_text("Note not found")
    page.goto("/trash")
    page.locator(".empty-trash").click()
    page.locator(".confirm-empty-trash").click()
    expect(page.locator("#trash-empty")).to_be_visible()
    assert list(stored.glob(f"*/{project_id}/{note_id}/*")) == []

    # Images are managed on notes only: the Memory Hub has no uploader.
    page.goto("/memory")
    expect(page.locator("#add-memory")).to_be_visible()
    expect(page.locator(".image-drop-zone")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)

    # Signed out, the same image URL answers 401; the browser cannot reach it without the session.
    page.context.clear_cookies()
    assert page.request.get(href).status == 401


def noisy_png(name: str, size: tuple[int, int] = (400, 300)) -> dict[str, object]:
    out = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(out, "PNG")
    return {"name": name, "mimeType": "image/png", "buffer": out.getvalue()}


def test_each_file_shows_its_progress_and_its_card_as_soon_as_it_is_in(page: Page) -> None:
    register(page, "Otto", "Otto's lab")
    create_project(page, "Slow line")
    open_project(page, "Slow line")
    create_note(page, "Field photos", "Photos from the field.")

    files = [noisy_png("first.png"), noisy_png("second.png")]  # ~360 KB each
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    page.locator(".image-drop-zone input[type=file]").set_input_files(files)
    pending = page.locator(".upload-pending")
    expect(pending).to_have_count(2)
    expect(pending.nth(0)).to_contain_text("first.png")
    expect(pending.nth(1)).to_contain_text("second.png")
    # While the second file is still on its way, the first one is already checked and in the gallery.
    expect(page.locator(".image-card")).to_have_count(1, timeout=10_000)
    expect(pending).to_have_count(1)
    expect(pending.nth(0)).to_contain_text("second.png")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.locator(".image-card")).to_have_count(2)
    expect(pending).to_have_count(0)

    # Too many files, or a file too large: refused in the browser, before a byte is sent.
    sent: list[int] = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if "/_upload" in r.url else None)
    tiny = [png(4, 4, "white") | {"name": f"tiny-{i}.png"} for i in range(21)]
    page.locator(".image-drop-zone input[type=file]").set_input_files(tiny)
    expect(page.locator("#form-error")).to_contain_text("You dropped 21 files; at most 20")
    huge = {"name": "huge.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"\0" * (10 * 1024 * 1024 + 1)}
    page.locator(".image-drop-zone input[type=file]").set_input_files([huge])
    expect(page.locator("#form-error")).to_contain_text("huge.png (more than 10 MB")
    expect(page.locator(".image-card")).to_have_count(2)
    assert all(size < 1000 for size in sent), f"file bytes were sent: {sent}"


def test_an_image_pasted_into_the_editor_is_uploaded_and_shown_in_the_preview(page: Page) -> None:
    register(page, "Pia", "Pia's desk")
    create_project(page, "Bug reports")
    open_project(page, "Bug reports")
    create_note(page, "Crash on save")  # a new, empty note opens in the editor
    page.fill("#edit-note-content", "Steps:")
    shot = png(300, 150, "purple")["buffer"]
    page.evaluate(
        """(bytes) => {
            const file = new File([new Uint8Array(bytes)], 'screenshot.png', {type: 'image/png'});
            const clipboard = new DataTransfer();
            clipboard.items.add(file);
            const area = document.getElementById('edit-note-content');
            area.focus();
            area.selectionStart = area.selectionEnd = area.value.length;
            const paste = {clipboardData: clipboard, bubbles: true, cancelable: true};
            area.dispatchEvent(new ClipboardEvent('paste', paste));
        }""",
        list(shot),
    )
    # The reference to the app's own image route replaces the placeholder, at the cursor.
    expect(page.locator("#edit-note-content")).to_have_value(
        re.compile(r"^Steps:\n!\[screenshot\]\(/api/images/[0-9a-f-]{36}\)\n$")
    )
    preview = page.locator(".note-preview img")
    expect(preview).to_have_count(1)
    page.wait_for_function("() => document.querySelector('.note-preview img')?.naturalWidth === 300")
    expect(page.locator(".image-card")).to_have_count(1)  # and it is in the gallery
    page.click("#save-note")
    expect(page.locator(".note-content img")).to_have_count(1)
