"""A local stand-in for Slack's Web API on 127.0.0.1 that records every call it gets.

Point `slack_sdk.WebClient(base_url=fake.url)` (or `[slack] api_url`) at it; each call is
kept as (method, JSON body, headers) and answered like Slack does (`ok`, `channel`, `ts`).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class SlackCall:
    method: str
    body: dict[str, Any]
    authorization: str


class FakeSlack:
    """Records Web API calls; use as a context manager."""

    def __init__(self) -> None:
        self.calls: list[SlackCall] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/json"):
                    body = json.loads(raw or b"{}")
                else:
                    body = dict(urllib.parse.parse_qsl(raw.decode()))
                method = self.path.rsplit("/", 1)[-1]
                with fake._lock:
                    fake.calls.append(
                        SlackCall(method, body, self.headers.get("Authorization", ""))
                    )
                    n = len(fake.calls)
                reply = {"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{n:06d}"}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def of(self, method: str) -> list[SlackCall]:
        """Return the recorded calls of one Web API method, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
