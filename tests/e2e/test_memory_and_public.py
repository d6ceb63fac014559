"""The memory hub's search (counts, more on demand, marked matches, tag chips) and a published
project's public page seen by a visitor without a login."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import goto_signed_in, register

pytestmark = pytest.mark.e2e


def _add(page: Page, title: str, content: str, tags: str) -> None:
    page.fill("#new-memory-title", title)
    page.fill("#new-memory-content", content)
    page.fill("#new-memory-tags", tags)
    page.click("#add-memory")
    expect(page.locator(".memory-card", has_text=title).first).to_be_visible()


def test_memory_hub_counts_shows_more_marks_matches_and_filters_by_tag(page: Page) -> None:
    register(page, "Wanda", "Wanda's team")
    goto_signed_in(page, "/memory")
    expect(page.locator("#no-memories")).to_contain_text("No memories yet")
    for i in range(6):
        _add(page, f"Fuel check {i}", f"Step {i}: check the fuel before launch.", "launch")
    _add(page, "<img src=x onerror=alert(1)> fuel", "Hostile title, harmless text.", "security")
    _add(page, "Garden", "Tomatoes need water.", "home")

    # The test app pages by 5 (NYX_MEMORY_PAGE_SIZE): the count says so, "Show more" reads on.
    expect(page.locator("#memory-count")).to_have_text("Showing 5 of 8 entries")
    page.click("#memory-more")
    expect(page.locator(".memory-card")).to_have_count(8)
    expect(page.locator("#memory-count")).to_have_text("8 entries")
    expect(page.locator("#memory-more")).to_have_count(0)

    page.fill("#memory-query", "fuel")
    page.click("#memory-search")
    expect(page.locator("#memory-count")).to_have_text("Showing 5 of 7 entries match “fuel”")
    expect(page.locator(".memory-card").first.locator("mark").first).to_have_text("fuel", ignore_case=True)
    hostile = page.locator(".memory-card", has_text="onerror")
    page.click("#memory-more")
    expect(hostile.locator(".memory-title mark")).to_have_text("fuel")
    expect(hostile.locator("img")).to_have_count(0)  # the title is text, only the match is marked
    expect(hostile.locator(".memory-title")).to_contain_text("<img src=x onerror=alert(1)>")
    page.screenshot(path="test-artifacts/memory-search.png", full_page=True)

    # A tag chip narrows the search; pressed again it lets go.
    page.locator("#memory-tags .tag-chip[data-tag='security']").click()
    expect(page.locator("#memory-count")).to_have_text("1 entry match “fuel” tagged security")
    expect(page.locator(".memory-card")).to_have_count(1)
    page.locator("#memory-tags .tag-chip[data-tag='security']").click()
    expect(page.locator("#memory-count")).to_have_text("Showing 5 of 7 entries match “fuel”")
    page.click("#clear-search")
    page.locator(".memory-card", has_text="Garden").locator(".entry-tag[data-tag='home']").click()
    expect(page.locator("#memory-count")).to_have_text("1 entry match tagged home")
    expect(page.locator(".memory-card")).to_have_count(1)
    expect(page.locator(".memory-card .memory-byline")).to_contain_text("Wanda")


def test_a_published_projects_public_page_for_a_visitor(page: Page, browser: Browser, app_url: str) -> None:
    register(page, "Xena", "Xena's studio")
    expect(page.locator("#welcome")).to_contain_text("Memory Hub")
    page.click("#create-sample")  # a newcomer's sample: notes with images and a memory entry
    expect(page.locator("#project-title")).to_have_text("Sample: Lunar lander")
    project_url = page.url
    project_id = project_url.rstrip("/").split("/")[-1]

    # "Start here" goes public; "Altitude alarm" stays private.
    page.locator(".note-title", has_text="Altitude alarm").click()
    expect(page.locator(".image-card")).to_have_count(1)
    private_image = page.locator(".image-card").first.get_attribute("data-image-id")
    page.goto(project_url)
    page.locator(".note-title", has_text="Start here").click()
    expect(page.locator(".image-card")).to_have_count(2)
    page.click("#note-public")
    expect(page.get_by_text("The note is public")).to_be_visible()
    public_image = page.locator(".image-card").first.get_attribute("data-image-id")

    page.goto(project_url)
    page.click("#toggle-published")
    expect(page.get_by_role("alertdialog")).to_contain_text("nothing else of this workspace")
    page.locator(".confirm-publish").click()
    public_link = page.locator("#public-link")
    expect(public_link).to_be_visible()
    public_path = public_link.get_attribute("href")
    assert public_path == f"/public/{project_id}"

    visitor = browser.new_context(base_url=app_url).new_page()  # no login at all
    visitor.goto(public_path)
    expect(visitor.locator("#public-title")).to_have_text("Sample: Lunar lander")
    expect(visitor.locator(".public-note-title")).to_have_text(["Start here"])  # the private note is not there
    expect(visitor.get_by_text("Altitude alarm", exact=True)).to_have_count(0)
    expect(visitor.get_by_text("Xena's studio")).to_have_count(0)  # nothing else of the workspace
    visitor.wait_for_function(
        "() => [...document.querySelectorAll('.public-image')].length === 2 && "
        "[...document.querySelectorAll('.public-image')].every(i => i.complete && i.naturalWidth > 0)"
    )
    visitor.screenshot(path="test-artifacts/public-page.png", full_page=True)
    # Screenshots are a gallery of thumbnails; the lightbox shows one large, named, one after another.
    visitor.locator(".public-gallery button").first.click()
    expect(visitor.locator(".lightbox-title")).to_have_text("landing-flow.png")
    visitor.click("#lightbox-next")
    expect(visitor.locator(".lightbox-title")).to_have_text("screens.png")
    expect(visitor.locator("#lightbox-position")).to_have_text("2 of 2")
    visitor.keyboard.press("Escape")

    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(app_url + path) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code

    assert status(f"/api/public/{project_id}/images/{public_image}") == 200
    assert status(f"/api/public/{project_id}/images/{private_image}") == 404  # a private note's image

    page.click("#toggle-published")
    page.locator(".confirm-unpublish").click()
    expect(page.locator("#public-link")).to_have_count(0)
    visitor.reload()
    expect(visitor.locator("#not-found")).to_be_visible()
    expect(visitor.get_by_text("Start here")).to_have_count(0)
    assert status(f"/api/public/{project_id}/images/{public_image}") == 404
    visitor.goto("/public/00000000-0000-0000-0000-000000000000")
    expect(visitor.locator("#not-found")).to_be_visible()
    visitor.context.close()
