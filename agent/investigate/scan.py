"""Run one investigation over the warehouse: the body of `journeyops scan`."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from agent.context import RunContext
from agent.investigate.graph import build_investigation_graph
from agent.investigate.shard import Shard
from agent.investigate.state import InvestigationState
from agent.llm.protocol import Usage
from store.findings import ScanResult


class ScanOutcome(BaseModel):
    """The scan contract plus what the run filed."""

    result: ScanResult
    series_tested: int
    proposed: list[str]
    existing: list[str]
    llm_usage: Usage | None = None


def run_scan(
    ctx: RunContext,
    *,
    as_of: dt.date | None = None,
    journey: str | None = None,
    stage: str | None = None,
    metric: str | None = None,
    propose: bool = True,
    shard: Shard | None = None,
) -> ScanOutcome:
    """Detect, localize, explain and recommend; file proposals unless `propose` is off.

    With a `shard`, only that shard's journeys are localized, explained and filed; run every
    shard (on any machines, in any order, concurrently) to file what one scan would.
    """
    graph = build_investigation_graph(propose=propose)
    before = ctx.llm.usage.model_copy() if ctx.llm is not None else None
    initial = InvestigationState(
        as_of=as_of, journey=journey, stage=stage, metric=metric, shard=shard
    )
    raw = graph.invoke(initial, context=ctx)
    state = InvestigationState.model_validate(raw)
    result = ScanResult(
        as_of=state.as_of or as_of or dt.date.today(),
        incidents=state.incidents,
        breakdowns=state.breakdowns,
        suppressed=state.suppressed,
        notices=state.notices,
    )
    return ScanOutcome(
        result=result,
        series_tested=state.series_tested,
        proposed=state.proposed,
        existing=state.existing,
        llm_usage=_spent(ctx, before),
    )


def _spent(ctx: RunContext, before: Usage | None) -> Usage | None:
    """Return the tokens and calls this run used, when a model was involved."""
    if ctx.llm is None or before is None:
        return None
    now = ctx.llm.usage
    return Usage(
        prompt_tokens=now.prompt_tokens - before.prompt_tokens,
        completion_tokens=now.completion_tokens - before.completion_tokens,
        calls=now.calls - before.calls,
    )
