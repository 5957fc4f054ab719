"""Run one investigation over the warehouse: the body of `journeyops scan`."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from agent.context import RunContext
from agent.investigate.check_data_quality import check_data_quality
from agent.investigate.graph import build_investigation_graph
from agent.investigate.state import InvestigationState, Shard
from agent.llm.protocol import Usage
from store.errors import InputError, unknown_name
from store.findings import Incident, ScanResult


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
    check_scope(ctx, journey=journey, stage=stage, metric=metric)
    graph = build_investigation_graph(propose=propose)
    before = ctx.llm.usage.model_copy() if ctx.llm is not None else None
    initial = InvestigationState(
        as_of=as_of, journey=journey, stage=stage, metric=metric, shard=shard
    )
    raw = graph.invoke(initial, context=ctx)
    state = InvestigationState.model_validate(raw)
    if state.series_tested == 0:
        # An empty scan would read as an all-clear; a scan that tested nothing is not one.
        raise InputError("scan", None, None, _nothing_tested(ctx, state))
    day = state.as_of or as_of or dt.date.today()
    quality = check_data_quality(ctx, as_of=day, journey=journey, stage=stage)
    if shard is not None:
        quality = [i for i in quality if shard.owns(i.journey)]
    incidents, quality = _merge_quality(state.incidents, quality)
    result = ScanResult(
        as_of=day,
        incidents=[*incidents, *quality],
        breakdowns=state.breakdowns,
        suppressed=state.suppressed,
        notices=[*state.notices, *(i.summary for i in quality)],
    )
    return ScanOutcome(
        result=result,
        series_tested=state.series_tested,
        proposed=state.proposed,
        existing=state.existing,
        llm_usage=_spent(ctx, before),
    )


def _merge_quality(
    found: list[Incident], quality: list[Incident]
) -> tuple[list[Incident], list[Incident]]:
    """Fold monitor findings into the tracking-gap incident a breakdown already opened.

    The same missing rows can show as a breakdown and as a data-quality finding; the
    council and the data owner should see one incident, so a finding for the journey and
    segment of a breakdown's tracking gap only adds its days to it.
    """
    merged = list(found)
    rest: list[Incident] = []
    for q in quality:
        at = next(
            (
                n
                for n, i in enumerate(merged)
                if i.kind == "tracking_gap" and i.journey == q.journey and i.segment == q.segment
            ),
            None,
        )
        if at is None:
            rest.append(q)
            continue
        days = sorted({*merged[at].days_affected, *q.days_affected})
        merged[at] = merged[at].model_copy(update={"days_affected": days})
    return merged, rest


def report_name(as_of: dt.date, *, journey: str | None, shard: Shard | None) -> str:
    """Return the report file name of a scan; a narrower scan never takes a wider one's."""
    scope = "" if journey is None else f"-{journey}"
    part = "" if shard is None else f"-shard-{shard.index}of{shard.count}"
    return f"scan-{as_of}{scope}{part}.md"


def check_scope(
    ctx: RunContext, *, journey: str | None, stage: str | None, metric: str | None
) -> None:
    """Refuse an unknown journey, stage or metric, naming the closest known ones."""
    if metric is not None and metric not in ctx.settings.metrics:
        raise unknown_name("--metric", "metric", metric, ctx.settings.metrics)
    if journey is None and stage is None:
        return
    journeys = ctx.warehouse.journeys()
    if journey is not None and journey not in journeys:
        raise unknown_name("--journey", "journey", journey, journeys)
    if stage is not None:
        stages = journeys[journey] if journey else [s for v in journeys.values() for s in v]
        if stage not in stages:
            raise unknown_name("--stage", f"stage of {journey or 'any journey'}", stage, stages)


def _nothing_tested(ctx: RunContext, state: InvestigationState) -> str:
    span = ctx.warehouse.date_range()
    if span is None:
        return "no series tested: the warehouse holds no events (run `journeyops ingest events`)"
    week = f"the week to {state.as_of}" if state.as_of else "the window"
    return (
        f"no series tested in {week}: the data runs from {span[0]} to {span[1]}, and no "
        f"journey stage has {ctx.settings.detection.min_visits} visits in both the window and "
        "its baseline weeks (choose --as-of inside the data)"
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
