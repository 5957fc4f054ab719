"""The scan report for the terminal (rich).

Every field from data is a `Text` built by `terminal_text` (no escapes, never markup), and
every number is formatted by `tools.units`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.reports.escape import one_line, terminal_text
from agent.reports.incidents import incident_table, suppressed_line
from store.catalog import MetricDef
from store.findings import Breakdown, ScanResult, all_clear_line
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

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def print_report(
    console: Console,
    result: ScanResult,
    metrics: Mapping[str, MetricDef],
    pending: Sequence[Mapping[str, object]],
) -> None:
    """Print breakdowns, causes, evidence, ranked fixes and the actions awaiting approval."""
    console.rule(terminal_text(f"journeyops scan — week to {result.as_of}"))
    if not result.breakdowns:
        console.print(all_clear_line(result))
    if result.incidents:
        console.print(incident_table(result.incidents))
    if line := suppressed_line(result.suppressed):
        console.print(terminal_text(line))
    for bd in result.breakdowns:
        console.print(_breakdown_panel(bd, metrics[bd.metric]))
    table = Table(title="Actions waiting for council approval", show_lines=False)
    table.add_column("action", no_wrap=True, min_width=16)
    for col in ("journey", "playbook", "value / week", "status"):
        table.add_column(col, overflow="fold")
    for a in pending:
        table.add_row(
            terminal_text(str(a["id"])),
            terminal_text(str(a["journey_id"])),
            terminal_text(str(a["playbook"])),
            format_count(float(str(a["expected_value_per_week"]))),
            terminal_text(str(a["status"])),
        )
    console.print(table)
    for notice in result.notices:
        console.print(terminal_text(f"note: {notice}", style="dim"))


def _breakdown_panel(bd: Breakdown, metric: MetricDef) -> Panel:
    head = Text()
    head.append(
        f"{format_value(metric, bd.baseline)} expected → {format_value(metric, bd.current)}"
    )
    head.append(f"   {format_count(bd.visits)} visits   {format_p(bd.p_value)}   ")
    head.append(f"{format_money(bd.impact.per_week, bd.impact.currency)}/week", style="bold")
    causes = Table(box=None, show_header=True, header_style="bold")
    for col in ("cause segment", "kind", "before → now", "visits", "share"):
        causes.add_column(col, overflow="fold")
    for c in bd.causes:
        causes.add_row(
            Text(format_segment(c.segment, one_line)),
            c.kind,
            f"{format_value(metric, c.baseline)} → {format_value(metric, c.current)}",
            format_count(c.visits),
            format_share(c.explained_share),
        )
    if not bd.causes:
        causes.add_row("(no localized cause)", "", "", "", "")
    parts: list[Text | Table] = [head, causes]
    for h in bd.hypotheses[:1]:
        parts.append(
            Text(f"Hypothesis ({format_percent(h.confidence)}, {h.verdict}): ", style="bold")
            + terminal_text(h.statement)
        )
    for q in bd.quotes[:3]:
        parts.append(
            Text("  customer quote ", style="dim")
            + terminal_text(q.id, style="dim")
            + Text(" (untrusted): ", style="dim")
            + terminal_text(q.text[:200])
        )
    for t in bd.themes[:2]:
        parts.append(
            Text("  surging theme: ") + terminal_text(t.label) + Text(f" — {theme_mentions(t)}")
        )
    fixes = Table(box=None, show_header=True, header_style="bold")
    for col in ("#", "fix", "value / week", "effort"):
        fixes.add_column(col)
    fixes.add_column("action", no_wrap=True, min_width=16)
    for r in bd.recommendations:
        fixes.add_row(
            str(r.rank),
            terminal_text(r.title),
            format_money(r.expected_value_per_week, bd.impact.currency),
            r.effort,
            terminal_text(r.action_id or "-"),
        )
    parts.append(fixes)
    title = terminal_text(f"{bd.journey} / {bd.stage} — {metric.label} [{bd.severity}]")
    return Panel(Group(*parts), title=title, border_style=_SEVERITY_STYLE[bd.severity])
