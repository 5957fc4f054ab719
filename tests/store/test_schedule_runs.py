"""Cron slots on both databases: of eight schedulers racing for one firing, exactly one wins."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.schedule_runs import claim_slot, finish_slot, recent_runs
from tests.support.store_fixtures import BACKENDS, store_sessions

FIRE = dt.datetime(2026, 4, 1, 6, 0, tzinfo=dt.UTC)
RACERS, ROUNDS = 8, 25


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _race(sessions: sessionmaker[Session], job: str, fire_at: dt.datetime) -> list[str]:
    """Start RACERS claims of one firing at once; return the holders that got it.

    Every racer must come back with an answer: a claim that failed with an error (say a
    duplicate key) instead of a clean "taken" is not an answer and fails the race.
    """
    start, lock = threading.Barrier(RACERS), threading.Lock()
    answers: dict[str, bool] = {}

    def claim(holder: str) -> None:
        start.wait()
        with sessions.begin() as session:
            got = claim_slot(session, job=job, fire_at=fire_at, holder=holder, now=fire_at)
        with lock:
            answers[holder] = got

    threads = [threading.Thread(target=claim, args=(f"s{n}",)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == RACERS, f"only {len(answers)} of {RACERS} claims answered"
    return [holder for holder, got in answers.items() if got]


def test_one_claim_per_firing_and_jobs_do_not_block_each_other(
    sessions: sessionmaker[Session],
) -> None:
    for n in range(ROUNDS):
        fire_at = FIRE + dt.timedelta(days=n)
        assert len(_race(sessions, "scan", fire_at)) == 1, n
        # The same minute of another job is its own slot.
        assert len(_race(sessions, "outcomes", fire_at)) == 1, n
    with sessions.begin() as session:
        finish_slot(session, job="scan", fire_at=FIRE, summary={"proposed": 3}, now=FIRE)
    with sessions() as session:
        runs = recent_runs(session, limit=1000)
        assert len(runs) == 2 * ROUNDS
        first = next(r for r in runs if r.job == "scan" and r.started_at == FIRE)
        assert first.summary == {"proposed": 3} and first.finished_at is not None
