"""One user's stalled model call never delays another user's pages (a real uvicorn server)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn

from agent.config import Settings
from agent.llm.openai_compat import OpenAICompatibleLLM
from agent.web import create_app
from tests.support.openai_server import chat_completion
from tests.support.web import seeded_context, tokens_for


class StallingModel:
    """An OpenAI-compatible server whose every answer waits until `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.called = threading.Event()
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                model.called.set()
                model.release.wait(timeout=300)
                body = json.dumps(chat_completion("Nothing stands out.")["body"]).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> StallingModel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def model() -> Iterator[StallingModel]:
    with StallingModel() as m:
        yield m


@pytest.fixture
def app_url(
    settings: Settings, tmp_path: Path, model: StallingModel
) -> Iterator[tuple[str, dict[str, str]]]:
    ctx, _action = seeded_context(settings, tmp_path / "home")
    ctx.llm = OpenAICompatibleLLM(
        base_url=model.base_url, model="test-model", api_key="k", timeout_s=300, max_retries=0
    )
    tokens = tokens_for(ctx)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: ctx), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", tokens
    model.release.set()
    server.should_exit = True
    thread.join(timeout=30)


def test_a_stalled_model_for_one_user_leaves_other_users_pages_served(
    app_url: tuple[str, dict[str, str]], model: StallingModel
) -> None:
    base, tokens = app_url
    owner = {"authorization": f"Bearer {tokens['journey_owner']}"}
    viewer = {"authorization": f"Bearer {tokens['viewer']}"}
    member = {"authorization": f"Bearer {tokens['council_member']}"}
    answers: list[httpx.Response] = []

    def ask() -> None:
        answers.append(
            httpx.post(f"{base}/api/chat", json={"question": "why?"}, headers=owner, timeout=300)
        )

    asking = threading.Thread(target=ask)
    asking.start()
    assert model.called.wait(timeout=120), "the chat never reached the model"

    # While the owner's turn waits on the model, other users are served in full.
    pages = [
        httpx.get(f"{base}/", headers=viewer, timeout=120),
        httpx.get(f"{base}/api/journeys", headers=viewer, timeout=120),
        httpx.get(f"{base}/api/actions", headers=member, timeout=120),
        httpx.get(f"{base}/chat", headers=member, timeout=120),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert asking.is_alive() and answers == []

    model.release.set()
    asking.join(timeout=300)
    assert answers and answers[0].status_code == 200
