"""The public API over HTTP (in-process ASGI, real PostgreSQL): tokens, scopes, tenants, problem
details, pagination, idempotency, body limits, notes with images, and its OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from nyx_app.api.v1.app import api_v1
from nyx_app.api.v1.routes_content import router as content_router
from nyx_app.api.v1.routes_reports import router as reports_router
from nyx_app.api.v1.routes_runs import router as runs_router
from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import api_tokens, members, projects
from nyx_app.settings import Settings
from tests.api.api_helpers import bearer, token_for
from tests.factories import TenantFactory
from tests.fakes.images import image_bytes

PROBLEM = "application/problem+json"


def is_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"] and body["title"] and body["type"]
    return body


async def test_every_bad_token_gets_the_same_401(api_client: httpx.AsyncClient, tenants: TenantFactory) -> None:
    acct = await tenants.create()
    token = await token_for(acct)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        revoked = await api_tokens.create_token(s, acct.ctx, name="old", scopes=["read"])
        await api_tokens.revoke_token(s, acct.ctx, revoked.view.id)
    answers = []
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer("nyx_nonsense"),
        bearer(token[:-2] + "zz"),
        bearer(revoked.token),
        bearer(f"nyx_{uuid.uuid4().hex}_{'a' * 43}"),
    ):
        response = await api_client.get("/api/v1/projects", headers=headers)
        body = is_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        answers.append(body)
    assert all(a == answers[0] for a in answers)  # nothing says which kind of wrong it was
    ok = await api_client.get("/api/v1/projects", headers=bearer(token))
    assert ok.status_code == 200 and ok.json() == {"items": [], "next_cursor": None}


async def test_scopes_and_roles_refuse_with_403_and_say_why(
    api_client: httpx.AsyncClient, tenants: TenantFactory
) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner, Role.MEMBER)
    read_only = await token_for(owner, ["read"])
    body = is_problem(await api_client.post("/api/v1/projects", json={"name": "X"}, headers=bearer(read_only)), 403)
    assert "'write' scope" in str(body["detail"])
    writer = await token_for(member, ["read", "write"])
    created = await api_client.post("/api/v1/projects", json={"name": "Member's"}, headers=bearer(writer))
    assert created.status_code == 201
    # Members may not see the audit log, whatever their token says (and they cannot get the scope).
    is_problem(await api_client.get("/api/v1/audit", headers=bearer(writer)), 403)


async def test_another_tenant_s_ids_are_not_found(api_client: httpx.AsyncClient, tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "A's secret")
    b_token = await token_for(b)
    for path in (f"/api/v1/projects/{project.id}", f"/api/v1/projects/{project.id}/notes", "/api/v1/notes/nope"):
        is_problem(await api_client.get(path, headers=bearer(b_token)), 404)
    made = await api_client.post(
        f"/api/v1/projects/{project.id}/notes", json={"title": "planted"}, headers=bearer(b_token)
    )
    is_problem(made, 404)


async def test_bad_bodies_get_clear_answers_and_nothing_is_written(
    api_client: httpx.AsyncClient, tenants: TenantFactory, settings_env: Callable[..., Settings]
) -> None:
    acct = await tenants.create()
    token = await token_for(acct)
    auth = bearer(token)
    body = is_problem(
        await api_client.post(
            "/api/v1/projects", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
        ),
        422,
    )
    assert body["errors"]
    is_problem(
        await api_client.post("/api/v1/projects", content=b"name=x", headers={**auth, "Content-Type": "text/plain"}),
        415,
    )
    invalid = is_problem(await api_client.post("/api/v1/projects", json={"name": " ", "colour": 1}, headers=auth), 422)
    assert "colour" in json.dumps(invalid["errors"])
    blank = is_problem(await api_client.post("/api/v1/projects", json={"name": "  "}, headers=auth), 422)
    assert blank["errors"] == {"name": "Project name cannot be empty."}
    settings_env(api_json_max_bytes=1000)
    big = await api_client.post("/api/v1/projects", json={"name": "x", "description": "y" * 5000}, headers=auth)
    is_problem(big, 413)
    huge_page = is_problem(await api_client.get("/api/v1/projects?limit=100000", headers=auth), 422)
    assert "limit" in huge_page["errors"]
    is_problem(await api_client.get("/api/v1/projects?cursor=garbage", headers=auth), 422)
    is_problem(await api_client.get("/api/v1/no-such-route", headers=auth), 404)
    listed = await api_client.get("/api/v1/projects", headers=auth)
    assert listed.json()["items"] == []


async def test_pages_follow_the_cursor_newest_first(api_client: httpx.AsyncClient, tenants: TenantFactory) -> None:
    acct = await tenants.create()
    auth = bearer(await token_for(acct))
    for n in range(7):
        assert (await api_client.post("/api/v1/projects", json={"name": f"P{n}"}, headers=auth)).status_code == 201
    seen, cursor = [], None
    while True:
        page = (
            await api_client.get(
                "/api/v1/projects", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=auth
            )
        ).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{n}" for n in reversed(range(7))]


async def test_an_idempotency_key_replays_the_first_answer(
    api_client: httpx.AsyncClient, tenants: TenantFactory
) -> None:
    acct = await tenants.create()
    auth = {**bearer(await token_for(acct)), "Idempotency-Key": "create-roadmap-1"}
    first, again = await asyncio.gather(
        api_client.post("/api/v1/projects", json={"name": "Roadmap"}, headers=auth),
        api_client.post("/api/v1/projects", json={"name": "Roadmap"}, headers=auth),
    )
    assert {first.status_code, again.status_code} == {201}
    assert first.json() == again.json()
    assert "true" in (first.headers.get("idempotent-replayed"), again.headers.get("idempotent-replayed"))
    other = await api_client.post("/api/v1/projects", json={"name": "Something else"}, headers=auth)
    assert "different request" in str(is_problem(other, 409)["detail"])
    listed = (await api_client.get("/api/v1/projects", headers=auth)).json()["items"]
    assert [p["name"] for p in listed] == ["Roadmap"]


async def test_a_note_with_images_is_made_whole_or_not_at_all(
    api_client: httpx.AsyncClient, tenants: TenantFactory, local_storage: object
) -> None:
    acct = await tenants.create()
    auth = bearer(await token_for(acct))
    project = (await api_client.post("/api/v1/projects", json={"name": "Shots"}, headers=auth)).json()
    files = [
        ("images", ("a.png", image_bytes(size=(40, 30)), "image/png")),
        ("images", ("b.png", image_bytes(size=(50, 20)), "image/png")),
    ]
    made = await api_client.post(
        f"/api/v1/projects/{project['id']}/notes",
        data={"title": "Login page", "content": "See shots"},
        files=files,
        headers=auth,
    )
    assert made.status_code == 201, made.text
    note = made.json()
    assert [(i["width"], i["height"]) for i in note["images"]] == [(40, 30), (50, 20)]
    assert made.headers["location"] == f"/api/v1/notes/{note['id']}"
    bad = [*files, ("images", ("evil.png", b"<svg onload=alert(1)>", "image/png"))]
    refused = is_problem(
        await api_client.post(
            f"/api/v1/projects/{project['id']}/notes", data={"title": "Half"}, files=bad, headers=auth
        ),
        422,
    )
    assert list(refused["errors"]) == ["images[2]"]  # type: ignore[arg-type]
    notes = (await api_client.get(f"/api/v1/projects/{project['id']}/notes", headers=auth)).json()["items"]
    assert [n["title"] for n in notes] == ["Login page"]


async def test_rate_limit_answers_429_with_the_wait(
    api_client: httpx.AsyncClient, tenants: TenantFactory, settings_env: Callable[..., Settings]
) -> None:
    settings_env(api_rate_limit_per_minute=5)
    acct = await tenants.create()
    auth = bearer(await token_for(acct))
    answers = [await api_client.get("/api/v1/me", headers=auth) for _ in range(7)]
    statuses = [a.status_code for a in answers]
    if statuses.count(200) > 5:  # the calls straddled a minute: the count started again
        pytest.skip("the calls straddled a minute boundary")
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert answers[0].headers["ratelimit-policy"] == '"tenant";q=5;w=60'
    assert answers[4].headers["ratelimit"].startswith('"tenant";r=0;t=')
    refused = answers[5]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Try again in" in str(is_problem(refused, 429)["detail"])


async def test_me_and_a_removed_member_s_token(api_client: httpx.AsyncClient, tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner, Role.MEMBER)
    token = await token_for(member, ["read"])
    me = (await api_client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["role"] == "member" and me["scopes"] == ["read"] and me["workspace_id"] == str(owner.ctx.tenant_id)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.remove_member(s, owner.ctx, member.ctx.user_id)
    is_problem(await api_client.get("/api/v1/me", headers=bearer(token)), 401)


async def test_the_openapi_document_is_valid_and_has_every_route(
    api_client: httpx.AsyncClient, tenants: TenantFactory
) -> None:
    document = api_v1.openapi()
    validate(document)  # OpenAPI 3.1, by openapi-spec-validator
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = {
        (route.path, method)
        for router in (content_router, runs_router, reports_router)
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert served and served == documented
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert "429" in op["responses"] and "401" in op["responses"], path
    # And each documented route answers there (with a made-up id: a 404 from the route, not "no such route").
    auth = bearer(await token_for(await tenants.create()))
    for path, method in sorted(documented):
        url = "/api/v1" + re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
        answer = await api_client.request(method, url, headers=auth, params={"q": "x"} if "search" in path else None)
        assert answer.status_code != 405, (method, path)
        assert "There is no such API route" not in answer.text, (method, path)


async def test_the_docs_page_is_served_from_the_app_within_its_policy(api_client: httpx.AsyncClient) -> None:
    page = await api_client.get("/api/v1/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "http" not in policy
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js"):
        assert (await api_client.get(f"/api/v1/docs/assets/{asset}")).status_code == 200
    document = await api_client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json()["info"]["title"] == "nyxCore API"
