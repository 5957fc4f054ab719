"""journeyops runs as a service: the app, the scheduler, dispatchers and every CLI command
share one workspace at once, on the embedded warehouse, with the SQL store on SQLite and on
PostgreSQL. Every process here is a real `journeyops` process.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from agent.config import DEFAULT_CONFIG
from evals.demo import generate
from tests.support.receiver import Receiver
from tests.support.store_fixtures import BACKENDS, PG_SKIP

_SECRETS = {"JOURNEYOPS_WEB_SECRET": "s" * 48, "JOURNEYOPS_WEBHOOK_SECRET": "w" * 32}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A workspace, its config and the processes started on it."""

    home: Path
    config: Path
    logs: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]]

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "agent.cli.app",
            "--home",
            str(self.home),
            "--config",
            str(self.config),
            *args,
        ]

    def run(self, *args: str, timeout: float = 240, token: str = "") -> str:
        """Run one command to its end (as the owner of `token`); fail on an error or traceback."""
        env = _env() | ({"JOURNEYOPS_TOKEN": token} if token else {})
        done = subprocess.run(
            self.argv(*args), capture_output=True, text=True, timeout=timeout, env=env
        )
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{args}: {done.stderr}"
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start a long-running command; its output goes to logs/<name>.log."""
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(self.argv(*args), stdout=log, stderr=subprocess.STDOUT, env=_env())
        log.close()
        self.procs.append((name, proc))
        return proc

    def still_running_cleanly(self) -> None:
        """Every started process is alive and has logged no traceback."""
        for name, proc in self.procs:
            log = (self.logs / f"{name}.log").read_text(errors="replace")
            assert proc.poll() is None, f"{name} exited {proc.returncode}:\n{log}"
            assert "Traceback" not in log, f"{name}:\n{log}"


def _env() -> dict[str, str]:
    return {**os.environ, **_SECRETS}


def wait_until_up(base: str, proc: subprocess.Popen[bytes], deadline_s: float = 300) -> None:
    """Poll the sign-in page until it answers (bounded); fail if the server died."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not answer within {deadline_s} s")


def _config(tmp: Path, receiver: Receiver, store_url: str) -> Path:
    raw = DEFAULT_CONFIG.read_text(encoding="utf-8")
    raw = raw.replace('embedder = "minilm"', 'embedder = "hashing"')
    raw = re.sub(r"http://127\.0\.0\.1:8765/hooks/", receiver.url("/hooks/"), raw)
    raw = raw.replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f'[store]\nurl = "{store_url}"',
    )
    assert store_url == "" or store_url in raw
    path = tmp / "config.toml"
    path.write_text(raw, encoding="utf-8")
    return path


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    pg = os.environ.get("JOURNEYOPS_TEST_PG_URL", "")
    if not pg:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg else "?"
    try:
        yield f"{pg}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def service(tmp_path: Path, store_url: str) -> Iterator[Service]:
    with Receiver() as receiver:
        logs = tmp_path / "logs"
        logs.mkdir()
        svc = Service(tmp_path / "home", _config(tmp_path, receiver, store_url), logs, [])
        try:
            yield svc
        finally:
            for _name, proc in svc.procs:
                proc.terminate()
            for _name, proc in svc.procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _late_events(tmp: Path, last_day: pd.Timestamp) -> Path:
    """Events of a journey nobody declared yet, over the last three days of the data."""
    lines = ["ts,journey,stage,customer_id,completed"]
    for d in range(3):
        day = (last_day - pd.Timedelta(days=d)).strftime("%Y-%m-%d")
        lines += [f"{day}T10:{i:02d}:00Z,loyalty,join,c{d}-{i},{i % 2}" for i in range(20)]
    path = tmp / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _decidable(scan: dict[str, Any], journeys_file: Path) -> tuple[str, str]:
    """Return a filed action and a council member of its journey."""
    members = {
        j["id"]: [m["user"] for m in j["council"]["members"] if m["role"] == "council_member"]
        for j in tomllib.loads(journeys_file.read_text(encoding="utf-8"))["journeys"]
        if "council" in j
    }
    for bd in scan["breakdowns"]:
        for rec in bd["recommendations"]:
            if rec.get("action_id") and members.get(bd["journey"]):
                return str(rec["action_id"]), members[bd["journey"]][0]
    raise AssertionError("the scan filed no action on a journey with its own council")


def test_every_command_runs_while_the_app_scheduler_and_dispatchers_run(
    service: Service, tmp_path: Path
) -> None:
    manifest = generate(tmp_path / "data", seed=11, scale=0.05)
    service.run("journeys", "load", str(manifest.journeys_file))
    service.run("ingest", "events", str(manifest.events_file))
    service.run("ingest", "insights", str(manifest.insights_file))
    service.run("users", "add", "li", "--role", "council_member")
    service.run("users", "add", "vera", "--role", "viewer")
    token = service.run("tokens", "create", "li").strip().splitlines()[-1]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = service.start("serve", "serve", "--port", str(port), "--workers", "2")
    service.start("schedule", "schedule")
    service.start("dispatch-1", "dispatch", "--loop", "--interval", "0.5")
    service.start("dispatch-2", "dispatch", "--loop", "--interval", "0.5")
    wait_until_up(base, server)
    auth = {"authorization": f"Bearer {token}"}
    before = httpx.get(f"{base}/api/journeys", headers=auth, timeout=60)
    assert before.status_code == 200 and "loyalty" not in {j["id"] for j in before.json()}

    last_day = pd.read_parquet(manifest.events_file, columns=["ts"])["ts"].max()
    service.run("ingest", "events", str(_late_events(tmp_path, pd.Timestamp(last_day))))
    # Data ingested while the app runs shows on its next page.
    after = {j["id"]: j for j in httpx.get(f"{base}/api/journeys", headers=auth, timeout=60).json()}
    assert after["loyalty"]["stages"][0]["latest"]["conversion"] == "50.0%"

    scan = json.loads(service.run("scan", "--json"))
    assert scan["breakdowns"]
    action_id, member = _decidable(scan, manifest.journeys_file)
    assert action_id in service.run("actions", "list", "--status", "proposed")
    if member != "li":
        service.run("users", "add", member, "--role", "council_member")
    mine = service.run("tokens", "create", member).strip().splitlines()[-1]
    service.run("actions", "approve", action_id, "--reason", "evidence is clear", token=mine)
    service.run("dispatch")
    service.run("audit", "verify")
    service.run("users", "list")
    service.run("tokens", "revoke", "li")
    service.run("users", "disable", "vera")
    # A revoked token stops working in the running app at once.
    assert httpx.get(f"{base}/api/journeys", headers=auth, timeout=60).status_code == 401

    second_port = free_port()
    second = service.start("serve-2", "serve", "--port", str(second_port))
    wait_until_up(f"http://127.0.0.1:{second_port}", second)
    service.still_running_cleanly()
