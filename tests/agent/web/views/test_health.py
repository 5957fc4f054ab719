"""The breakdown page of the demo's planted checkout/payment incident, in the real app.

The incident drops conversion for `app_version=5.2 & channel=app` in the last week; the
page's chart shows that segment's daily line below the rest of the stage's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from statistics import mean

import pytest
from fastapi.testclient import TestClient

from agent.config import Settings
from agent.context import RunContext, build_context
from agent.workspace import Workspace
from evals.demo import GroundTruth, Incident
from store.breakdowns import save_breakdown
from store.findings import Breakdown, Cause, Window, breakdown_id
from tests.support.demo_workspace import copy_home
from tests.support.web import app_for, seeded_breakdown, sign_in, tokens_for

HOSTILE = "<script>alert('chart')</script>"


@pytest.fixture
def demo(demo_base: Path, tmp_path: Path, settings: Settings) -> Iterator[RunContext]:
    ctx = build_context(settings, Workspace.resolve(copy_home(demo_base, tmp_path)))
    yield ctx
    ctx.warehouse.close()


def _incident(truth: GroundTruth) -> Incident:
    return next(i for i in truth.incidents if (i.journey, i.stage) == ("checkout", "payment"))


def _breakdown(incident: Incident, *causes: Cause) -> Breakdown:
    window = Window(start=incident.start, end=incident.end)
    return seeded_breakdown().model_copy(
        update={
            "id": breakdown_id("checkout", "payment", "conversion", window),
            "window": window,
            "causes": list(causes),
        }
    )


def _page(ctx: RunContext, bd: Breakdown) -> str:
    with ctx.sessions.begin() as session:
        save_breakdown(session, breakdown=bd, as_of=bd.window.end)
    client = TestClient(app_for(ctx))
    sign_in(client, tokens_for(ctx)["viewer"])
    reply = client.get(f"/breakdowns/{bd.id}")
    assert reply.status_code == 200, reply.text
    return reply.text


def _ys(page: str, css: str) -> list[float]:
    found = re.search(rf'<polyline class="{css}" points="([^"]+)"', page)
    assert found is not None, f"no {css} line on the page"
    return [float(p.split(",")[1]) for p in found.group(1).split()]


def test_planted_segment_falls_below_the_rest_of_the_stage(
    demo: RunContext, demo_truth: GroundTruth
) -> None:
    incident = _incident(demo_truth)
    assert set(incident.segment) == {"app_version", "channel"}
    cause = Cause(segment=incident.segment, kind="rate_change", explained_share=0.9)
    page = _page(demo, _breakdown(incident, cause))
    assert "against the cause segment app_version=5.2 &amp; channel=app" in page
    segment, rest = _ys(page, "chart-segment"), _ys(page, "chart-rest")
    stage = _ys(page, "chart-line")
    assert len(segment) == len(rest) == len(stage) > 7
    # SVG y grows downwards: a lower conversion is drawn further down.
    assert all(s > r for s, r in zip(segment[-7:], rest[-7:], strict=True))
    # Before the window the segment tracks the rest; in it the segment alone falls.
    seg_drop = mean(segment[-7:]) - mean(segment[:-7])
    rest_drop = mean(rest[-7:]) - mean(rest[:-7])
    assert seg_drop > 5 * abs(rest_drop)
    legend = re.findall(r'class="chart-label chart-legend"[^>]*>([^<]*)</text>', page)
    assert legend == [
        "stage total",
        "cause segment app_version=5.2 &amp; channel=app",
        "rest of stage",
    ]


@pytest.mark.parametrize(
    "causes",
    [
        pytest.param((), id="no localized cause"),
        pytest.param(
            (Cause(segment={"channel": "app"}, kind="mix_shift", explained_share=0.6),),
            id="mix shift",
        ),
    ],
)
def test_without_a_rate_change_segment_the_chart_is_the_stage_alone(
    demo: RunContext, demo_truth: GroundTruth, causes: tuple[Cause, ...]
) -> None:
    page = _page(demo, _breakdown(_incident(demo_truth), *causes))
    assert '<polyline class="chart-line"' in page
    assert "chart-segment" not in page and "chart-rest" not in page
    assert "chart-legend" not in page


def test_a_hostile_segment_value_is_escaped(
    demo: RunContext, demo_truth: GroundTruth, tmp_path: Path
) -> None:
    incident = _incident(demo_truth)
    rows = ["ts,journey,stage,customer_id,completed,channel"]
    for i in range(14):
        day = incident.end - dt.timedelta(days=i)
        rows.append(f'{day}T10:00:00Z,checkout,payment,h{i},{i % 2},"{HOSTILE}"')
    events = tmp_path / "hostile.csv"
    events.write_text("\n".join(rows) + "\n", encoding="utf-8")
    demo.warehouse.ingest_events(events)
    cause = Cause(segment={"channel": HOSTILE}, kind="rate_change", explained_share=0.9)
    page = _page(demo, _breakdown(incident, cause))
    assert _ys(page, "chart-segment") and _ys(page, "chart-rest")
    assert HOSTILE not in page and "<script>alert" not in page
    assert "channel=&lt;script&gt;alert(&#39;chart&#39;)&lt;/script&gt;" in page
