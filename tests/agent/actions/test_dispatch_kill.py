"""kill -9 of a `journeyops dispatch --loop` mid-batch: another dispatcher finishes the job.

Ten approved actions, a slow receiver on 127.0.0.1, and a real dispatcher process killed
with SIGKILL once three requests have arrived. A second dispatcher process must deliver
every action within a bounded wait: the rows the dead one never started are not leased
at all, and the one it was sending is due again when its short lease runs out. At most one
request is repeated, with the same Idempotency-Key, so every effect happens once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.config import DEFAULT_CONFIG
from store.db import migrate, session_factory
from store.gate.outbox import latest_outbox
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.receiver import Fault, Receiver, RecordedRequest
from tests.support.store_fixtures import AUDIT_KEY, BACKENDS, KEYING, fresh_engine, propose_fix

SECRET = "s3cret"
ACTIONS = [f"act-{n:02d}" for n in range(10)]
DEADLINE_S = 60.0


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from fresh_engine(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _approved(engine: Engine) -> sessionmaker[Session]:
    migrate(engine)
    sessions = session_factory(engine, audit=KEYING)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as s:
        council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
        save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        for action_id in ACTIONS:
            propose_fix(s, action_id, now=now, payload={"action_id": action_id})
    for action_id in ACTIONS:
        with sessions.begin() as s:
            decide(s, action_id=action_id, user="li", decision="approve", reason="go", now=now)
    return sessions


def _config(tmp_path: Path, engine: Engine, rx: Receiver) -> Path:
    url = engine.url.render_as_string(hide_password=False)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/hooks/engineering", rx.url("/hooks/eng"))
    text = text.replace(
        '[store]\n# Empty = the embedded SQLite file in the workspace (WAL mode).\nurl = ""',
        f"[store]\nurl = {json.dumps(url)}",
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _dispatcher(tmp_path: Path, config: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JOURNEYOPS_WEBHOOK_SECRET": SECRET,
        "JOURNEYOPS_AUDIT_KEY": AUDIT_KEY,
    }
    args = ["--home", str(tmp_path / "home"), "--config", str(config), "dispatch", "--loop"]
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli.app", *args, "--interval", "0.2", "--lease-seconds", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_S:.0f} s: {what}")
        time.sleep(0.05)


def _delivered(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        rows = [latest_outbox(s, action_id=a) for a in ACTIONS]
    return sum(1 for r in rows if r is not None and r.status == "delivered")


def test_rows_a_killed_dispatcher_never_started_are_sent_by_another_at_once(
    tmp_path: Path, engine: Engine
) -> None:
    sessions = _approved(engine)

    def slow(_index: int, _request: RecordedRequest) -> Fault:
        return Fault.slow(0.5)

    with Receiver(secret=SECRET, faults=slow) as rx:
        config = _config(tmp_path, engine, rx)
        first = _dispatcher(tmp_path, config, "first")
        try:
            _wait_for(lambda: len(rx.requests) >= 3, "three requests from the first dispatcher")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        second = _dispatcher(tmp_path, config, "second")
        try:
            _wait_for(lambda: _delivered(sessions) == len(ACTIONS), "every action delivered")
        finally:
            second.terminate()
            second.wait(timeout=10)
        requests = list(rx.requests)
        effects = dict(rx.effects)
    assert effects == dict.fromkeys(ACTIONS, 1)
    per_key = Counter(r.key for r in requests)
    assert set(per_key) == set(ACTIONS)
    repeated = [key for key, n in per_key.items() if n > 1]
    assert len(repeated) <= 1 and max(per_key.values()) <= 2
    assert len(requests) <= len(ACTIONS) + 1
