"""A journey's activity between two days: UTC calendar days, both ends included."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.breakdowns import save_breakdown
from store.findings import Window
from store.gate.history import activity_between
from store.gate.outbox import claim_due
from store.gate.outcomes import record_outcome
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions
from tests.support.web import seeded_breakdown

START, END = dt.date(2026, 3, 25), dt.date(2026, 3, 31)
UTC, CEST = dt.UTC, dt.timezone(dt.timedelta(hours=2))
# (moment, inside the week?): the edges of the week, and one local time that is UTC the day before.
MOMENTS = [
    (dt.datetime(2026, 3, 24, 23, 59, 59, tzinfo=UTC), False),
    (dt.datetime(2026, 3, 25, 0, 0, tzinfo=UTC), True),
    (dt.datetime(2026, 3, 25, 1, 0, tzinfo=CEST), False),
    (dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), True),
    (dt.datetime(2026, 4, 1, 0, 0, tzinfo=UTC), False),
]


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
        with factory.begin() as s:
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        yield factory


def _record(s: Session, n: int, at: dt.datetime) -> None:
    """Record breakdown n, then decide, lease and check action n, all at `at`."""
    quiet = Window(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 7))
    breakdown = seeded_breakdown().model_copy(update={"id": f"bd-{n}", "window": quiet})
    save_breakdown(s, breakdown=breakdown, as_of=at.date(), now=at)
    propose_fix(s, f"act-{n}", now=at - dt.timedelta(days=1))
    decide(s, action_id=f"act-{n}", user="li", decision="approve", reason="go", now=at)
    claim_due(s, now=at, lease=dt.timedelta(minutes=5), action_id=f"act-{n}")
    record_outcome(
        s,
        action_id=f"act-{n}",
        verdict="recovered",
        metric="conversion",
        window_start=quiet.start,
        window_end=quiet.end,
        numbers={"recovered_share": 0.9},
        now=at,
    )


def test_activity_counts_what_happened_on_the_weeks_utc_days(
    sessions: sessionmaker[Session],
) -> None:
    for n, (at, _) in enumerate(MOMENTS):
        with sessions.begin() as s:
            _record(s, n, at)
    with sessions.begin() as s:
        # A breakdown recorded later whose window ended inside the week counts as well.
        late = seeded_breakdown().model_copy(
            update={"id": "bd-late", "window": Window(start=dt.date(2026, 3, 24), end=END)}
        )
        save_breakdown(s, breakdown=late, as_of=END, now=dt.datetime(2026, 4, 8, tzinfo=UTC))
    with sessions() as s:
        found = activity_between(s, start=START, end=END)
        empty = activity_between(s, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 7))
    inside = [n for n, (_, counted) in enumerate(MOMENTS) if counted]
    week = found["checkout"]
    assert [b.id for b in week.broke] == [f"bd-{n}" for n in inside] + ["bd-late"]
    assert [a.id for _, a in week.decided] == [f"act-{n}" for n in inside]
    assert [(a.id, o.status) for o, a in week.dispatched] == [
        (f"act-{n}", "sending") for n in inside
    ]
    assert [a.id for _, a in week.checked] == [f"act-{n}" for n in inside]
    assert list(found) == ["checkout"] and empty == {}
