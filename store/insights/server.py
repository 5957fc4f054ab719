"""A local Chroma server (`chroma run`, from the chromadb package) for the insight store.

Used by the tests and by `journeyops eval insights --server`; in production point
`[insights] url` (or JOURNEYOPS_INSIGHTS_URL) at a Chroma server run however you run it.
It binds 127.0.0.1 only and keeps its data under the folder it is given.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


class ChromaServerError(RuntimeError):
    """The Chroma server did not start, or did not answer in time."""


@dataclass(frozen=True)
class ChromaServer:
    """A `chroma run` process started by `start`."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(path: Path, *, port: int | None = None, timeout_s: float = 60.0) -> ChromaServer:
    """Start `chroma run` on `path` and return once its heartbeat answers."""
    path.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    exe = Path(sys.executable).with_name("chroma")
    log = (path / "chroma-server.log").open("ab")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=os.environ | {"ANONYMIZED_TELEMETRY": "False"},
    )
    log.close()
    server = ChromaServer(proc, port)
    deadline = time.monotonic() + timeout_s
    # Poll the heartbeat: the server gives no other readiness signal.
    while not _alive(server.url):
        if proc.poll() is not None:
            raise ChromaServerError(f"chroma run exited; see {path / 'chroma-server.log'}")
        if time.monotonic() > deadline:
            stop(server)
            raise ChromaServerError(f"chroma run did not answer on port {port} in time")
        time.sleep(0.2)
    return server


def _alive(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v2/heartbeat", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def stop(server: ChromaServer, *, timeout_s: float = 30.0) -> None:
    """Stop the server's process group and wait for it to exit."""
    if server.process.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.process.wait()
