"""`journeyops schedule`: cron firings claimed in SQL, one set of proposals, one digest."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.actions.graph import build_action_graph, resume_threads, thread_config
from agent.checkpoints import open_checkpointer
from agent.config import EmailSettings, SchedulerSettings, Settings, SlackSettings
from agent.context import RunContext, build_context
from agent.schedule import Scheduler
from agent.workspace import Workspace
from store.gate.actions import get_action, list_actions
from store.models import ActionRow, AuditEvent, ScheduleRun
from tests.support.demo_workspace import copy_home
from tests.support.receiver import Receiver
from tests.support.slack_api import FakeSlack
from tests.support.smtp import SmtpServer
from tests.support.web import seeded_context
from tools.workflows import WorkflowTarget

SECRET = "digest-secret"
FIRE = dt.datetime(2026, 4, 1, 6, 0, tzinfo=dt.UTC)


def _with_receiver(settings: Settings, rx: Receiver) -> Settings:
    targets = {
        name: WorkflowTarget(kind="webhook", url=rx.url(f"/hooks/{name}"), secret_env="S")
        for name in settings.workflows
    }
    schedule = SchedulerSettings(digest_targets=["operations"])
    return settings.model_copy(update={"workflows": targets, "schedule": schedule})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret=SECRET) as rx:
        yield rx


def test_two_schedulers_on_one_store_file_one_set_of_proposals_and_one_digest(
    demo_base: Path, tmp_path: Path, settings: Settings, receiver: Receiver
) -> None:
    ours = _with_receiver(settings, receiver)
    workspace = Workspace.resolve(copy_home(demo_base, tmp_path))
    contexts = [build_context(ours, workspace) for _ in range(2)]
    schedulers = [
        Scheduler(ctx, holder=f"scheduler-{i}", environ={"S": SECRET})
        for i, ctx in enumerate(contexts)
    ]
    start = threading.Barrier(2)
    lines: list[str] = []

    def run(s: Scheduler) -> None:
        start.wait()
        lines.append(s.run_job("scan", fire_at=FIRE))

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sum("skipped" in line for line in lines) == 1, lines
    with contexts[0].sessions() as session:
        actions = session.execute(select(func.count()).select_from(ActionRow)).scalar_one()
        filed = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "action.proposed")
        ).scalar_one()
        runs = list(session.execute(select(ScheduleRun)).scalars())
    assert actions > 0 and filed == actions
    assert len(runs) == 1 and runs[0].summary["proposed"] == actions
    assert receiver.received == {f"digest-{FIRE.isoformat()}": 1}
    digest = json.loads(receiver.requests[0].body)["payload"]
    assert {p["action_id"] for p in digest["new_proposals"]} <= _ids(contexts[0])
    assert len(digest["new_proposals"]) == actions
    # A later firing of the same job scans again but files nothing twice.
    again = schedulers[1].run_job("scan", fire_at=FIRE + dt.timedelta(days=1))
    assert "proposed=0" in again and _count(contexts[1]) == actions
    for ctx in contexts:
        ctx.warehouse.close()


def _ids(ctx: RunContext) -> set[str]:
    with ctx.sessions() as session:
        return set(session.execute(select(ActionRow.id)).scalars())


def _count(ctx: RunContext) -> int:
    return len(_ids(ctx))


@pytest.fixture
def small(settings: Settings, tmp_path: Path, receiver: Receiver) -> Iterator[RunContext]:
    ctx, _ = seeded_context(_with_receiver(settings, receiver), tmp_path / "home")
    yield ctx
    ctx.warehouse.close()


def test_only_jobs_firing_in_the_current_minute_run(small: RunContext) -> None:
    scheduler = Scheduler(small, environ={"S": SECRET})
    assert scheduler.run_due(now=FIRE + dt.timedelta(minutes=1)) == []
    lines = scheduler.run_due(now=FIRE + dt.timedelta(seconds=20))
    assert len(lines) == 1 and lines[0].startswith("scan ")
    assert scheduler.run_due(now=FIRE + dt.timedelta(seconds=40)) == [
        f"scan {FIRE.isoformat()}: already run by another scheduler; skipped"
    ]


def test_run_forever_sleeps_until_each_firing(small: RunContext, receiver: Receiver) -> None:
    now = [FIRE - dt.timedelta(minutes=1)]
    small.clock = lambda: now[0]

    def sleep(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    lines: list[str] = []
    scheduler = Scheduler(small, environ={"S": SECRET}, sleep=sleep)
    scheduler.run_forever(on_line=lines.append, stop=lambda: len(lines) >= 2)
    assert [line.split(" ")[:2] for line in lines] == [
        ["scan", FIRE.isoformat() + ":"],
        ["outcomes", (FIRE + dt.timedelta(minutes=30)).isoformat() + ":"],
    ]
    assert len(receiver.requests) == 1


def test_a_failing_digest_target_does_not_stop_the_run(small: RunContext) -> None:
    scheduler = Scheduler(small, environ={}, sleep=lambda _s: None)
    line = scheduler.run_job("scan", fire_at=FIRE)
    assert "digest=operations:failed" in line


def test_outcome_job_expires_stale_proposals_and_brings_their_threads_along(
    small: RunContext,
) -> None:
    with small.sessions() as session:
        (action,) = list_actions(session, status="proposed")
        action_id, expires_at = action.id, action.expires_at
    resume_threads(small, [action_id])  # the thread exists and waits for the council
    small.clock = lambda: expires_at + dt.timedelta(hours=1)
    line = Scheduler(small, environ={}).run_job("outcomes", fire_at=FIRE)
    assert "expired=1" in line and "threads_synced=1" in line, line
    with small.sessions() as session:
        row = get_action(session, action_id=action_id)
        assert row is not None and row.status == "expired"
    with open_checkpointer(small.settings, small.workspace) as saver:
        state = build_action_graph(saver).get_state(thread_config(action_id))
        assert state.values["status"] == "expired" and not state.next
    # Nothing lags any more: a second pass syncs nothing.
    again = Scheduler(small, environ={}).run_job("outcomes", fire_at=FIRE + dt.timedelta(days=1))
    assert "expired=0" in again and "threads_synced=0" in again, again


def test_a_scheduled_scan_posts_new_proposals_to_slack_and_emails_the_digest(
    demo_base: Path, tmp_path: Path, settings: Settings, receiver: Receiver
) -> None:
    with FakeSlack() as slack, SmtpServer() as smtp:
        ours = _with_receiver(settings, receiver).model_copy(
            update={
                "slack": SlackSettings(channels={"default": "C-COUNCIL"}, api_url=slack.url),
                "email": EmailSettings(
                    host="127.0.0.1",
                    port=smtp.port,
                    sender="journeyops@example.com",
                    recipients={"default": ["council@example.com"]},
                    starttls=False,
                ),
            }
        )
        ctx = build_context(ours, Workspace.resolve(copy_home(demo_base, tmp_path)))
        environ = {"S": SECRET, "SLACK_BOT_TOKEN": "xoxb-test"}
        line = Scheduler(ctx, environ=environ).run_job("scan", fire_at=FIRE)
        ctx.warehouse.close()

    filed = _count(ctx)
    assert f"slack={filed} proposal(s), 1 digest(s)" in line
    assert "email=sent to 1" in line
    posts = slack.of("chat.postMessage")
    assert len(posts) == filed + 1 and {p.body["channel"] for p in posts} == {"C-COUNCIL"}
    (mail,) = smtp.received
    assert mail.recipients == ["council@example.com"]
    html = mail.message.get_body(("html",))
    assert html is not None
    assert all(aid in html.get_content() for aid in _ids(ctx))


def test_the_weekly_job_emails_each_journey_s_review_when_scheduled(small: RunContext) -> None:
    assert "weekly" not in Scheduler(small).crons()
    with SmtpServer() as smtp:
        small.settings = small.settings.model_copy(
            update={
                "schedule": SchedulerSettings(weekly_cron="0 7 * * 1"),
                "email": EmailSettings(
                    host="127.0.0.1",
                    port=smtp.port,
                    sender="journeyops@example.com",
                    recipients={"checkout": ["council@example.com"]},
                    starttls=False,
                ),
            }
        )
        monday = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
        lines = Scheduler(small).run_due(now=monday)

    assert lines == [f"weekly {monday.isoformat()}: email=1"]
    (mail,) = smtp.received
    assert mail.recipients == ["council@example.com"]
    assert mail.message["Subject"].startswith("Weekly review: ")


def test_watch_job_runs_one_watch_cycle_per_firing(small: RunContext) -> None:
    schedule = small.settings.schedule.model_copy(update={"watch_cron": "*/5 * * * *"})
    small.settings = small.settings.model_copy(update={"schedule": schedule})
    scheduler = Scheduler(small, environ={"S": SECRET})
    at = FIRE + dt.timedelta(minutes=5)
    lines = scheduler.run_due(now=at)
    assert len(lines) == 1 and lines[0].startswith(f"watch {at.isoformat()}: files=0, series=")
    assert scheduler.run_due(now=at) == [
        f"watch {at.isoformat()}: already run by another scheduler; skipped"
    ]
