"""The scan report for the terminal (rich). Customer text is shown as plain Text, never markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.reports.incidents import incident_table, suppressed_line
from store.catalog import MetricDef
from store.findings import Breakdown, ScanResult
from tools.units import format_money, format_segment, format_value

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def print_report(
    console: Console,
    result: ScanResult,
    metrics: Mapping[str, MetricDef],
    pending: Sequence[Mapping[str, object]],
) -> None:
    """Print breakdowns, causes, evidence, ranked fixes and the actions awaiting approval."""
    console.rule(f"journeyops scan — week to {result.as_of}")
    if not result.breakdowns:
        console.print("No breakdown: every journey stage is within its normal range.")
    if result.incidents:
        console.print(incident_table(result.incidents))
    if line := suppressed_line(result.suppressed):
        console.print(Text(line))
    for bd in result.breakdowns:
        console.print(_breakdown_panel(bd, metrics[bd.metric]))
    table = Table(title="Actions waiting for council approval", show_lines=False)
    table.add_column("action", no_wrap=True, min_width=16)
    for col in ("journey", "playbook", "value / week", "status"):
        table.add_column(col)
    for a in pending:
        table.add_row(
            str(a["id"]),
            str(a["journey_id"]),
            str(a["playbook"]),
            f"{float(str(a['expected_value_per_week'])):,.0f}",
            str(a["status"]),
        )
    console.print(table)
    for notice in result.notices:
        console.print(Text(f"note: {notice}", style="dim"))


def _breakdown_panel(bd: Breakdown, metric: MetricDef) -> Panel:
    head = Text()
    head.append(
        f"{format_value(metric, bd.baseline)} expected → {format_value(metric, bd.current)}"
    )
    head.append(f"   {bd.visits:,.0f} visits   p={bd.p_value:.2g}   ")
    head.append(f"{format_money(bd.impact.per_week, bd.impact.currency)}/week", style="bold")
    causes = Table(box=None, show_header=True, header_style="bold")
    for col in ("cause segment", "kind", "before → now", "visits", "share"):
        causes.add_column(col)
    for c in bd.causes:
        causes.add_row(
            format_segment(c.segment),
            c.kind,
            f"{format_value(metric, c.baseline)} → {format_value(metric, c.current)}",
            f"{c.visits:,.0f}",
            f"{c.explained_share:.0%}",
        )
    if not bd.causes:
        causes.add_row("(no localized cause)", "", "", "", "")
    parts: list[Text | Table] = [head, causes]
    for h in bd.hypotheses[:1]:
        head_text = f"Hypothesis ({h.confidence:.0%}, {h.verdict}): "
        parts.append(Text(head_text, style="bold") + Text(h.statement))
    for q in bd.quotes[:3]:
        parts.append(
            Text(f"  customer quote {q.id} (untrusted): ", style="dim") + Text(q.text[:200])
        )
    for t in bd.themes[:2]:
        parts.append(
            Text(
                f"  surging theme: {t.label} — {t.count} vs {t.baseline_count} (lift {t.lift:.1f}×)"
            )
        )
    fixes = Table(box=None, show_header=True, header_style="bold")
    for col in ("#", "fix", "value / week", "effort"):
        fixes.add_column(col)
    fixes.add_column("action", no_wrap=True, min_width=16)
    for r in bd.recommendations:
        fixes.add_row(
            str(r.rank),
            r.title,
            format_money(r.expected_value_per_week, bd.impact.currency),
            r.effort,
            r.action_id or "-",
        )
    parts.append(fixes)
    title = f"{bd.journey} / {bd.stage} — {metric.label} [{bd.severity}]"
    return Panel(Group(*parts), title=title, border_style=_SEVERITY_STYLE[bd.severity])
