"""A real, idempotent HTTP receiver on 127.0.0.1 for workflow tests, with scripted faults.

Usage::

    with Receiver(secret="s3cret", faults=[Fault.status(500), Fault.ok()]) as rx:
        deliver(..., targets={"eng": WorkflowTarget(kind="webhook", url=rx.url("/hooks/eng"),
                                                    secret_env="SECRET")})
        assert rx.effects == {"act-1": 1}

An effect is applied once per `Idempotency-Key`; duplicates are acknowledged (200) but not
re-applied. `faults` is a sequence consumed one per request (then `ok`) or a callable
`(index, request) -> Fault`. Fault kinds: `ok`, `status` (e.g. 500, 503, 429 + Retry-After),
`slow` (apply, wait, then answer), `drop` (close without answering or applying) and `lost`
(apply the effect, then close without answering: the classic at-least-once case).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal

from tools.workflows import verify_signature

FaultKind = Literal["ok", "status", "slow", "drop", "lost"]


@dataclass(frozen=True)
class Fault:
    """What the receiver does with one request."""

    kind: FaultKind = "ok"
    status: int = 200
    retry_after: str | None = None
    delay_s: float = 0.0

    @classmethod
    def ok(cls) -> Fault:
        return cls()

    @classmethod
    def http(cls, status: int, retry_after: str | float | None = None) -> Fault:
        return cls("status", status, None if retry_after is None else str(retry_after))

    @classmethod
    def slow(cls, delay_s: float) -> Fault:
        return cls("slow", delay_s=delay_s)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def lost(cls) -> Fault:
        return cls("lost")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; header names are lower-case."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    fault: Fault = field(default_factory=Fault)
    signature_ok: bool | None = None

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


Reply = Callable[[RecordedRequest], tuple[int, bytes]]
FaultScript = Sequence[Fault] | Callable[[int, RecordedRequest], Fault]


class Receiver:
    """Thread-safe recording receiver; use as a context manager."""

    def __init__(
        self,
        *,
        faults: FaultScript | None = None,
        secret: str | None = None,
        reply: Reply | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._faults = faults
        self._secret = secret
        self._reply = reply or (lambda _req: (200, b'{"ok":true}'))
        self._now = now
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.effects: dict[str, int] = {}
        self.received: dict[str, int] = {}
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str = "/") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{path.lstrip('/')}"

    def _admit(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[RecordedRequest, bool]:
        """Record the request, choose its fault and verify it; return (request, accepted)."""
        signature_ok: bool | None = None
        if self._secret is not None:
            signature_ok = verify_signature(
                self._secret,
                headers.get("x-journeyops-timestamp", ""),
                body,
                headers.get("x-journeyops-signature", ""),
                now=self._now(),
            )
        with self._lock:
            index = len(self.requests)
            probe = RecordedRequest(index, method, path, headers, body, Fault(), signature_ok)
            fault = self._choose(index, probe)
            request = RecordedRequest(index, method, path, headers, body, fault, signature_ok)
            self.requests.append(request)
            key = request.key
            if key is not None:
                self.received[key] = self.received.get(key, 0) + 1
        return request, signature_ok is not False

    def _choose(self, index: int, request: RecordedRequest) -> Fault:
        if self._faults is None:
            return Fault()
        if callable(self._faults):
            return self._faults(index, request)
        return self._faults[index] if index < len(self._faults) else Fault()

    def _apply(self, request: RecordedRequest) -> None:
        """Apply the effect once per idempotency key; a duplicate changes nothing."""
        key = request.key
        if key is None:
            return
        with self._lock:
            self.effects.setdefault(key, 1)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-exchange are expected under scripted faults.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; Nagle would stall each reply ~40 ms.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            request, accepted = receiver._admit("POST", self.path, headers, body)
            fault = request.fault
            if not accepted:
                self._send(401, b'{"error":"bad signature"}')
            elif fault.kind == "status":
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status, b'{"error":"scripted"}', extra)
            elif fault.kind == "drop":
                self._hang_up()
            else:
                receiver._apply(request)
                if fault.kind == "lost":
                    self._hang_up()
                    return
                if fault.kind == "slow":
                    time.sleep(fault.delay_s)
                status, reply = receiver._reply(request)
                self._send(status, reply)

        def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                # The client gave up (timeout) before the answer; that is the scripted case.
                self.close_connection = True

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
