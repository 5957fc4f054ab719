"""Recorded breakdowns: the newest scan's, most money at stake first, and one by id."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.breakdowns import get_breakdown, latest_breakdowns, save_breakdown
from store.findings import Breakdown, Impact, Window
from tests.support.store_fixtures import BACKENDS, store_sessions
from tests.support.web import seeded_breakdown

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def test_only_the_newest_scans_breakdowns_are_open(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        assert latest_breakdowns(s) == []
    scans = [("bd-old", 30, 900.0), ("bd-small", 31, 10.0), ("bd-big", 31, 500.0)]
    with sessions.begin() as s:
        for bd_id, day, money in scans:
            found = seeded_breakdown().model_copy(
                update={"id": bd_id, "impact": Impact(currency="USD", per_week=money)}
            )
            save_breakdown(s, breakdown=found, as_of=dt.date(2026, 3, day), now=NOW)
    with sessions() as s:
        assert [b.id for b in latest_breakdowns(s)] == ["bd-big", "bd-small"]
        found_row = get_breakdown(s, breakdown_id="bd-old")
        assert found_row is not None and found_row.impact_per_week == 900.0
        assert get_breakdown(s, breakdown_id="bd-404") is None


def test_breakdown_is_stored_once_with_its_full_payload(sessions: sessionmaker[Session]) -> None:
    bd = Breakdown(
        id="bd-1",
        journey="checkout",
        stage="payment",
        metric="conversion",
        window=Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31)),
        baseline=0.82,
        current=0.71,
        p_value=1e-9,
        severity="high",
        impact=Impact(currency="USD", per_week=48200.0),
    )
    with sessions.begin() as s:
        assert save_breakdown(s, breakdown=bd, as_of=dt.date(2026, 3, 31), now=NOW)
        assert not save_breakdown(s, breakdown=bd, as_of=dt.date(2026, 3, 31), now=NOW)
    with sessions() as s:
        row = get_breakdown(s, breakdown_id="bd-1")
        assert row is not None
        assert Breakdown.model_validate(row.payload) == bd
        assert (row.impact_per_week, row.window_end) == (48200.0, dt.date(2026, 3, 31))
