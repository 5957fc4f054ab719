"""The templated answer: what the tools of one turn found, in words, numbers as returned.

The offline planner answers with it, and it replaces a model's answer that fails the
grounding guard twice, so every number in it is copied from a tool result, never computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent.chat.tools.registry import ToolOutcome
from agent.reports.markdown import quote_inert

_FENCE = re.compile(r'<customer_quote id="([^"]*)"[^>]*>(.*?)</customer_quote>', re.S)
_KIND = {
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
    by_name: dict[str, list[ToolOutcome]] = {}
    for o in outcomes:
        by_name.setdefault(o.name, []).append(o)
    lines: list[str] = []
    for o in by_name.get("detect_breakdowns", []):
        if o.ok and o.result is not None:
            lines += _detected(o.result, by_name)
    for o in by_name.get("compare_periods", []):
        if o.ok and o.result is not None:
            lines += _compared(o.result)
    for o in by_name.get("list_actions", []):
        if o.ok and o.result is not None:
            lines += _actions(o.result)
    for o in by_name.get("propose_action", []):
        if o.ok and o.result is not None:
            r = o.result
            verb = "Filed" if r.get("newly_filed") else "Already filed"
            lines.append(
                f"{verb} `{r['action_id']}` for council approval (status: {r['status']}). "
                "Nothing runs until the journey council approves it."
            )
    for o in outcomes:
        if not o.ok:
            lines.append(f"I could not run `{o.name}`: {o.error}")
    return "\n".join(lines).strip() or "I found nothing to report for that question."


def _detected(result: Mapping[str, Any], by_name: Mapping[str, list[ToolOutcome]]) -> list[str]:
    found = result.get("breakdowns", [])
    scope = " / ".join(v for v in result.get("scope", {}).values() if v) or "any journey"
    if not found:
        empty = [
            f"No significant breakdown in {scope} for the week to {result['as_of']}: "
            "every series tested is within its normal range (same weekdays, prior weeks)."
        ]
        if result.get("breakdowns_elsewhere"):
            empty.append(f"({result['breakdowns_elsewhere']} breakdowns were found elsewhere.)")
        return empty
    lines: list[str] = []
    for i, bd in enumerate(found):
        if i >= 3:
            lines.append(f"…and {len(found) - 3} more in {scope}.")
            break
        lines += _breakdown(bd, by_name, detail=i == 0)
    return lines


def _breakdown(
    bd: Mapping[str, Any], by_name: Mapping[str, list[ToolOutcome]], *, detail: bool
) -> list[str]:
    bid = bd["breakdown_id"]
    head = (
        f"**{bd['metric_label']} at {bd['journey']} › {bd['stage']}** went from {bd['expected']} "
        f"(expected from the same weekdays of prior weeks) to {bd['current']} in "
        f"{bd['window']} on {bd['visits']:,} visits (p={bd['p_value']:.2g}); estimated loss "
        f"{bd['loss_per_week']} per week."
    )
    lines = [head, ""]
    if not detail:
        if bd.get("top_cause"):
            lines.append(f"  Top cause: {bd['top_cause']} ({bd['top_cause_kind']}).")
        return [*lines, ""]
    loc = _for(by_name, "localize", bid)
    if loc is not None:
        if loc.get("no_localized_cause"):
            lines.append("No single segment explains it: the change is spread across the stage.")
        for c in loc.get("causes", [])[:2]:
            lines.append(
                f"- Cause {c['rank']}: **{c['segment']}** — {_KIND.get(c['kind'], c['kind'])}: "
                f"{c['segment_before']} → {c['segment_now']} on {c['segment_visits']:,} visits, "
                f"{c['explained_share']} of the change."
            )
    quotes = _for(by_name, "search_insights", bid)
    if quotes is not None and quotes.get("quotes"):
        lines += ["", "Customers in the window say (quoted customer data):", ""]
        for q in quotes["quotes"][:3]:
            qid, text = inert_quote(q["quote"])
            lines += [f"> “{text}” [{qid or q['id']}]", ""]
    themes = _for(by_name, "theme_surges", bid)
    for t in (themes or {}).get("themes", [])[:2]:
        _, label = inert_quote(t["label"])
        lines.append(
            f"- Surging theme “{label}”: {t['count']} mentions vs {t['baseline_count']} "
            f"in the baseline (lift {t['lift']}×)."
        )
    recs = _for(by_name, "recommend_fixes", bid)
    if recs is not None and recs.get("recommendations"):
        lines += ["", "Recommended fixes:", ""]
        for r in recs["recommendations"]:
            filed = f" — already {r['filed_status']}" if r.get("filed_status") else ""
            lines.append(
                f"{r['rank']}. {r['title']} (`{r['playbook']}`): {r['value_per_week']} per week, "
                f"effort {r['effort']}, confidence {r['confidence']}{filed}"
            )
        lines += ["", "Say `/propose N` to file fix N for council approval."]
    return [*lines, ""]


def _compared(r: Mapping[str, Any]) -> list[str]:
    verdict = (
        "a significant degradation"
        if r.get("significant") and r.get("worse")
        else "within normal variation"
    )
    return [
        f"{r['metric']} at {r['journey']} › {r['stage']}: {r['current']} in {r['window']} vs "
        f"{r['expected']} expected ({r['relative_change_pct']}% relative, p={r['p_value']:.2g}, "
        f"{r['visits']:,} visits) — {verdict} on its own.",
        "",
    ]


def _actions(r: Mapping[str, Any]) -> list[str]:
    items = r.get("actions", [])
    if not items:
        return ["No actions match."]
    lines = [f"{r['total']} action(s):"]
    for a in items:
        lines.append(
            f"- `{a['action_id']}` {a['title']} ({a['journey']}, `{a['playbook']}`): "
            f"{a['status']}, {a['value_per_week']} per week"
        )
    return lines


def _for(
    by_name: Mapping[str, list[ToolOutcome]], name: str, breakdown_id: str
) -> Mapping[str, Any] | None:
    for o in by_name.get(name, []):
        if o.ok and o.result is not None and o.arguments.get("breakdown_id") == breakdown_id:
            return o.result
    return None
