"""The tools a model may call, each a typed function over the product's own code paths."""

from __future__ import annotations

import datetime as dt

from agent.chat.tools.actions import actions, propose
from agent.chat.tools.args import (
    BreakdownArgs,
    ComparePeriodsArgs,
    DetectArgs,
    ListActionsArgs,
    NoArgs,
    ProposeArgs,
    QueryMetricArgs,
    SearchArgs,
)
from agent.chat.tools.registry import Tool, ToolError, ToolRegistry
from agent.chat.tools.session import ToolSession
from agent.investigate.detect_breakdowns import detection_params
from agent.llm.untrusted import UNTRUSTED_NOTE, fence
from store.catalog import MetricDef
from store.findings import Breakdown, action_id
from store.gate.actions import get_action
from tools.detect import detect_breakdowns, periods_for
from tools.units import format_money, format_segment, format_value


def catalog(s: ToolSession, _: NoArgs) -> dict[str, object]:
    """Journeys with their stages, the metric catalog and the days the warehouse covers."""
    span = s.ctx.warehouse.date_range()
    return {
        "journeys": s.ctx.warehouse.journeys(),
        "metrics": [
            {
                "name": m.name,
                "label": m.label,
                "unit": m.unit,
                "direction": m.direction,
            }
            for m in s.ctx.settings.metrics.values()
        ],
        "data_from": span[0].isoformat() if span else None,
        "data_to": span[1].isoformat() if span else None,
    }


def query_metric(s: ToolSession, a: QueryMetricArgs) -> dict[str, object]:
    """Daily values of one journey stage metric."""
    s.check_place(a.journey, a.stage)
    metric = s.metric(a.metric)
    end = s.day(a.end)
    start = a.start or end - dt.timedelta(days=27)
    if (end - start).days > 91:
        raise ToolError("ask for at most 92 days at a time")
    daily = s.ctx.warehouse.daily_series(
        metrics=[metric], start=start, end=end, journey=a.journey, stage=a.stage
    )
    num, den = f"{metric.name}__num", f"{metric.name}__den"
    if num not in daily.columns:
        raise ToolError(f"the warehouse has no columns for metric {metric.name!r}")
    days = [
        {
            "day": str(row["day"])[:10],
            "value": format_value(metric, row[num] / row[den]) if row[den] else None,
            "visits": int(row["visits"]),
        }
        for _, row in daily.sort_values("day").iterrows()
    ]
    return {"journey": a.journey, "stage": a.stage, "metric": metric.name, "days": days}


def compare_periods(s: ToolSession, a: ComparePeriodsArgs) -> dict[str, object]:
    """The window against the same weekdays of the baseline weeks, with a volume-aware test."""

    s.check_place(a.journey, a.stage)
    metric = s.metric(a.metric)
    params = detection_params(s.ctx)
    if a.window_days:
        params = params.model_copy(update={"window_days": a.window_days})
    periods = periods_for(s.day(a.as_of), params)
    daily = s.ctx.warehouse.daily_series(
        metrics=[metric],
        start=min(periods.baseline, default=periods.start),
        end=periods.end,
        journey=a.journey,
        stage=a.stage,
    )
    found = [d for d in detect_breakdowns(daily, [metric], periods, params) if d.stage == a.stage]
    if not found:
        raise ToolError("not enough visits in the window or the baseline to compare")
    d = found[0]
    return {
        "journey": a.journey,
        "stage": a.stage,
        "metric": metric.name,
        "window": f"{periods.start}..{periods.end}",
        "expected": format_value(metric, d.expected),
        "current": format_value(metric, d.current),
        **_change(metric, d.expected, d.current),
        "visits": round(d.visits),
        "p_value": float(f"{d.p_value:.3g}"),
        "worse": d.degraded,
        "significant": d.p_value < params.fdr,
    }


def detect(s: ToolSession, a: DetectArgs) -> dict[str, object]:
    """Breakdowns in the window (the scan's detector, FDR-controlled across every series)."""
    s.check_place(a.journey, a.stage)
    if a.metric is not None:
        s.metric(a.metric)
    as_of = s.day(a.as_of)
    result = s.scan(as_of)
    hits = [
        bd
        for bd in result.breakdowns
        if a.journey in (None, bd.journey)
        and a.stage in (None, bd.stage)
        and a.metric in (None, bd.metric)
    ]
    metrics = s.ctx.settings.metrics
    return {
        "as_of": as_of.isoformat(),
        "scope": {"journey": a.journey, "stage": a.stage, "metric": a.metric},
        "breakdowns": [_summary(bd, metrics[bd.metric]) for bd in hits],
        "breakdowns_elsewhere": len(result.breakdowns) - len(hits),
    }


def localize(s: ToolSession, a: BreakdownArgs) -> dict[str, object]:
    """The segments that explain a breakdown, classified, with the numbers behind each."""
    bd, _ = s.breakdown(a.breakdown_id)
    metric = s.ctx.settings.metrics[bd.metric]
    return {
        "breakdown_id": bd.id,
        "causes": [
            {
                "rank": i,
                "segment": format_segment(c.segment),
                "kind": c.kind,
                "explained_share": f"{c.explained_share:.0%}",
                "segment_before": format_value(metric, c.baseline),
                "segment_now": format_value(metric, c.current),
                "segment_visits": round(c.visits),
                "note": c.note,
            }
            for i, c in enumerate(bd.causes, start=1)
        ],
        "no_localized_cause": not bd.causes,
    }


