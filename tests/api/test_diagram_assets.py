"""The diagram scripts over HTTP: the app's own (with the shared diagram rules in front of it) and
Mermaid's bundle under a content-hashed name, from this app, open to every page (no login)."""

from __future__ import annotations

import httpx

from nyx_app import routes
from nyx_app.api import diagram_assets
from nyx_app.integrations.diagram_policy import policy_js


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
