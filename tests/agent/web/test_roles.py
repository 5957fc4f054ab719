"""Every route of the council app against every role: no unexpected success.

The table below is the app's access policy, written out; a route missing from it fails
the test, so a new route cannot ship without a decision on who may use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from agent.config import Settings
from agent.context import RunContext
from agent.web.auth import PERMISSIONS, Permission
from store.gate.actions import get_action
from tests.support.web import ROLES, app_for, seeded_context, sign_in, tokens_for

Access = Permission | None  # None: public

POLICY: dict[tuple[str, str], Access] = {
    ("GET", "/login"): None,
    ("POST", "/login"): None,
    ("POST", "/api/session"): None,
    ("GET", "/favicon.ico"): None,
    ("GET", "/"): "read",
    ("GET", "/breakdowns/{breakdown_id}"): "read",
    ("GET", "/approvals"): "read",
    ("GET", "/actions"): "read",
    ("GET", "/actions/{action_id}"): "read",
    ("POST", "/actions/{action_id}/decide"): "decide",
    ("POST", "/incidents/{incident_id}/feedback"): "decide",
    ("GET", "/audit"): "audit",
    ("GET", "/chat"): "chat",
    ("POST", "/chat"): "chat",
    ("POST", "/chat/propose"): "chat",
    ("GET", "/admin/users"): "admin",
    ("GET", "/api/me"): "read",
    ("GET", "/api/journeys"): "read",
    ("GET", "/api/breakdowns/{breakdown_id}"): "read",
    ("GET", "/api/actions"): "read",
    ("GET", "/api/actions/{action_id}"): "read",
    ("POST", "/api/actions/{action_id}/confirmation"): "decide",
    ("POST", "/api/actions/{action_id}/decision"): "decide",
    ("GET", "/api/audit"): "audit",
    ("POST", "/api/chat"): "chat",
    ("GET", "/api/openapi.json"): "read",
    ("POST", "/logout"): "read",
    # Slack authenticates each request by its signature, not by a session.
    ("POST", "/slack/interactions"): None,
}


@pytest.fixture(scope="module")
def world(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunContext, str, str, dict[str, str]]]:
    ctx, action_id = seeded_context(settings, tmp_path_factory.mktemp("roles") / "home")
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        assert action is not None and action.breakdown_id is not None
        bd_id = action.breakdown_id
    yield ctx, action_id, bd_id, tokens_for(ctx)
    ctx.warehouse.close()


def _routes(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, route.path) for m in route.methods or ()}
        elif hasattr(route, "original_router"):
            # An included router (FastAPI >= 0.16x wraps them); the app adds no prefix.
            found |= _routes(route.original_router.routes)
        elif not isinstance(route, Mount):
            raise AssertionError(f"unexpected route type {route!r}")
    return found


def test_the_policy_covers_every_route(
    world: tuple[RunContext, str, str, dict[str, str]],
) -> None:
    assert _routes(app_for(world[0]).routes) == set(POLICY)


def _call(client: TestClient, method: str, path: str, csrf: str) -> tuple[int, str]:
    api = path.startswith("/api/")
    if method == "GET":
        reply = client.get(path, follow_redirects=False)
    elif api:
        reply = client.post(path, json={}, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    else:
        data = {"csrf": csrf, "confirm": "bogus", "decision": "approve", "reason": "r"}
        reply = client.post(path, data=data, follow_redirects=False)
    return reply.status_code, reply.headers.get("location", "")


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_admits_exactly_the_roles_its_policy_names(
    world: tuple[RunContext, str, str, dict[str, str]], role: str | None
) -> None:
    ctx, action_id, bd_id, tokens = world
    client = TestClient(app_for(ctx))
    csrf = sign_in(client, tokens[role]) if role else ""
    # Sign-out last: it ends the session the other calls ride on.
    for (method, template), access in sorted(POLICY.items(), key=lambda kv: kv[0][1] == "/logout"):
        path = template.format(action_id=action_id, breakdown_id=bd_id, incident_id="inc-0")
        status, location = _call(client, method, path, csrf)
        label = f"{role or 'anonymous'} {method} {path}"
        assert status < 500, label
        if access is None:
            continue
        allowed = role is not None and role in PERMISSIONS[access]
        if allowed and path == "/logout":
            assert status == 303 and location == "/login", label
        elif allowed:
            assert status not in (401, 403) and location != "/login", f"{label}: {status}"
        elif role is None:
            expected = 401 if path.startswith("/api/") else 303
            assert status == expected and (path.startswith("/api/") or location == "/login"), label
        else:
            assert status == 403, f"{label}: {status}"


def test_nothing_was_decided_by_the_matrix(
    world: tuple[RunContext, str, str, dict[str, str]],
) -> None:
    ctx, action_id, _bd, _tokens = world
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        assert action is not None and action.status == "proposed"
