"""Council app security: CSRF, single-use confirmations, CSP, cookies and escaping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.config import Settings
from agent.context import RunContext
from agent.web import CSP
from store.gate.actions import get_action
from store.models import DecisionRow
from tests.support.web import (
    INJECTED,
    app_for,
    confirm_in,
    csrf_in,
    seeded_context,
    sign_in,
    tokens_for,
)


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path) -> Iterator[tuple[RunContext, str, dict[str, str]]]:
    ctx, action_id = seeded_context(settings, tmp_path / "home")
    yield ctx, action_id, tokens_for(ctx)
    ctx.warehouse.close()


@pytest.fixture
def client(seeded: tuple[RunContext, str, dict[str, str]]) -> TestClient:
    return TestClient(app_for(seeded[0]))


def _decisions(ctx: RunContext) -> list[DecisionRow]:
    with ctx.sessions() as session:
        return list(session.execute(select(DecisionRow)).scalars())


def test_every_response_carries_the_strict_csp(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    sign_in(client, seeded[2]["council_member"])
    for path in ("/login", "/", "/approvals", f"/actions/{seeded[1]}", "/api/me", "/nope"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP
        assert "default-src 'self'" in CSP and "'unsafe-inline'" not in CSP
        assert headers["x-frame-options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite_strict(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    page = client.get("/login")
    reply = client.post(
        "/login",
        data={"csrf": csrf_in(page.text), "token": seeded[2]["viewer"]},
        follow_redirects=False,
    )
    cookie = reply.headers["set-cookie"].lower()
    assert "jo_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_wrong_token_does_not_sign_in(client: TestClient) -> None:
    page = client.get("/login")
    reply = client.post(
        "/login", data={"csrf": csrf_in(page.text), "token": "jo_forged"}, follow_redirects=False
    )
    assert reply.headers["location"].startswith("/login?error")
    assert client.get("/api/me").status_code == 401


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    ctx, action_id, tokens = seeded
    login = client.get("/login")
    no_csrf = client.post("/login", data={"token": tokens["council_member"]})
    assert no_csrf.status_code == 403
    csrf = sign_in(client, tokens["council_member"])
    assert csrf_in(login.text) != csrf
    confirm = confirm_in(client.get(f"/actions/{action_id}").text)
    form = {"confirm": confirm, "decision": "approve", "reason": "looks right"}
    for bad in ({}, {"csrf": "forged"}, {"csrf": csrf_in(login.text)}):
        reply = client.post(f"/actions/{action_id}/decide", data={**form, **bad})
        assert reply.status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/chat", data={"question": "hi"}).status_code == 403
    assert client.post(f"/api/actions/{action_id}/confirmation").status_code == 403
    assert _decisions(ctx) == []
    reply = client.post(
        f"/actions/{action_id}/decide", data={**form, "csrf": csrf}, follow_redirects=False
    )
    assert reply.status_code == 303
    assert [d.user_name for d in _decisions(ctx)] == ["li"]


def test_a_confirmation_works_once(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    ctx, action_id, tokens = seeded
    csrf = sign_in(client, tokens["council_member"])
    confirm = confirm_in(client.get(f"/actions/{action_id}").text)
    form = {"csrf": csrf, "confirm": confirm, "decision": "reject", "reason": "not now"}
    first = client.post(f"/actions/{action_id}/decide", data=form, follow_redirects=False)
    assert first.status_code == 303
    again = client.post(f"/actions/{action_id}/decide", data=form)
    assert again.status_code == 409 and "already used" in again.text
    assert len(_decisions(ctx)) == 1


def test_a_confirmation_is_bound_to_its_user_and_expires(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, action_id, tokens = seeded
    li, maria = TestClient(app_for(ctx)), TestClient(app_for(ctx))
    li_csrf = sign_in(li, tokens["council_member"])
    maria_csrf = sign_in(maria, tokens["journey_owner"])
    lis_confirm = confirm_in(li.get(f"/actions/{action_id}").text)
    stolen = {"csrf": maria_csrf, "confirm": lis_confirm, "decision": "approve", "reason": "x"}
    assert maria.post(f"/actions/{action_id}/decide", data=stolen).status_code == 409
    ctx.clock = lambda: dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
    late = {"csrf": li_csrf, "confirm": lis_confirm, "decision": "approve", "reason": "x"}
    reply = li.post(f"/actions/{action_id}/decide", data=late)
    assert reply.status_code == 409 and "expired" in reply.text
    assert _decisions(ctx) == []
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        assert action is not None and action.status == "proposed"


def test_injected_customer_text_is_escaped_on_every_page_that_shows_it(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    ctx, action_id, tokens = seeded
    sign_in(client, tokens["council_member"])
    action_page = client.get(f"/actions/{action_id}")
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        assert action is not None and action.breakdown_id is not None
        bd_id = action.breakdown_id
    pages = [client.get(f"/breakdowns/{bd_id}"), action_page, client.get("/audit")]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "<script" not in page.text.lower()
    assert "&lt;script&gt;alert(" in pages[0].text  # the quote and the hypothesis
    assert "&lt;script&gt;alert(" in pages[1].text  # the evidence and the payload
    api = client.get(f"/api/breakdowns/{bd_id}")
    assert api.headers["content-type"].startswith("application/json")
    assert INJECTED in api.json()["quotes"][0]["text"]


def test_bearer_tokens_need_no_csrf_and_go_through_the_gate(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    _ctx, action_id, tokens = seeded
    auth = {"Authorization": f"Bearer {tokens['journey_owner']}"}
    minted = client.post(f"/api/actions/{action_id}/confirmation", headers=auth).json()
    body = {"decision": "approve", "reason": "evidence holds", "confirmation": "wrong"}
    assert (
        client.post(f"/api/actions/{action_id}/decision", json=body, headers=auth).status_code
        == 409
    )
    body["confirmation"] = minted["confirmation"]
    reply = client.post(f"/api/actions/{action_id}/decision", json=body, headers=auth)
    assert reply.status_code == 200 and reply.json()["status"] == "approved"
    assert (
        client.post(f"/api/actions/{action_id}/decision", json=body, headers=auth).status_code
        == 409
    )
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    assert client.post(f"/api/actions/{action_id}/confirmation", headers=viewer).status_code == 403


def test_chat_page_escapes_questions_and_answers(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    csrf = sign_in(client, seeded[2]["journey_owner"])
    asked = client.post("/chat", data={"csrf": csrf, "question": f"why {INJECTED}?"})
    assert asked.status_code == 200 and asked.url.path == "/chat"
    assert "<script" not in asked.text.lower() and "&lt;script&gt;" in asked.text
    assert 'class="msg msg-assistant"' in asked.text


def test_chat_answers_show_as_html_not_raw_markdown(
    client: TestClient, seeded: tuple[RunContext, str, dict[str, str]]
) -> None:
    csrf = sign_in(client, seeded[2]["journey_owner"])
    page = client.post("/chat", data={"csrf": csrf, "question": "help"}).text
    answer = page.split('class="msg msg-assistant"', 1)[1]
    assert "<li>" in answer and "<code>[llm] provider" in answer
    assert "`" not in answer and "**" not in answer
