"""A local OpenAI-compatible HTTP server that replays scripted responses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Response = dict[str, object]
Scripted = Response | Callable[[dict[str, object]], Response]


def tool_call(id: str, name: str, arguments_json: str) -> dict[str, object]:
    """Build one wire-format tool call."""
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments_json}}


def chat_completion(
    content: str | None = None,
    tool_calls: list[dict[str, object]] | None = None,
    usage: dict[str, int] | None = None,
) -> Response:
    """Build a 200 response carrying a chat completion body."""
    message: dict[str, object] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
    return {"status": 200, "body": body}


class OpenAIServer:
    """Serve scripted responses in order on 127.0.0.1 and record every request."""

    def __init__(self, responses: list[Scripted]) -> None:
        self._responses = list(responses)
        self.requests: list[tuple[str, dict[str, str], dict[str, object]]] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()}, payload)
                    )
                    scripted = server._responses.pop(0) if server._responses else None
                if scripted is None:
                    resp: Response = {"status": 599, "body": {"error": {"message": "unscripted"}}}
                else:
                    resp = scripted(payload) if callable(scripted) else scripted
                delay = resp.get("delay_s", 0)
                if isinstance(delay, int | float) and delay:
                    time.sleep(delay)  # simulates a slow server; the client should time out
                body = json.dumps(resp.get("body", {})).encode()
                try:
                    self.send_response(int(str(resp.get("status", 200))))
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    headers = resp.get("headers", {})
                    if isinstance(headers, dict):
                        for key, value in headers.items():
                            self.send_header(str(key), str(value))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
