"""Node: localize each breakdown to the segments that caused it and classify them."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.detect_breakdowns import run_periods
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.findings import Breakdown
from tools.causes import analyse_causes

# Survey scores are sparse by design, so their absence says nothing about tracking.
_SPARSE_MEASURES = {"csat", "nps"}


def localize_causes(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach the localized causes to every breakdown."""
    ctx = runtime.context
    periods = run_periods(ctx, state)
    settings = ctx.settings
    dims_all = [d for d in ctx.warehouse.dimensions() if d not in settings.warehouse.ignore_columns]
    probes = [m for m in ctx.warehouse.measures() if m not in _SPARSE_MEASURES]
    updated: list[Breakdown] = []
    for bd in state.breakdowns:
        ctx.status(f"Localizing {bd.journey}/{bd.stage} {bd.metric} …")
        counts = ctx.warehouse.distinct_counts(
            journey=bd.journey, stage=bd.stage, dims=dims_all, start=periods.start, end=periods.end
        )
        dims = [
            d
            for d in dims_all
            if 1 < counts.get(d, 0) <= settings.warehouse.max_dimension_cardinality
        ]
        metric = settings.metrics[bd.metric]
        cells = ctx.warehouse.leaf_cells(
            journey=bd.journey,
            stage=bd.stage,
            metric=metric,
            dims=dims,
            periods={"current": periods.window, "baseline": periods.baseline},
            probe_columns=probes,
        )
        causes = analyse_causes(
            cells,
            dims,
            metric=metric,
            baseline_weeks=settings.detection.baseline_weeks,
            max_attributes=settings.localization.max_attributes,
            max_elements=settings.localization.max_elements,
        )
        updated.append(bd.model_copy(update={"causes": causes}))
    return {"breakdowns": updated}
