"""Node: write root-cause hypotheses that cite both the segment and the customers' words."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.llm_hypotheses import model_hypotheses
from agent.investigate.state import InvestigationState, InvestigationUpdate
from prompts import render
from store.catalog import MetricDef
from store.findings import Breakdown, Cause, Evidence, Hypothesis
from tools.units import (
    format_count,
    format_p,
    format_segment,
    format_share,
    format_value,
    theme_mentions,
)
from tools.verdict import evidence_verdict


def draft_hypotheses(
    state: InvestigationState, runtime: Runtime[RunContext]
) -> InvestigationUpdate:
    """Attach hypotheses, one per localized cause (or one when none is).

    Offline they are templated; with a model configured the model writes them, held to
    the grounding guard, and the templated ones stand in whenever it fails.
    """
    ctx = runtime.context
    metrics = ctx.settings.metrics
    updated: list[Breakdown] = []
    notices: list[str] = []
    for bd in state.breakdowns:
        hyps = hypotheses_for(bd, metrics[bd.metric])
        if ctx.llm is not None:
            hyps, notice = model_hypotheses(ctx.llm, bd, metrics[bd.metric], hyps)
            if notice:
                notices.append(notice)
        updated.append(bd.model_copy(update={"hypotheses": hyps}))
    return {"breakdowns": updated, "notices": [*state.notices, *notices]}


def hypotheses_for(bd: Breakdown, metric: MetricDef) -> list[Hypothesis]:
    """Return the templated hypotheses of a breakdown, numbers taken from its findings."""
    causes: list[Cause | None] = list(bd.causes[:2]) or [None]
    return [_hypothesis(bd, metric, cause, primary=i == 0) for i, cause in enumerate(causes)]


def _hypothesis(
    bd: Breakdown, metric: MetricDef, cause: Cause | None, *, primary: bool
) -> Hypothesis:
    quotes = bd.quotes[:2] if primary and cause is not None and cause.kind == "rate_change" else []
    statement = render(
        "hypothesis.md",
        metric_label=metric.label,
        journey=bd.journey,
        stage=bd.stage,
        baseline=format_value(metric, bd.baseline),
        current=format_value(metric, bd.current),
        start=bd.window.start.isoformat(),
        end=bd.window.end.isoformat(),
        cause=cause,
        segment=format_segment(cause.segment) if cause else "",
        share=format_share(cause.explained_share) if cause else "",
        seg_baseline=format_value(metric, cause.baseline) if cause else "",
        seg_current=format_value(metric, cause.current) if cause else "",
        seg_visits=format_count(cause.visits) if cause else "",
        cause_note=cause.note if cause else "",
        quotes=[{"id": q.id, "text": _short(q.text)} for q in quotes],
    )
    facts = [
        f"{metric.label} {format_value(metric, bd.baseline)} expected (same weekdays, prior weeks) "
        f"vs {format_value(metric, bd.current)} in {bd.window.start}..{bd.window.end} "
        f"on {format_count(bd.visits)} visits ({format_p(bd.p_value)})",
        _money_fact(bd, cause),
    ]
    if cause is not None:
        facts.append(
            f"{format_segment(cause.segment)}: {format_value(metric, cause.baseline)} → "
            f"{format_value(metric, cause.current)} on {format_count(cause.visits)} visits, "
            f"{format_share(cause.explained_share)} of the change ({cause.kind})"
        )
    ids = [q.id for q in bd.quotes] if primary else []
    for theme in bd.themes if primary else []:
        facts.append(f"theme “{theme.label}”: {theme_mentions(theme)}")
        ids.extend(i for i in theme.insight_ids if i not in ids)
    return Hypothesis(
        statement=statement,
        confidence=_confidence(bd, cause, has_words=bool(ids)),
        verdict=evidence_verdict(bd, cause),
        evidence=Evidence(facts=facts, insight_ids=ids),
    )


def _money_fact(bd: Breakdown, cause: Cause | None) -> str:
    if cause is not None and cause.kind == "tracking_gap":
        return "no lost-revenue figure: events are missing, customers are not (a data problem)"
    if cause is not None and cause.kind == "mix_shift":
        return (
            f"traffic that moved costs about {bd.impact.currency} "
            f"{bd.impact.per_week:,.0f} per week"
        )
    return f"estimated loss {bd.impact.currency} {bd.impact.per_week:,.0f} per week"


def _confidence(bd: Breakdown, cause: Cause | None, *, has_words: bool) -> float:
    conf = 0.35
    if cause is not None:
        conf += 0.3 * min(max(cause.explained_share, 0.0), 1.0)
    if bd.p_value < 1e-6:
        conf += 0.1
    if has_words and (cause is None or cause.kind == "rate_change"):
        conf += 0.15
    if cause is not None and cause.kind != "rate_change":
        conf += 0.1
    return round(min(conf, 0.95), 2)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
