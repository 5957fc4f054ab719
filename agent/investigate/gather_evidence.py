"""Node: pull the customer verbatims and theme surges that explain each breakdown."""

from __future__ import annotations

import datetime as dt

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.detect_breakdowns import run_periods
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.findings import Breakdown, Quote, Theme
from tools.insights import evidence_for_breakdown, theme_surges


def gather_evidence(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach quotes (matching the top cause's segment) and surging themes to breakdowns."""
    ctx = runtime.context
    if ctx.insights is None or ctx.insights.count() == 0:
        return {}

    periods = run_periods(ctx, state)
    baseline = (min(periods.baseline, default=periods.start), periods.start - dt.timedelta(days=1))
    updated: list[Breakdown] = []
    for bd in state.breakdowns:
        ctx.status(f"Gathering customer evidence for {bd.journey}/{bd.stage} …")
        segment = bd.causes[0].segment if bd.causes else {}
        hits = evidence_for_breakdown(
            ctx.insights,
            journey=bd.journey,
            stage=bd.stage,
            metric_label=ctx.settings.metrics[bd.metric].label,
            segment=segment,
            start=bd.window.start,
            end=bd.window.end,
            k=5,
            unit=ctx.settings.metrics[bd.metric].unit,
            baseline=baseline,
        )
        surges = theme_surges(
            ctx.insights,
            journey=bd.journey,
            stage=bd.stage,
            window=(bd.window.start, bd.window.end),
            baseline=baseline,
        )
        # A tracking gap or a mix shift is not something customers complain about; quotes
        # would only be background noise dressed up as evidence.
        kind = bd.causes[0].kind if bd.causes else "rate_change"
        quotes = [
            Quote(id=h.id, text=h.text, source=h.source, ts=h.ts, score=h.score)
            for h in hits
            if kind == "rate_change"
        ]
        themes = [
            Theme(
                label=t.label,
                count=t.count_window,
                baseline_count=t.count_baseline,
                lift=round(t.lift, 2),
                insight_ids=list(t.quote_ids)[:3],
                window_days=(bd.window.end - bd.window.start).days + 1,
                baseline_days=(baseline[1] - baseline[0]).days + 1,
            )
            for t in surges[:3]
        ]
        updated.append(bd.model_copy(update={"quotes": quotes, "themes": themes}))
    return {"breakdowns": updated}
