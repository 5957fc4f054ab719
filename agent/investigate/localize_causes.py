"""Node: localize each breakdown to the segments that caused it and classify them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.detect_breakdowns import run_periods
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.findings import Breakdown, Cause
from tools.causes import analyse_causes
from tools.detect import Periods
from tools.incidents import price_breakdown

# Survey scores are sparse by design, so their absence says nothing about tracking.
_SPARSE_MEASURES = {"csat", "nps"}
_WORKERS = 2


def localize_causes(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach the localized causes to every breakdown and price it for its cause's kind."""
    ctx = runtime.context
    periods = run_periods(ctx, state)
    dims = [d for d in ctx.warehouse.dimensions() if d not in ctx.settings.warehouse.ignore_columns]
    probes = [m for m in ctx.warehouse.measures() if m not in _SPARSE_MEASURES]
    counts = ctx.warehouse.stage_distinct_counts(
        stages=[(bd.journey, bd.stage) for bd in state.breakdowns],
        dims=dims,
        start=periods.start,
        end=periods.end,
    )

    def one(bd: Breakdown) -> Breakdown:
        ctx.status(f"Localizing {bd.journey}/{bd.stage} {bd.metric} …")
        cardinality = counts[(bd.journey, bd.stage)]
        located = bd.model_copy(
            update={"causes": _causes(ctx, bd, periods, dims, cardinality, probes)}
        )
        return price_breakdown(located)

    # Each breakdown's warehouse query overlaps another's analysis (the drivers release the
    # GIL), and a remote warehouse answers two queries in about the time of one.
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="localize") as pool:
        updated = list(pool.map(one, state.breakdowns))
    return {"breakdowns": updated}


def _causes(
    ctx: RunContext,
    bd: Breakdown,
    periods: Periods,
    dims_all: list[str],
    counts: dict[str, int],
    probes: list[str],
) -> list[Cause]:
    settings = ctx.settings
    dims = [
        d for d in dims_all if 1 < counts.get(d, 0) <= settings.warehouse.max_dimension_cardinality
    ]
    cells = ctx.warehouse.leaf_cells(
        journey=bd.journey,
        stage=bd.stage,
        metric=settings.metrics[bd.metric],
        dims=dims,
        periods={"current": periods.window, "baseline": periods.baseline},
        probe_columns=probes,
    )
    return analyse_causes(
        cells,
        dims,
        metric=settings.metrics[bd.metric],
        baseline_weeks=settings.detection.baseline_weeks,
        max_attributes=settings.localization.max_attributes,
        max_elements=settings.localization.max_elements,
    )
