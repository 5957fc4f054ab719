"""The dispatcher: orchestrates the only code path from an approved action to its target.

It owns no rule and no wire format, only the order of the steps. Each pass leases due
outbox rows one at a time through `store.gate.outbox.claim_due` (the approval, the payload
hash and the audit chain's vouching are re-checked in SQL in the leasing transaction),
sends exactly the approved payload through `tools.workflows.deliver` outside any
transaction while a heartbeat thread renews that row's short lease, and records every
attempt and the result through `store.gate.outbox.finish` (and so in the audit log). A
dispatcher killed mid-pass holds at most the one row it was sending, for at most one
lease; rows it never started stay due for the others. It is not reachable by the LLM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.crash import crash_point
from store.gate.outbox import AttemptRecord, Claim, claim_due, finish, renew
from tools.workflows import Attempt, DeliveryError, RetryPolicy, WorkflowTarget, deliver


def _before_send(_request: httpx.Request) -> None:
    crash_point("before_send")


def _after_send(_response: httpx.Response) -> None:
    crash_point("after_send")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~40 ms; one context serves every pass of the process.
    return httpx.create_ssl_context()


_CRASH_HOOKS: dict[str, list[Callable[..., None]]] = {
    "request": [_before_send],
    "response": [_after_send],
}

# Short, because it is renewed every third of it while a row is being sent: a dead
# dispatcher's row is due again this soon.
DEFAULT_LEASE = dt.timedelta(seconds=15)


@dataclass
class DispatchReport:
    """What one pass did: action ids delivered, dead-lettered, lost leases, and closed
    unsent (refused: approval or audit evidence missing; or re-claimed too often)."""

    delivered: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)
    lost_lease: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.delivered) + len(self.dead_lettered) + len(self.lost_lease)


@dataclass
class Dispatcher:
    """Dependencies of the dispatcher; the CLI builds the real one, tests their own."""

    sessions: sessionmaker[Session]
    targets: Mapping[str, WorkflowTarget]
    clock: Callable[[], dt.datetime]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    lease: dt.timedelta = DEFAULT_LEASE

    def run_once(self, *, limit: int = 20, action_id: str | None = None) -> DispatchReport:
        """Claim and deliver due outbox rows one by one (up to `limit`, of one action if given)."""
        report = DispatchReport()
        http: httpx.Client | None = None
        try:
            for _ in range(limit):
                closed: list[str] = []
                with self.sessions.begin() as session:
                    claims = claim_due(
                        session,
                        now=self.clock(),
                        lease=self.lease,
                        limit=1,
                        action_id=action_id,
                        closed=closed,
                    )
                    crash_point("claim_before_commit")
                crash_point("after_claim")
                report.closed += closed
                if not claims and not closed:
                    break
                for claim in claims:
                    http = http or self.client or self._new_client()
                    with self._renewing(claim):
                        self._deliver(claim, report, http)
        finally:
            if http is not None and self.client is None:
                http.close()
        return report

    def _new_client(self) -> httpx.Client:
        return httpx.Client(
            follow_redirects=False,
            trust_env=False,
            verify=_ssl_context(),
            event_hooks=_CRASH_HOOKS,
        )

    @contextlib.contextmanager
    def _renewing(self, claim: Claim) -> Iterator[None]:
        """Renew the claim's lease every third of it until the block ends."""
        done = threading.Event()

        def heartbeat() -> None:
            every = self.lease.total_seconds() / 3
            while not done.wait(every):
                try:
                    with self.sessions.begin() as session:
                        if not renew(session, claim=claim, now=self.clock(), lease=self.lease):
                            return
                except SQLAlchemyError:
                    continue  # the next beat retries; the lease still has two thirds left

        thread = threading.Thread(target=heartbeat, name="lease-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def run_loop(
        self,
        *,
        interval_s: float,
        stop: Callable[[], bool],
        wait: Callable[[float], None] = time.sleep,
        on_pass: Callable[[DispatchReport], None] = lambda _r: None,
    ) -> DispatchReport:
        """Run passes until `stop()` is true, waiting `interval_s` when nothing was due."""
        total = DispatchReport()
        while not stop():
            report = self.run_once()
            on_pass(report)
            total.delivered += report.delivered
            total.dead_lettered += report.dead_lettered
            total.lost_lease += report.lost_lease
            total.closed += report.closed
            if report.handled == 0 and not report.closed:
                wait(interval_s)
        return total

    def _deliver(self, claim: Claim, report: DispatchReport, http: httpx.Client) -> None:
        attempts: list[AttemptRecord] = []

        def on_attempt(a: Attempt) -> None:
            crash_point("after_response")
            attempts.append(AttemptRecord.model_validate(a.model_dump()))

        def backoff(seconds: float) -> None:
            crash_point("retry_backoff")
            self.sleep(seconds)

        try:
            result = deliver(
                target_name=claim.target,
                targets=self.targets,
                action_id=claim.action_id,
                payload=claim.payload,
                environ=self.environ,
                policy=self.policy,
                client=http,
                sleep=backoff,
                on_attempt=on_attempt,
            )
            delivered, code, external, error = True, result.status_code, result.external_id, ""
        except DeliveryError as exc:
            delivered, code, external = False, exc.delivery.status_code, None
            error = str(exc)
        crash_point("before_finish")
        with self.sessions.begin() as session:
            owned = finish(
                session,
                claim=claim,
                attempts=attempts,
                delivered=delivered,
                status_code=code,
                external_id=external,
                error=error,
                now=self.clock(),
            )
            crash_point("finish_before_commit")
        crash_point("after_finish")
        if not owned:
            report.lost_lease.append(claim.action_id)
        elif delivered:
            report.delivered.append(claim.action_id)
        else:
            report.dead_lettered.append(claim.action_id)
