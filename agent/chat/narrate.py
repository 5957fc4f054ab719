"""The templated answer: what the tools of one turn found, in words, numbers as returned.

The offline planner answers with it, and it replaces a model's answer that fails the
grounding guard twice, so every number in it is copied from a tool result, never computed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from agent.chat.tools.actions import ActionList, Proposal
from agent.chat.tools.breakdowns import (
    BreakdownSummary,
    Causes,
    Detection,
    Recommendations,
    still_open,
)
from agent.chat.tools.evidence import Quotes, Themes
from agent.chat.tools.metrics import Comparison
from agent.chat.tools.registry import ToolOutcome
from agent.chat.tools.tool import ToolResult
from agent.reports.escape import md_text
from agent.reports.markdown import quote_inert
from store.findings import CauseKind
from tools.units import format_count, format_p, format_percent

R = TypeVar("R", bound=ToolResult)

_FENCE = re.compile(r'<customer_quote id="([^"]*)"[^>]*>(.*?)</customer_quote>', re.S)
_KIND: dict[CauseKind, str] = {
    "rate_change": "the metric itself changed inside this segment",
    "mix_shift": "traffic shifted toward this segment; its own rate held",
    "tracking_gap": "events stopped arriving from this segment: a tracking gap, not customers",
}


def inert_quote(fenced: str) -> tuple[str, str]:
    """Return (id, text) of a fenced customer quote, text escaped for Markdown."""
    m = _FENCE.search(fenced)
    if m is None:
        return "", quote_inert(fenced)
    return m.group(1), quote_inert(m.group(2))


def narrate(outcomes: Sequence[ToolOutcome]) -> str:
    """Return the Markdown answer built from one turn's tool results."""
    lines: list[str] = []
    for detection in _all(outcomes, Detection):
        lines += _detected(detection, outcomes)
    for comparison in _all(outcomes, Comparison):
        lines += _compared(comparison)
    for listed in _all(outcomes, ActionList):
        lines += _actions(listed)
    for proposal in _all(outcomes, Proposal):
        lines.append(describe_proposal(proposal))
    for o in outcomes:
        if not o.ok:
            lines.append(f"I could not run `{o.name}`: {o.error}")
    return "\n".join(lines).strip() or "I found nothing to report for that question."


def describe_proposal(proposal: Proposal) -> str:
    """Return the sentence that tells the user a fix waits for the council."""
    verb = "Filed" if proposal.newly_filed else "Already filed"
    return (
        f"{verb} `{proposal.action_id}` for council approval (status: {proposal.status}). "
        "Nothing runs until the journey council approves it."
    )


def _detected(result: Detection, outcomes: Sequence[ToolOutcome]) -> list[str]:
    found = result.breakdowns
    scope_parts = (result.scope.journey, result.scope.stage, result.scope.metric)
    scope = " / ".join(v for v in scope_parts if v) or "any journey"
    if not found:
        empty = [
            f"No significant breakdown in {scope} for the week to {result.as_of}: "
            "every series tested is within its normal range (same weekdays, prior weeks)."
        ]
        if result.breakdowns_elsewhere:
            empty.append(f"({result.breakdowns_elsewhere} breakdowns were found elsewhere.)")
        return empty
    lines: list[str] = []
    for i, bd in enumerate(found):
        if i >= 3:
            lines.append(f"…and {len(found) - 3} more in {scope}.")
            break
        lines += _breakdown(bd, outcomes, detail=i == 0)
    return lines


def _breakdown(bd: BreakdownSummary, outcomes: Sequence[ToolOutcome], *, detail: bool) -> list[str]:
    bid = bd.breakdown_id
    head = (
        f"**{md_text(bd.metric_label)} at {md_text(bd.journey)} › {md_text(bd.stage)}** went "
        f"from {bd.expected} (expected from the same weekdays of prior weeks) to {bd.current} "
        f"in {bd.window} on {format_count(bd.visits)} visits "
        f"({bd.significance or format_p(bd.p_value)}); estimated loss "
        f"{bd.loss_per_week} per week."
    )
    lines = [head, ""]
    if not detail:
        if bd.top_cause:
            lines.append(f"  Top cause: {md_text(bd.top_cause)} ({bd.top_cause_kind}).")
        return [*lines, ""]
    loc = _about(outcomes, Causes, bid)
    if loc is not None:
        if loc.no_localized_cause:
            lines.append("No single segment explains it: the change is spread across the stage.")
        for c in loc.causes[:2]:
            lines.append(
                f"- Cause {c.rank}: **{md_text(c.segment)}** — {_KIND[c.kind]}: "
                f"{c.segment_before} → {c.segment_now} on {format_count(c.segment_visits)} visits, "
                f"{c.explained_share} of the change."
            )
    quotes = _about(outcomes, Quotes, bid)
    if quotes is not None and quotes.quotes:
        lines += ["", "Customers in the window say (quoted customer data):", ""]
        for q in quotes.quotes[:3]:
            qid, text = inert_quote(q.quote)
            lines += [f"> “{text}” [{qid or q.id}]", ""]
    themes = _about(outcomes, Themes, bid)
    for t in themes.themes[:2] if themes is not None else []:
        _, label = inert_quote(t.label)
        mentions = t.mentions or (
            f"{format_count(t.count)} mentions vs {format_count(t.baseline_count)} in the "
            f"baseline (lift {t.lift:.1f}× on mentions per day)"
        )
        lines.append(f"- Surging theme “{label}”: {mentions}.")
    recs = _about(outcomes, Recommendations, bid)
    if recs is not None and recs.recommendations:
        lines += ["", "Recommended fixes:", ""]
        for r in recs.recommendations:
            filed = f" — already {r.filed_status}" if r.filed_status else ""
            lines.append(
                f"{r.rank}. {md_text(r.title)} (`{r.playbook}`): {r.value_per_week} per week, "
                f"effort {r.effort}, confidence {format_percent(r.confidence)}{filed}"
            )
        if any(still_open(r.filed_status) for r in recs.recommendations):
            lines += ["", "Say `/propose N` to file fix N for council approval."]
    return [*lines, ""]


def _compared(r: Comparison) -> list[str]:
    verdict = (
        "a significant degradation" if r.significant and r.worse else "within normal variation"
    )
    return [
        f"{md_text(r.metric)} at {md_text(r.journey)} › {md_text(r.stage)}: {r.current} in "
        f"{r.window} vs {r.expected} expected ({_relative(r.relative_change_pct)}, "
        f"{r.significance or format_p(r.p_value)}, {format_count(r.visits)} visits) — "
        f"{verdict} on its own.",
        "",
    ]


def _actions(r: ActionList) -> list[str]:
    if not r.actions:
        return ["No actions match."]
    lines = [f"{r.total} action(s):"]
    for a in r.actions:
        lines.append(
            f"- `{a.action_id}` {md_text(a.title)} ({md_text(a.journey)}, `{a.playbook}`): "
            f"{a.status}, {a.value_per_week} per week"
        )
    return lines


def _relative(pct: float | None) -> str:
    return "no baseline to compare" if pct is None else f"{pct:+.1f}% relative"


def _all(outcomes: Sequence[ToolOutcome], kind: type[R]) -> list[R]:
    return [o.result for o in outcomes if isinstance(o.result, kind)]


def _about(outcomes: Sequence[ToolOutcome], kind: type[R], breakdown_id: str) -> R | None:
    """Return the first result of `kind` asked about `breakdown_id`."""
    for o in outcomes:
        if isinstance(o.result, kind) and o.arguments.get("breakdown_id") == breakdown_id:
            return o.result
    return None
