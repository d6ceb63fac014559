"""The diagram scripts over HTTP: the app's own (with the shared diagram rules in front of it) and
Mermaid's bundle under a content-hashed name, from this app, open to every page (no login)."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Route, async_playwright

from nyx_app import routes
from nyx_app.api import diagram_assets
from nyx_app.integrations.diagram_policy import policy_js
from nyx_app.integrations.pdf.renderer import CHROMIUM_ARGS
from nyx_app.models.report import ReportKind
from nyx_app.services.reports import publish, store
from nyx_app.services.reports.devlog import DevlogPost, compose
from nyx_app.settings import get_settings
from tests.api.conftest import ORIGIN
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import workspace
from tests.services.reports.helpers import act
from tests.services.reports.test_writers import POST

__all__ = ["_fake_llm_server", "fake_llm"]
pytestmark = pytest.mark.usefixtures("local_storage")


async def test_the_diagram_scripts_come_from_the_app_and_mermaid_is_cached_for_a_year(
    web: httpx.AsyncClient,
) -> None:
    diagram_assets.diagrams_js.cache_clear()
    script = await web.get(routes.DIAGRAMS_JS)  # no cookie: public pages draw diagrams too
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.text.startswith(policy_js())  # the shared rules first, then the viewer
    assert 'securityLevel: "strict"' in script.text and "htmlLabels: false" in script.text
    assert "__MERMAID_URL__" not in script.text
    mermaid_path = diagram_assets.mermaid_url()
    assert mermaid_path in script.text and mermaid_path.startswith("/api/assets/mermaid-")
    assert script.headers["x-content-type-options"] == "nosniff"
    again = await web.get(routes.DIAGRAMS_JS, headers={"if-none-match": script.headers["etag"]})
    assert again.status_code == 304

    bundle = await web.get(mermaid_path)
    assert bundle.status_code == 200 and len(bundle.content) > 1_000_000
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await web.get(routes.MERMAID_JS.format(version="0123456789abcdef"))).status_code == 404


async def test_a_public_post_draws_its_diagram_under_its_own_strict_policy(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    """The real public page, headers and scripts (served by the app in-process) in Chromium: the
    page allows scripts from itself only, no eval, and Mermaid draws within that."""
    ws = await workspace(tenants, fake_llm, images=0)
    done = "```mermaid\ngraph TD\n  A[Shipped > planned] --> B[Next]\n```"
    post = DevlogPost.model_validate({**POST, "sections": {**POST["sections"], "done": done}})
    report = await act(
        ws,
        lambda s, c: store.save_report(
            s, c, project_id=ws.project_id, kind=ReportKind.DEVLOG, title="Drawn", body=compose(post)
        ),
    )
    public_id = (await act(ws, lambda s, c: publish.publish(s, c, report.id))).public_id
    outside: list[str] = []

    async def from_the_app(route: Route) -> None:
        url = route.request.url
        if not url.startswith(ORIGIN):
            outside.append(url)
            await route.abort()
            return
        answer = await web.get(url[len(ORIGIN) :])
        await route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(get_settings().pdf_chromium_path), args=CHROMIUM_ARGS)
        try:
            page = await chromium.new_page()
            refused: list[str] = []
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
            await page.route("**/*", from_the_app)
            await page.goto(ORIGIN + routes.public_post_url(str(public_id)))
            svg = page.locator(".post-body figure.nyx-diagram svg")
            await svg.wait_for(timeout=30_000)
            assert "Shipped > planned" in (await svg.text_content() or "")
        finally:
            await chromium.close()
    assert refused == [] and outside == []
