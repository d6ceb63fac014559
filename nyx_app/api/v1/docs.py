"""The interactive API docs page (/api/v1/docs): Swagger UI, served from the app itself.

Swagger UI's files come from the npm package ``swagger-ui-dist`` (scripts/lib.sh installs it into
.tools/ with its SHA-256 checked), never from a CDN. The page has a Content-Security-Policy of its
own: scripts only from this app (the bundle and ``docs-init.js``, no inline script), styles from
this app (Swagger UI also sets inline styles), requests only to this app ("Try it out").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from nyx_app.settings import ROOT_DIR

ASSETS_DIR = ROOT_DIR / ".tools" / "swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    validatorUrl: null
  });
});
"""
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nyxCore API</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/assets/docs-init.js"></script>
</body></html>
"""
MISSING = "The API docs page needs Swagger UI's files (./scripts/run installs them into .tools/swagger-ui)."

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=4)
def _asset(name: str, root: Path = ASSETS_DIR) -> bytes:
    return (root / name).read_bytes()


@router.get("/docs")
async def docs_page() -> Response:
    if not (ASSETS_DIR / "swagger-ui-bundle.js").is_file():
        return PlainTextResponse(MISSING, status_code=503)
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> Response:
    if name == "docs-init.js":
        return Response(INIT_JS, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})
    if name not in ASSETS:
        return PlainTextResponse("Not found.", status_code=404)
    try:
        body = _asset(name)
    except OSError:
        return PlainTextResponse(MISSING, status_code=503)
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
