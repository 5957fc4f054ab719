"""`journeyops schedule`: scans, outcome checks, expiries and escalations on cron expressions.

Each cron firing is a slot (job, fire time) claimed in SQL before any work, so two
schedulers on one store run each firing once: one scans, files the proposals and sends
the digest; the other sees the claimed slot and skips it. Proposals are idempotent by id
besides, so even a manual `journeyops scan` between firings never duplicates one.
A firing missed while no scheduler ran is not caught up, as with cron.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from croniter import croniter

from agent.actions.graph import sync_threads
from agent.actions.outcome_check import check_outcomes
from agent.context import RunContext
from agent.investigate.scan import run_scan
from agent.notify.mail import MailError, email_digest, email_weekly
from agent.notify.slack_channel import post_new_proposals
from agent.watch.loop import Watcher
from store.errors import InputError
from store.gate.actions import escalate_overdue
from store.gate.rules import expire_overdue
from store.schedule_runs import claim_slot, finish_slot, slot_key
from tools.workflows import DeliveryError, deliver

Job = Literal["scan", "outcomes", "weekly", "watch"]
_MAX_SLEEP_S = 60.0


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


@dataclass
class Scheduler:
    """Runs the [schedule] jobs for one run context; tests inject the clock and sleep."""

    ctx: RunContext
    holder: str = field(default_factory=_holder)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    sleep: Callable[[float], None] = time.sleep

    def crons(self) -> dict[Job, str]:
        s = self.ctx.settings.schedule
        crons: dict[Job, str] = {"scan": s.scan_cron, "outcomes": s.outcome_cron}
        if s.weekly_cron:
            crons["weekly"] = s.weekly_cron
        if s.watch_cron:
            crons["watch"] = s.watch_cron
        return crons

    def run_due(self, *, now: dt.datetime, force: bool = False) -> list[str]:
        """Run each job's most recent firing at or before `now` (every job when `force`)."""
        lines = []
        for job, cron in self.crons().items():
            minute = now.replace(second=0, microsecond=0)
            fire: dt.datetime = croniter(cron, minute - dt.timedelta(seconds=1)).get_next(
                dt.datetime
            )
            if fire != minute and not force:
                continue
            lines.append(self.run_job(job, fire_at=minute))
        return lines

    def run_forever(
        self, *, on_line: Callable[[str], None], stop: Callable[[], bool] = lambda: False
    ) -> None:
        """Sleep until each next firing and run it, until `stop()` is true."""
        crons = self.crons()
        start = self.ctx.clock()
        upcoming = {job: croniter(c, start).get_next(dt.datetime) for job, c in crons.items()}
        while not stop():
            job = min(upcoming, key=lambda j: upcoming[j])
            wait = (upcoming[job] - self.ctx.clock()).total_seconds()
            if wait > 0:
                self.sleep(min(wait, _MAX_SLEEP_S))
                continue
            on_line(self.run_job(job, fire_at=upcoming[job]))
            upcoming[job] = croniter(crons[job], upcoming[job]).get_next(dt.datetime)

    def run_job(self, job: Job, *, fire_at: dt.datetime) -> str:
        """Claim one firing and run it; return a one-line account of what happened."""
        slot = slot_key(fire_at)
        with self.ctx.sessions.begin() as session:
            claimed = claim_slot(
                session, job=job, fire_at=fire_at, holder=self.holder, now=self.ctx.clock()
            )
        if not claimed:
            return f"{job} {slot}: already run by another scheduler; skipped"
        if job == "weekly":
            summary = self._weekly()
        elif job == "watch":
            summary = self._watch()
        else:
            summary = self._scan(slot) if job == "scan" else self._outcomes()
        with self.ctx.sessions.begin() as session:
            finish_slot(session, job=job, fire_at=fire_at, summary=summary, now=self.ctx.clock())
        return f"{job} {slot}: " + ", ".join(f"{k}={v}" for k, v in summary.items())

    def _scan(self, slot: str) -> dict[str, object]:
        try:
            outcome = run_scan(self.ctx, propose=True)
        except InputError as exc:
            # A scheduled scan that tested nothing must reach people, not read as quiet.
            failed: dict[str, object] = {"kind": "digest", "title": "journeyops scan failed"}
            failed["summary"] = str(exc)
            return {"error": exc.reason, "digest": self._send_digest(f"digest-{slot}", failed)}
        result = outcome.result
        new = set(outcome.proposed)
        # Breakdowns of one incident share its proposal: list each new action once, as filed.
        found = [(i.journey, r) for i in result.incidents for r in i.recommendations]
        found += [(bd.journey, r) for bd in result.breakdowns for r in bd.recommendations]
        listed: dict[str, dict[str, object]] = {}
        for journey, r in found:
            if r.action_id in new and r.action_id not in listed:
                listed[r.action_id] = {
                    "action_id": r.action_id,
                    "journey": journey,
                    "title": r.title,
                    "expected_value_per_week": r.expected_value_per_week,
                }
        recs = list(listed.values())
        title = (
            f"journeyops scan to {result.as_of}: {len(result.breakdowns)} breakdown(s), "
            f"{len(new)} new proposal(s) awaiting the council"
        )
        lines = [f"- {r['journey']}: {r['title']} ({r['action_id']})" for r in recs]
        digest: dict[str, object] = {
            "kind": "digest",
            "title": title,
            "summary": "\n".join(lines) or "Nothing new to decide.",
            "as_of": result.as_of.isoformat(),
            "breakdowns": [
                {"id": b.id, "journey": b.journey, "stage": b.stage, "metric": b.metric}
                for b in result.breakdowns
            ],
            "new_proposals": recs,
        }
        sent = self._send_digest(f"digest-{slot}", digest)
        env = self.environ
        return {
            "breakdowns": len(result.breakdowns),
            "proposed": len(outcome.proposed),
            "already_filed": len(outcome.existing),
            "digest": sent,
            "slack": post_new_proposals(
                self.ctx, action_ids=outcome.proposed, digest=digest, environ=env
            ),
            "email": email_digest(self.ctx, digest=digest, environ=env),
        }

    def _send_digest(self, key: str, payload: dict[str, object]) -> str:
        """Send the digest to every configured target; return a short per-target account."""
        results = []
        for name in self.ctx.settings.schedule.digest_targets:
            try:
                deliver(
                    target_name=name,
                    targets=self.ctx.settings.workflows,
                    action_id=key,
                    payload=payload,
                    environ=self.environ,
                    sleep=self.sleep,
                )
                results.append(f"{name}:sent")
            except DeliveryError as exc:
                self.ctx.status(f"digest to {name} failed: {exc}")
                results.append(f"{name}:failed")
        return " ".join(results) or "none"

    def _weekly(self) -> dict[str, object]:
        """Email each journey's weekly review for the week ending today."""
        try:
            lines = email_weekly(self.ctx, as_of=self.ctx.clock().date(), environ=self.environ)
        except MailError as exc:
            self.ctx.status(str(exc))
            return {"email": "failed"}
        return {"email": len(lines)}

    def _watch(self) -> dict[str, object]:
        live = self.ctx.settings.live
        watcher = Watcher(
            self.ctx,
            drop_dir=Path(live.drop_dir) if live.drop_dir else None,
            environ=self.environ,
        )
        result = watcher.cycle()
        c = result.cycle
        return {
            "files": len(result.drops),
            "series": c.series,
            "alarmed": c.alarmed,
            "opened": len(c.opened),
            "confirmed": len(c.confirmed),
            "resolved": len(c.resolved),
        }

    def _outcomes(self) -> dict[str, object]:

        results = check_outcomes(self.ctx)
        recovered = sum(r.verdict == "recovered" for r in results)
        after = dt.timedelta(days=self.ctx.settings.approval.escalate_after_days)
        with self.ctx.sessions.begin() as session:
            expired = expire_overdue(session, now=self.ctx.clock())
            escalated = escalate_overdue(session, now=self.ctx.clock(), after=after)
        synced = sync_threads(self.ctx)
        return {
            "checked": len(results),
            "recovered": recovered,
            "expired": len(expired),
            "escalated": len(escalated),
            "threads_synced": len(synced),
        }
