"""The scan report as Markdown, written to the workspace next to the terminal report.

Every field from data goes through `agent.reports.escape` (`md_text`, `md_cell`) and every
number through `tools.units`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agent.reports.escape import md_cell, md_text
from agent.reports.incidents import COLUMNS, incident_rows, suppressed_line
from store.catalog import MetricDef
from store.findings import Breakdown, ScanResult, Theme, all_clear_line
from tools.units import (
    format_count,
    format_money,
    format_p,
    format_percent,
    format_segment,
    format_share,
    format_value,
    theme_mentions,
)

# Older name of `md_text`, kept for the modules and tests that quote customer text with it.
quote_inert = md_text


def render_markdown(
    result: ScanResult,
    metrics: Mapping[str, MetricDef],
    pending: Sequence[Mapping[str, object]],
) -> str:
    """Return the whole report: breakdowns, causes, evidence, fixes and pending actions."""
    lines = [f"# journeyops scan — week to {result.as_of}", ""]
    if not result.breakdowns:
        lines += [all_clear_line(result), ""]
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
            cells = (str(a["id"]), str(a["journey_id"]), str(a["playbook"]))
            action, journey, playbook = (md_cell(c) for c in cells)
            lines.append(
                f"| {action} | {journey} | {playbook} | "
                f"{format_count(float(str(a['expected_value_per_week'])))} | "
                f"{md_cell(str(a['status']))} |"
            )
        lines += ["", "Decide with `journeyops actions approve ID --reason TEXT` (your token set)."]
    else:
        lines.append("None.")
    for notice in result.notices:
        lines += ["", f"> note: {md_text(notice)}"]
    return "\n".join(lines) + "\n"


def theme_line(theme: Theme) -> str:
    """Return a surging theme as Markdown: its label (data) and its mentions now and before."""
    return f"{md_text(theme.label)}: {theme_mentions(theme)}"


def _incidents(result: ScanResult) -> list[str]:
    lines: list[str] = []
    if result.incidents:
        lines += ["## Incidents", "", "| " + " | ".join(COLUMNS) + " |"]
        lines.append("|" + "---|" * len(COLUMNS))
        for row in incident_rows(result.incidents):
            lines.append("| " + " | ".join(md_cell(cell) for cell in row) + " |")
        lines.append("")
    if line := suppressed_line(result.suppressed):
        lines += [md_text(line), ""]
    return lines


def _breakdown(bd: Breakdown, metric: MetricDef) -> list[str]:
    lines = [
        f"## {md_text(bd.journey)} / {md_text(bd.stage)}: {md_text(metric.label)} ({bd.severity})",
        "",
        f"- {format_value(metric, bd.baseline)} expected → {format_value(metric, bd.current)} "
        f"in {bd.window.start} … {bd.window.end}, {format_count(bd.visits)} visits, "
        f"{format_p(bd.p_value)}",
        f"- impact: {format_money(bd.impact.per_week, bd.impact.currency)} per week",
        f"- id: {md_text(bd.id)}",
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
                f"| {format_segment(c.segment, md_cell)} | {c.kind} | "
                f"{format_value(metric, c.baseline)} → {format_value(metric, c.current)} | "
                f"{format_count(c.visits)} | {format_share(c.explained_share)} |"
            )
    else:
        lines.append("No localized cause: the change is spread across the stage.")
    lines += ["", "### Hypotheses", ""]
    for h in bd.hypotheses:
        lines.append(f"- ({format_percent(h.confidence)}, {h.verdict}) {md_text(h.statement)}")
        for fact in h.evidence.facts:
            lines.append(f"  - {md_text(fact)}")
    if bd.quotes:
        lines += ["", "### Customer evidence (quoted, untrusted)", ""]
        for q in bd.quotes:
            lines.append(
                f"> {md_text(q.id)} ({md_text(q.source)} {md_text(q.ts[:10])}): {md_text(q.text)}"
            )
            lines.append(">")
    if bd.themes:
        lines += ["", "### Surging themes", ""]
        lines += [f"- {theme_line(t)}" for t in bd.themes]
    lines += [
        "",
        "### Ranked fixes",
        "",
        "| # | fix | expected value / week | effort | action |",
        "|---|---|---|---|---|",
    ]
    for r in bd.recommendations:
        lines.append(
            f"| {r.rank} | {md_cell(r.title)} "
            f"| {format_money(r.expected_value_per_week, bd.impact.currency)} "
            f"| {r.effort} | {md_cell(r.action_id) if r.action_id else '-'} |"
        )
    return [*lines, ""]
