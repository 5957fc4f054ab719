"""kill -9 at every named point between approval and recorded delivery, then restart.

For each crash point (`agent.actions.crash.POINTS`, 11 of them) and three seeds, three actions are
proposed and their action-graph threads started. A child process then does what
`journeyops actions approve` and the graph do — commit the approval, resume the thread,
whose dispatch node delivers through the outbox to a real idempotent receiver on
127.0.0.1 — with `JOURNEYOPS_CRASH_AT` set, so
it SIGKILLs itself at the n-th time (n = the seed) it reaches that point. The test asserts
the child really died by SIGKILL, then restarts (the same driver, later clock, no crash)
and checks that nothing is lost or duplicated: every action is `dispatched` with exactly
one effect at the receiver, or `dead_lettered` (one action per seed-3 scenario is made
to fail every attempt); one outbox row and at most one `dispatch.delivered` event each;
the thread agrees with SQL; the audit chain verifies.

Children come from a `forkserver` with this module preloaded: they start in milliseconds
like a fork, but from a clean single-threaded process — forking the test process itself
(receiver threads, thread pools) could leave a child with a lock held mid-operation.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.crash import ENV, POINTS
from agent.actions.dispatch import Dispatcher
from agent.actions.graph import ActionContext, ActionGraph, build_action_graph, resume_action
from store.audit import verify_chain
from store.db import make_engine, session_factory
from store.gate.actions import get_action
from store.gate.outbox import outbox_for
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import AuditEvent
from tests.agent.actions.test_graph import open_saver
from tests.support.receiver import Fault, Receiver, RecordedRequest
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions
from tools.workflows import RetryPolicy, WorkflowTarget

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"
SEEDS = (1, 2, 3)
PER_SCENARIO = 3
POLICY = RetryPolicy(attempts=3, base_delay_s=0.0, max_delay_s=0.0, timeout_s=2.0)
FIRST_FAULTS = (Fault.http(500), Fault.lost(), Fault.drop(), Fault.http(429, 0))


@dataclass
class Rig:
    """One store + checkpointer + receiver per backend, shared by all scenarios."""

    sessions: sessionmaker[Session]
    folder: Path
    rx: Receiver


def _faults() -> Callable[[int, RecordedRequest], Fault]:
    """First request of each action fails (kind by id); `-doomed` actions always fail."""
    seen: Counter[str] = Counter()

    def choose(_index: int, request: RecordedRequest) -> Fault:
        key = request.key or ""
        seen[key] += 1
        if key.endswith("-doomed"):
            return Fault.http(503)
        if seen[key] == 1:
            return FIRST_FAULTS[sum(map(ord, key)) % len(FIRST_FAULTS)]
        return Fault.ok()

    return choose


@pytest.fixture(scope="module", params=BACKENDS)
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    folder = tmp_path_factory.mktemp(f"crash-{request.param}")
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for factory in store_sessions(request.param, folder, url):
        with factory.begin() as s:
            members = [MemberSpec(user="li", role="council_member")]
            council = CouncilSpec(quorum=1, members=members)
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        with Receiver(secret=SECRET, faults=_faults()) as rx:
            yield Rig(factory, folder, rx)


def _drive(
    sessions: sessionmaker[Session],
    graph: ActionGraph,
    hook_url: str,
    ids: list[str],
    at: dt.datetime,
) -> None:
    """Approve what is still proposed (commit), then resume each thread; idempotent."""
    from agent.actions.crash import crash_point

    target = WorkflowTarget(kind="webhook", url=hook_url, secret_env="S")
    dispatcher = Dispatcher(
        sessions=sessions,
        targets={"engineering": target},
        clock=lambda: at,
        policy=POLICY,
        environ={"S": SECRET},
        sleep=lambda _s: None,
    )
    ctx = ActionContext(sessions=sessions, clock=lambda: at, dispatcher=dispatcher)
    for action_id in ids:
        with sessions.begin() as s:
            action = get_action(s, action_id=action_id)
            assert action is not None
            if action.status == "proposed":
                decide(s, action_id=action_id, user="li", decision="approve", reason="go", now=at)
        crash_point("after_decision")
        resume_action(graph, ctx, action_id=action_id)


def _child(
    store_url: str, folder: str, hook_url: str, ids: list[str], at: str, crash_at: str
) -> None:
    """Run the driver in a fresh child process with its own connections; never return."""
    code = 0
    try:
        os.environ[ENV] = crash_at
        engine = make_engine(store_url)
        sessions = session_factory(engine)
        with open_saver(engine, Path(folder)) as saver:
            _drive(
                sessions, build_action_graph(saver), hook_url, ids, dt.datetime.fromisoformat(at)
            )
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        code = 1
    os._exit(code)


_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload([__name__])


def _scenario(rig: Rig, graph: ActionGraph, index: int, point: str, seed: int) -> None:
    at = NOW + dt.timedelta(days=index)
    ids = [f"c{index:03d}-{n}" for n in range(PER_SCENARIO)]
    if seed == 3:
        ids[-1] = f"c{index:03d}-doomed"
    with rig.sessions.begin() as s:
        for action_id in ids:
            propose_fix(
                s,
                action_id,
                now=at,
                payload={"id": action_id},
                expires_at=NOW + dt.timedelta(days=365),
            )
    quiet = ActionContext(sessions=rig.sessions, clock=lambda: at)
    for action_id in ids:
        assert resume_action(graph, quiet, action_id=action_id)["status"] == "proposed"
    hook_url = rig.rx.url("/hooks/eng")
    store_url = rig.sessions.kw["bind"].url.render_as_string(hide_password=False)
    args = (store_url, str(rig.folder), hook_url, ids, at.isoformat(), f"{point}@{seed}")
    child = _PROCESSES.Process(target=_child, args=args)
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL, (point, seed, child.exitcode)
    # Restart: past every lease the dead process held, nothing set to crash.
    _drive(rig.sessions, graph, hook_url, ids, at + dt.timedelta(hours=1))
    _check(rig, graph, ids)


def _check(rig: Rig, graph: ActionGraph, ids: list[str]) -> None:
    with rig.sessions() as s:
        delivered = Counter(
            s.execute(
                select(AuditEvent.subject).where(
                    AuditEvent.kind == "dispatch.delivered", AuditEvent.subject.in_(ids)
                )
            ).scalars()
        )
        for action_id in ids:
            action = get_action(s, action_id=action_id)
            assert action is not None
            rows = outbox_for(s, action_id=action_id)
            assert len(rows) == 1, (action_id, [r.status for r in rows])
            effects = rig.rx.effects.get(action_id, 0)
            if action_id.endswith("-doomed"):
                assert (action.status, rows[0].status, effects) == ("dead_lettered", "dead", 0)
            else:
                assert (action.status, rows[0].status) == ("dispatched", "delivered"), action_id
                assert effects == 1 and delivered[action_id] == 1
            thread = graph.get_state({"configurable": {"thread_id": action_id}}).values
            assert thread["status"] == action.status


def test_kill_9_at_every_point_then_restart_loses_and_duplicates_nothing(rig: Rig) -> None:
    assert len(POINTS) >= 7
    index = 0
    with open_saver(rig.sessions.kw["bind"], rig.folder) as saver:
        graph = build_action_graph(saver)
        for point in POINTS:
            for seed in SEEDS:
                _scenario(rig, graph, index, point, seed)
                index += 1
    with rig.sessions() as s:
        assert verify_chain(s).ok
    assert max(rig.rx.effects.values()) == 1
    assert len(rig.rx.effects) == len(POINTS) * (len(SEEDS) * PER_SCENARIO - 1)
