"""The health page shows the live watch's incidents, escaped, on the real app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.config import Settings
from agent.context import RunContext
from store.journeys import save_journeys
from store.journeys.file import JourneySpec
from store.live.incidents import save_developing
from tests.support.run_context import run_context
from tests.support.web import app_for, sign_in, tokens_for

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)


def _incident(
    status: str, *, segment: dict[str, str], closed: dt.datetime | None
) -> dict[str, object]:
    return {
        "journey": "checkout",
        "stage": "payment",
        "metric": "conversion",
        "status": status,
        "verdict": "likely",
        "signal_dim": "channel",
        "signal_value": "app",
        "segment": segment,
        "onset_at": NOW - dt.timedelta(hours=2),
        "opened_at": NOW - dt.timedelta(hours=1),
        "updated_at": NOW,
        "alerted_at": NOW - dt.timedelta(hours=1),
        "resolved_at": closed,
        "statistic": 12.0,
        "threshold": 9.0,
        "peak_statistic": 12.0,
        "baseline": 0.8,
        "current": 0.56,
        "visits": 1234.0,
        "lost": 296.0,
        "cycles": 6,
        "healthy_cycles": 0,
        "evidence": {},
        "action_ids": [],
    }


@pytest.fixture
def ctx(settings: Settings, tmp_path: Path) -> Iterator[RunContext]:
    for run in run_context("sqlite", settings, tmp_path, None, now=NOW):
        with run.sessions.begin() as s:
            save_journeys(s, specs=[JourneySpec(id="checkout")])
            save_developing(
                s,
                incident_id="dev-open",
                fields=_incident("developing", segment={"channel": "<b>app</b>"}, closed=None),
            )
            save_developing(
                s,
                incident_id="dev-old",
                fields=_incident(
                    "resolved", segment={"channel": "web"}, closed=NOW - dt.timedelta(days=3)
                ),
            )
        yield run


def test_health_page_lists_developing_incidents_and_escapes_their_segment(
    ctx: RunContext,
) -> None:
    with TestClient(app_for(ctx)) as client:
        sign_in(client, tokens_for(ctx)["viewer"])
        page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Live watch" in html and 'id="live-dev-open"' in html
    assert "&lt;b&gt;app&lt;/b&gt;" in html and "<b>app</b>" not in html
    assert "1,234" in html and "owner alerted" in html
    assert "dev-old" not in html
