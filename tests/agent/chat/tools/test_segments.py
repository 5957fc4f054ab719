"""`compare_segments`: a stage metric per segment, window against the baseline weeks."""

from __future__ import annotations

import pytest

from agent.chat.tools.errors import ToolError
from agent.chat.tools.segments import compare_segments
from agent.chat.tools.session import ToolSession
from evals.demo import GroundTruth


def test_the_planted_segment_shows_the_biggest_fall(
    session: ToolSession, demo_truth: GroundTruth
) -> None:
    inc = next(i for i in demo_truth.incidents if i.kind == "rate_change" and len(i.segment) == 1)
    (dim, value), *_ = inc.segment.items()
    result = compare_segments(inc.journey, inc.stage, inc.metric, dim, session=session)
    assert {s.dimension for s in result.segments} == {dim}
    planted = next(s for s in result.segments if s.value == value)
    others = [s for s in result.segments if s.value != value and s.relative_change_pct is not None]
    assert planted.relative_change_pct is not None and others
    worse = -1 if inc.metric in ("conversion", "csat") else 1
    assert all(
        worse * planted.relative_change_pct > worse * (o.relative_change_pct or 0.0) for o in others
    )


def test_every_dimension_when_none_is_named(session: ToolSession) -> None:
    result = compare_segments("checkout", "payment", "conversion", session=session)
    assert len({s.dimension for s in result.segments}) > 1
    assert all(s.visits > 0 for s in result.segments)


def test_an_unknown_dimension_is_a_readable_error(session: ToolSession) -> None:
    with pytest.raises(ToolError, match="unknown dimension 'planet'"):
        compare_segments("checkout", "payment", "conversion", "planet", session=session)
