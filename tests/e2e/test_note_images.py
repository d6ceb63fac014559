"""Note images in the browser: upload several at once, describe, reorder, remove, reload."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from nyx_app.settings import Settings
from tests.e2e.conftest import E2E_DATABASE
from tests.e2e.helpers import create_project, open_project, register

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
    page.fill("#new-note-title", "Login flow")
    page.fill("#new-note-content", "## Screens\n\nThe **login** flow, step by step.")
    page.click("#add-note")
    page.locator(".note-title", has_text="Login flow").click()
    expect(page.locator("#note-title")).to_have_text("Login flow")
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

    # Open full size: the link points at the authenticated route and serves the re-encoded PNG.
    href = page.locator(".image-open").first.get_attribute("href")
    assert href is not None and "/api/images/" in href and not href.endswith("/thumb")
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

    # Deleting the note removes its images: the route answers 404 and the files are gone.
    project_id, note_id = page.url.split("/projects/")[1].split("/notes/")
    stored = Settings(database_name=E2E_DATABASE).storage_dir  # the app's, not this process's
    assert len(list(stored.glob(f"*/{project_id}/{note_id}/*"))) == 4  # two images, two thumbnails
    page.locator("#breadcrumbs").get_by_role("link", name="Storyboard").click()
    page.locator(".note-card", has_text="Login flow").locator(".delete-note").click()
    page.click(".confirm-delete-note")
    expect(page.locator(".note-card", has_text="Login flow")).to_have_count(0)
    assert page.request.get(href).status == 404
    assert list(stored.glob(f"*/{project_id}/{note_id}/*")) == []
    page.goto(f"/projects/{project_id}/notes/{note_id}")
    expect(page.locator("#not-found")).to_have_text("Note not found")

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


def test_each_file_shows_its_progress_on_a_slow_connection(page: Page) -> None:
    register(page, "Otto", "Otto's lab")
    create_project(page, "Slow line")
    open_project(page, "Slow line")
    page.fill("#new-note-title", "Field photos")
    page.click("#add-note")
    page.locator(".note-title", has_text="Field photos").click()
    expect(page.locator("#note-title")).to_have_text("Field photos")

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
    # While the second file is still on its way, the first one is already complete.
    expect(pending.nth(0)).to_contain_text("checking", timeout=10_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.locator(".image-card")).to_have_count(2)
    expect(pending).to_have_count(0)

    # A drop over the limit is refused as a whole, with a message, and adds nothing.
    tiny = [png(4, 4, "white") | {"name": f"tiny-{i}.png"} for i in range(21)]
    page.locator(".image-drop-zone input[type=file]").set_input_files(tiny)
    expect(page.locator("#form-error")).to_contain_text("You dropped 21 files; at most 20")
    expect(page.locator(".image-card")).to_have_count(2)
