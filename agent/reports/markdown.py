"""The scan report as Markdown, written to the workspace next to the terminal report."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agent.reports.incidents import COLUMNS, incident_rows, suppressed_line
from store.catalog import MetricDef
from store.findings import Breakdown, ScanResult
from tools.units import format_money, format_segment, format_value

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def quote_inert(text: str) -> str:
    """Render untrusted customer text inert for Markdown: one line, every markup char escaped."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def render_markdown(
    result: ScanResult,
    metrics: Mapping[str, MetricDef],
    pending: Sequence[Mapping[str, object]],
) -> str:
    """Return the whole report: breakdowns, causes, evidence, fixes and pending actions."""
    lines = [f"# journeyops scan — week to {result.as_of}", ""]
    if not result.breakdowns:
        lines += ["No breakdown: every journey stage is within its normal range.", ""]
    lines += _incidents(result)
    for bd in result.breakdowns:
        lines += _breakdown(bd, metrics[bd.metric])
    lines += ["## Actions waiting for council approval", ""]
    if pending:
        lines += [
            "| action | journey | playbook | expected value / week | status |",
            "|---|---|---|---|---|",
        ]
        for a in pending:
            lines.append(
                f"| `{a['id']}` | {a['journey_id']} | {a['playbook']} | "
                f"{float(str(a['expected_value_per_week'])):,.0f} | {a['status']} |"
            )
        lines += ["", "Decide with `journeyops actions approve ID --as USER --reason TEXT`."]
    else:
        lines.append("None.")
    for notice in result.notices:
        lines += ["", f"> note: {quote_inert(notice)}"]
    return "\n".join(lines) + "\n"


def _incidents(result: ScanResult) -> list[str]:
    lines: list[str] = []
    if result.incidents:
        lines += ["## Incidents", "", "| " + " | ".join(COLUMNS) + " |"]
        lines.append("|" + "---|" * len(COLUMNS))
        for row in incident_rows(result.incidents):
            lines.append("| " + " | ".join(quote_inert(cell) for cell in row) + " |")
        lines.append("")
    if line := suppressed_line(result.suppressed):
        lines += [quote_inert(line), ""]
    return lines


def _breakdown(bd: Breakdown, metric: MetricDef) -> list[str]:
    lines = [
        f"## {bd.journey} / {bd.stage}: {metric.label} ({bd.severity})",
        "",
        f"- {format_value(metric, bd.baseline)} expected → {format_value(metric, bd.current)} "
        f"in {bd.window.start} … {bd.window.end}, {bd.visits:,.0f} visits, p = {bd.p_value:.2g}",
        f"- impact: {format_money(bd.impact.per_week, bd.impact.currency)} per week",
        f"- id: `{bd.id}`",
        "",
        "### Causes",
        "",
    ]
    if bd.causes:
        lines += [
            "| segment | kind | before → now | visits | share of change |",
            "|---|---|---|---|---|",
        ]
        for c in bd.causes:
            lines.append(
                f"| {format_segment(c.segment)} | {c.kind} | {format_value(metric, c.baseline)} → "
                f"{format_value(metric, c.current)} | {c.visits:,.0f} | {c.explained_share:.0%} |"
            )
    else:
        lines.append("No localized cause: the change is spread across the stage.")
    lines += ["", "### Hypotheses", ""]
    for h in bd.hypotheses:
        lines.append(f"- ({h.confidence:.0%}, {h.verdict}) {quote_inert(h.statement)}")
        for fact in h.evidence.facts:
            lines.append(f"  - {quote_inert(fact)}")
    if bd.quotes:
        lines += ["", "### Customer evidence (quoted, untrusted)", ""]
        for q in bd.quotes:
            lines.append(f"> `{q.id}` ({q.source} {q.ts[:10]}): {quote_inert(q.text)}")
            lines.append(">")
    if bd.themes:
        lines += ["", "### Surging themes", ""]
        for t in bd.themes:
            lines.append(
                f"- {quote_inert(t.label)}: {t.count} vs {t.baseline_count} in baseline "
                f"(lift {t.lift:.1f}×)"
            )
    lines += [
        "",
        "### Ranked fixes",
        "",
        "| # | fix | expected value / week | effort | action |",
        "|---|---|---|---|---|",
    ]
    for r in bd.recommendations:
        lines.append(
            f"| {r.rank} | {r.title} "
            f"| {format_money(r.expected_value_per_week, bd.impact.currency)} "
            f"| {r.effort} | `{r.action_id or '-'}` |"
        )
    return [*lines, ""]
