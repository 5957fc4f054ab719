"""Outcome check: did a dispatched fix win the metric back in the segment that broke?

After the playbook's `evaluation_days` following delivery, the metric of the cause segment
is re-measured in three periods: its pre-breakdown baseline (the same weekdays of the
weeks before the breakdown window), the breakdown window, and the evaluation window. The
rest of the stage (visits outside the segment) is the control: its drift between the
baseline and the evaluation window is taken out of the segment's recovery, so a season
that lifts every segment does not count as a fix. The fix `recovered` when at least
`RECOVERY_SHARE` of the segment's drop is won back.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from pydantic import BaseModel

from agent.context import RunContext
from store.catalog import MetricDef
from store.gate.outcomes import Verdict, awaiting_check, record_outcome
from store.models import ActionRow
from tools.detect import DetectionSettings, periods_for

RECOVERY_SHARE = 0.5
_DEFAULT_EVALUATION_DAYS = 14


class OutcomeNumbers(BaseModel):
    """The measurements behind a verdict (rates in metric units, NaN-free)."""

    segment_baseline: float
    segment_during: float
    segment_after: float
    rest_baseline: float
    rest_after: float
    control_shift: float
    recovered_share: float
    segment_visits_after: int


class OutcomeResult(BaseModel):
    """One recorded outcome."""

    action_id: str
    playbook: str
    verdict: Verdict
    metric: str
    segment: dict[str, str]
    window_start: dt.date
    window_end: dt.date
    numbers: OutcomeNumbers


def judge(
    metric: MetricDef,
    *,
    segment: tuple[float, float, float],
    rest: tuple[float, float] | None,
    visits_after: int,
) -> tuple[Verdict, OutcomeNumbers]:
    """Return the verdict for segment rates (baseline, during, after) and the control's.

    `rest` is the rest of the stage's (baseline, after) rates, or None without a control.
    """
    base, during, after = segment
    sign = 1.0 if metric.direction == "higher" else -1.0
    shift = (rest[1] - rest[0]) if rest is not None else 0.0
    drop = sign * (base - during)
    gap_after = sign * (base - (after - shift))
    # Without a measurable drop, "recovered" means simply not worse than the baseline.
    no_drop_share = 1.0 if gap_after <= 0 else 0.0
    share = 1.0 - gap_after / drop if drop > 0 else no_drop_share
    verdict: Verdict = "recovered" if share >= RECOVERY_SHARE else "not_recovered"
    numbers = OutcomeNumbers(
        segment_baseline=round(base, 6),
        segment_during=round(during, 6),
        segment_after=round(after, 6),
        rest_baseline=round(rest[0], 6) if rest is not None else 0.0,
        rest_after=round(rest[1], 6) if rest is not None else 0.0,
        control_shift=round(shift, 6),
        recovered_share=round(share, 4),
        segment_visits_after=visits_after,
    )
    return verdict, numbers


def check_outcomes(run: RunContext, *, as_of: dt.date | None = None) -> list[OutcomeResult]:
    """Judge every dispatched action whose evaluation window ended by `as_of`; record them.

    `as_of` defaults to the newest day in the warehouse. An action whose segment has no
    visits in the evaluation window is left for a later check.
    """
    span = run.warehouse.date_range()
    if span is None:
        return []
    day = as_of or span[1]
    with run.sessions() as session:
        waiting = awaiting_check(session)
    results: list[OutcomeResult] = []
    for action, delivered_at in waiting:
        result = _measure(run, action, delivered_at.date(), day)
        if result is None:
            continue
        with run.sessions.begin() as session:
            created = record_outcome(
                session,
                action_id=result.action_id,
                verdict=result.verdict,
                metric=result.metric,
                window_start=result.window_start,
                window_end=result.window_end,
                numbers={"segment": result.segment, **result.numbers.model_dump()},
                now=run.clock(),
            )
        if created:
            results.append(result)
    return results


def _measure(
    run: RunContext, action: ActionRow, delivered: dt.date, as_of: dt.date
) -> OutcomeResult | None:
    p = action.payload
    playbook = run.settings.playbooks.get(action.playbook)
    days = playbook.evaluation_days if playbook else _DEFAULT_EVALUATION_DAYS
    after = [delivered + dt.timedelta(days=i) for i in range(1, days + 1)]
    metric = run.settings.metrics.get(str(p.get("metric", "")))
    window = p.get("window")
    segment = p.get("segment") or {}
    if after[-1] > as_of or metric is None or not isinstance(window, dict):
        return None
    if not isinstance(segment, dict) or not run.warehouse.supports(metric):
        return None
    segment = {str(k): str(v) for k, v in segment.items()}
    if not set(segment) <= set(run.warehouse.dimensions()):
        run.status(f"{action.id}: segment dimensions are no longer in the warehouse")
        return None
    start, end = dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
    during = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    params = DetectionSettings.model_validate(run.settings.detection.model_dump())
    params = params.model_copy(update={"window_days": len(during)})
    cells = run.warehouse.leaf_cells(
        journey=str(p["journey"]),
        stage=str(p["stage"]),
        metric=metric,
        dims=list(segment),
        periods={"baseline": periods_for(end, params).baseline, "during": during, "after": after},
    )
    inside = _in_segment(cells, segment)
    seg = {k: _rate(cells[inside], k) for k in ("baseline", "during", "after")}
    rest = {k: _rate(cells[~inside], k) for k in ("baseline", "after")}
    visits_after = int(cells[inside & (cells["period"] == "after")]["visits"].sum())
    if visits_after == 0 or any(math.isnan(v) for v in seg.values()):
        run.status(f"{action.id}: no visits of the segment to measure yet")
        return None
    control = (
        None if any(math.isnan(v) for v in rest.values()) else (rest["baseline"], rest["after"])
    )
    verdict, numbers = judge(
        metric,
        segment=(seg["baseline"], seg["during"], seg["after"]),
        rest=control,
        visits_after=visits_after,
    )
    return OutcomeResult(
        action_id=action.id,
        playbook=action.playbook,
        verdict=verdict,
        metric=metric.name,
        segment=segment,
        window_start=after[0],
        window_end=after[-1],
        numbers=numbers,
    )


def _in_segment(cells: pd.DataFrame, segment: dict[str, str]) -> pd.Series:
    mask = pd.Series(True, index=cells.index)
    for dim, value in segment.items():
        mask &= cells[dim].astype(str) == value
    return mask


def _rate(cells: pd.DataFrame, period: str) -> float:
    rows = cells[cells["period"] == period]
    den = float(rows["den"].sum())
    return float(rows["num"].sum()) / den if den > 0 else math.nan
