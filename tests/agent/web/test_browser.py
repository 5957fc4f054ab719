"""End to end in headless Chromium: a council member approves a demo proposal in the app.

The browser is Debian's `chromium` driven by Playwright through `executable_path` (no
browser download). The test skips only when that browser is not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from agent.actions.dispatch import Dispatcher
from agent.config import Settings
from agent.context import RunContext, build_context
from agent.investigate.scan import run_scan
from agent.web import create_app
from agent.workspace import Workspace
from store.gate.actions import get_action, list_actions
from store.gate.quorum import governing_council
from store.signin.tokens import add_user, create_token
from tests.support.demo_workspace import copy_home
from tests.support.receiver import Receiver
from tools.workflows import RetryPolicy, WorkflowTarget

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "e2e-secret"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret=SECRET) as rx:
        yield rx


@pytest.fixture
def demo_ctx(
    demo_base: Path, tmp_path: Path, settings: Settings, receiver: Receiver
) -> Iterator[RunContext]:
    """A scanned copy of the demo workspace whose workflow targets are the receiver."""
    targets = {
        name: WorkflowTarget(kind="webhook", url=receiver.url(f"/hooks/{name}"), secret_env="S")
        for name in settings.workflows
    }
    ours = settings.model_copy(update={"workflows": targets})
    ctx = build_context(ours, Workspace.resolve(copy_home(demo_base, tmp_path)))
    assert run_scan(ctx).proposed, "the demo scan filed no proposals"
    yield ctx
    ctx.warehouse.close()


@pytest.fixture
def base_url(demo_ctx: RunContext) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: demo_ctx), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _decidable(ctx: RunContext) -> tuple[str, str]:
    """Return the most valuable proposal with quotes whose council needs one approval."""
    with ctx.sessions() as session:
        for action in list_actions(session, status="proposed"):
            council = governing_council(session, action=action)
            members = [m.user for m in council.members if m.can_decide and m.role != "viewer"]
            quorum = council.quorum_for(action.playbook)
            if quorum == 1 and members and action.payload.get("evidence_insight_ids"):
                return action.id, members[-1]
    raise AssertionError("no demo proposal decidable by one council member")


def _user(ctx: RunContext, name: str, role: str) -> str:
    with ctx.sessions.begin() as session:
        add_user(session, name=name, role=role, now=ctx.clock())
        return create_token(session, user=name, now=ctx.clock())


def _sign_in(page: Page, base_url: str, token: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_council_member_approves_in_the_browser_and_the_workflow_arrives(
    demo_ctx: RunContext, base_url: str, browser: Browser, receiver: Receiver
) -> None:
    action_id, member = _decidable(demo_ctx)
    member_token, viewer_token = (
        _user(demo_ctx, member, "council_member"),
        _user(demo_ctx, "vera", "viewer"),
    )

    viewer = browser.new_context().new_page()
    _sign_in(viewer, base_url, viewer_token)
    viewer.goto(f"{base_url}/actions/{action_id}")
    expect(viewer.locator("#no-decide")).to_be_visible()
    assert viewer.locator("#approve").count() == 0
    csrf = viewer.locator("input[name=csrf]").first.get_attribute("value") or ""
    forced = viewer.request.post(
        f"{base_url}/actions/{action_id}/decide",
        form={"csrf": csrf, "confirm": "x", "decision": "approve", "reason": "sneaky"},
    )
    assert forced.status == 403

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15000)
    _sign_in(page, base_url, member_token)
    page.goto(f"{base_url}/approvals")
    page.click(f"a[href='/actions/{action_id}']")
    expect(page.locator("#action-status")).to_have_text("proposed")
    expect(page.locator(".evidence blockquote.quote").first).to_be_visible()
    shown = json.loads(page.locator("#payload").inner_text())
    with demo_ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        assert action is not None
        assert shown == action.payload
    page.fill("#reason", "Segment and tickets agree; approve the fix.")
    page.click("#approve")
    expect(page.locator("#action-status")).to_have_text("approved")

    page.click("text=breakdown detail")
    expect(page.locator("svg.chart")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "breakdown-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    dispatcher = Dispatcher(
        sessions=demo_ctx.sessions,
        targets=demo_ctx.settings.workflows,
        clock=demo_ctx.clock,
        policy=RetryPolicy(attempts=2, base_delay_s=0, max_delay_s=0, timeout_s=5),
        environ={"S": SECRET},
    )
    assert dispatcher.run_once().delivered == [action_id]
    assert receiver.effects == {action_id: 1}
    body = json.loads(receiver.requests[0].body)
    assert body["payload"] == shown and receiver.requests[0].signature_ok
    page.goto(f"{base_url}/actions/{action_id}")
    expect(page.locator(".delivery").first).to_have_text("delivered")
