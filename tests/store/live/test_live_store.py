"""The live watch's tables on SQLite and PostgreSQL: incidents update in place, baselines
are replaced whole."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.live.baselines import BASELINE_FIELDS, baseline_day, read_baselines, replace_baselines
from store.live.incidents import (
    developing_id,
    last_closed,
    list_developing,
    open_developing,
    save_developing,
)
from tests.support.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _fields(status: str) -> dict[str, object]:
    return {
        "journey": "shop",
        "stage": "pay",
        "metric": "conversion",
        "status": status,
        "verdict": "likely",
        "signal_dim": "",
        "signal_value": "",
        "segment": {},
        "onset_at": NOW - dt.timedelta(hours=1),
        "opened_at": NOW,
        "updated_at": NOW,
        "statistic": 10.0,
        "threshold": 9.0,
        "peak_statistic": 10.0,
        "baseline": 0.8,
        "current": 0.6,
        "visits": 100.0,
        "lost": 20.0,
        "cycles": 1,
        "healthy_cycles": 0,
        "evidence": {},
        "action_ids": [],
    }


def test_incident_is_updated_in_place_and_closed(sessions: sessionmaker[Session]) -> None:
    ident = developing_id("shop", "pay", "conversion", NOW - dt.timedelta(hours=1))
    with sessions.begin() as s:
        save_developing(s, incident_id=ident, fields=_fields("developing"))
    with sessions.begin() as s:
        save_developing(s, incident_id=ident, fields={"cycles": 2, "segment": {"channel": "app"}})
    with sessions() as s:
        assert list(open_developing(s)) == [("shop", "pay", "conversion")]
        [row] = list_developing(s, since=NOW)
        assert (row.cycles, row.segment) == (2, {"channel": "app"})
    closed = NOW + dt.timedelta(hours=2)
    with sessions.begin() as s:
        save_developing(s, incident_id=ident, fields={"status": "resolved", "resolved_at": closed})
    with sessions() as s:
        assert open_developing(s) == {}
        assert last_closed(s) == {("shop", "pay", "conversion"): closed}
        assert list_developing(s, since=closed + dt.timedelta(days=2)) == []


def test_baselines_are_replaced_whole(sessions: sessionmaker[Session]) -> None:
    row = dict.fromkeys(BASELINE_FIELDS, 1.0) | {
        "series": "shop|pay|conversion||",
        "journey": "shop",
        "stage": "pay",
        "metric": "conversion",
        "dim": "",
        "value": "",
        "how": 0,
        "weeks": 4,
    }
    frame = pd.DataFrame([row, row | {"how": 1}])
    with sessions.begin() as s:
        assert replace_baselines(s, computed_for=NOW.date(), frame=frame) == 2
    with sessions.begin() as s:
        replace_baselines(s, computed_for=NOW.date() + dt.timedelta(days=1), frame=frame[:1])
    with sessions() as s:
        assert baseline_day(s) == NOW.date() + dt.timedelta(days=1)
        assert len(read_baselines(s)) == 1