def search_insights(s: ToolSession, a: SearchArgs) -> dict[str, object]:
    """Customer verbatims: the evidence chosen for a breakdown, or a filtered free search."""
    if a.breakdown_id is not None:
        bd, _ = s.breakdown(a.breakdown_id)
        quotes = [(q.id, q.source, q.ts, q.text) for q in bd.quotes[: a.k]]
    else:
        if a.journey is None or not a.query:
            raise ToolError("give a breakdown_id, or a journey and a query for a free search")
        s.check_place(a.journey, a.stage)
        store = s.ctx.insights
        if store is None or store.count() == 0:
            raise ToolError("no customer insights have been ingested")
        hits = store.search(
            query=a.query, k=a.k, journey=a.journey, stage=a.stage, start=a.start, end=a.end
        )
        quotes = [
            (h.id, str(h.metadata.get("source", "")), str(h.metadata.get("ts", "")), h.text)
            for h in hits
        ]
    return {
        "note": UNTRUSTED_NOTE,
        "quotes": [
            {"id": i, "source": src, "ts": ts, "quote": fence(i, text)}
            for i, src, ts, text in quotes
        ],
    }


def theme_surges(s: ToolSession, a: BreakdownArgs) -> dict[str, object]:
    """Themes of customer words whose share rose in the window against the baseline."""
    bd, _ = s.breakdown(a.breakdown_id)
    return {
        "note": UNTRUSTED_NOTE,
        "themes": [
            {
                "label": fence(f"theme-{i}", t.label),
                "count": t.count,
                "baseline_count": t.baseline_count,
                "lift": t.lift,
                "insight_ids": t.insight_ids,
            }
            for i, t in enumerate(bd.themes, start=1)
        ],
    }


def recommend_fixes(s: ToolSession, a: BreakdownArgs) -> dict[str, object]:
    """Playbooks ranked by money recovered per week, with effort, confidence and filing status."""
    bd, _ = s.breakdown(a.breakdown_id)
    with s.ctx.sessions() as session:
        status = {
            rec.playbook: (row.status if row else None)
            for rec in bd.recommendations
            for row in [get_action(session, action_id=action_id(bd.id, rec.playbook))]
        }
    return {
        "breakdown_id": bd.id,
        "recommendations": [
            {
                "rank": r.rank,
                "playbook": r.playbook,
                "title": r.title,
                "value_per_week": format_money(r.expected_value_per_week, bd.impact.currency),
                "effort": r.effort,
                "confidence": r.confidence,
                "filed_status": status.get(r.playbook),
            }
            for r in bd.recommendations
        ],
    }


def _change(metric: MetricDef, expected: float, current: float) -> dict[str, object]:
    out: dict[str, object] = {
        "relative_change_pct": round((current / expected - 1) * 100, 1) if expected else None
    }
    if metric.unit == "rate":
        out["change_points"] = round((current - expected) * 100, 1)
    return out


def _summary(bd: Breakdown, metric: MetricDef) -> dict[str, object]:
    top = bd.causes[0] if bd.causes else None
    return {
        "breakdown_id": bd.id,
        "journey": bd.journey,
        "stage": bd.stage,
        "metric": bd.metric,
        "metric_label": metric.label,
        "window": f"{bd.window.start}..{bd.window.end}",
        "expected": format_value(metric, bd.baseline),
        "current": format_value(metric, bd.current),
        **_change(metric, bd.baseline, bd.current),
        "visits": round(bd.visits),
        "p_value": bd.p_value,
        "severity": bd.severity,
        "loss_per_week": format_money(bd.impact.per_week, bd.impact.currency),
        "top_cause": format_segment(top.segment) if top else None,
        "top_cause_kind": top.kind if top else None,
    }


REGISTRY = ToolRegistry(
    [
        Tool("catalog", "List journeys, stages, metrics and the days of data.", NoArgs, catalog),
        Tool(
            "query_metric",
            "Daily values of one journey stage metric.",
            QueryMetricArgs,
            query_metric,
        ),
        Tool(
            "compare_periods",
            "Compare a window with the same weekdays of the prior weeks (volume-aware test).",
            ComparePeriodsArgs,
            compare_periods,
        ),
        Tool(
            "detect_breakdowns",
            "Find degraded journey stage metrics in the window; returns breakdown ids.",
            DetectArgs,
            detect,
        ),
        Tool(
            "localize",
            "Root-cause segments of a breakdown with their numbers.",
            BreakdownArgs,
            localize,
        ),
        Tool(
            "search_insights",
            "Customer quotes (untrusted data) for a breakdown, or a filtered free search.",
            SearchArgs,
            search_insights,
        ),
        Tool(
            "theme_surges",
            "Customer themes surging during a breakdown.",
            BreakdownArgs,
            theme_surges,
        ),
        Tool(
            "recommend_fixes",
            "Fixes for a breakdown ranked by money impact.",
            BreakdownArgs,
            recommend_fixes,
        ),
        Tool(
            "list_actions",
            "Actions filed for council approval and their status.",
            ListActionsArgs,
            actions,
        ),
        Tool(
            "propose_action",
            "File a recommended fix for council approval (it cannot approve or run it).",
            ProposeArgs,
            propose,
        ),
    ]
)
