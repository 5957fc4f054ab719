"""The incidents section that leads every report: one row per shared cause, honest money.

Terminal (rich) and Markdown render the same rows from `incident_rows`, so a number or a
label never differs between the two.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from sqlalchemy.orm import Session

from agent.reports.escape import terminal_text
from store.breakdowns import latest_findings
from store.findings import Incident, Suppressed
from tools.incidents import group_incidents
from tools.units import format_money, format_segment

KIND_LABEL = {
    "rate_change": "segment got worse",
    "mix_shift": "mix shift",
    "tracking_gap": "data quality",
}
COLUMNS = ("journey", "stage(s)", "metric(s)", "segment", "kind", "verdict", "money / week")


def money_label(incident: Incident) -> str:
    """Return the incident's weekly money, or why it has none (a tracking gap loses no sales)."""
    if incident.money_at_stake_per_week is None:
        return f"none (data owner: {incident.route_to})"
    return format_money(incident.money_at_stake_per_week, incident.currency)


def incident_rows(incidents: Sequence[Incident]) -> list[tuple[str, ...]]:
    """Return one row of display strings per incident, in the order of `COLUMNS`."""
    return [
        (
            i.journey,
            ", ".join(i.stages),
            ", ".join(i.metrics),
            format_segment(i.segment),
            KIND_LABEL[i.kind],
            i.verdict,
            money_label(i),
        )
        for i in incidents
    ]


def suppressed_line(suppressed: Sequence[Suppressed]) -> str:
    """Return how many incidents council feedback suppressed, and why ("" for none)."""
    if not suppressed:
        return ""
    reasons = "; ".join(
        f"{s.journey} {format_segment(s.segment)} {s.feedback} by {s.by}: {s.reason}"
        for s in suppressed
    )
    return f"{len(suppressed)} incident(s) suppressed by council feedback ({reasons})"


def incident_table(incidents: Sequence[Incident]) -> Table:
    """Return the incidents as a rich table (every cell plain Text, never markup)."""
    table = Table(title="Incidents (breakdowns that share a cause)")
    for col in COLUMNS:
        # Names are what people search for: fold a long one onto two lines, never cut it.
        table.add_column(col, overflow="fold")
    for row in incident_rows(incidents):
        table.add_row(*(terminal_text(cell) for cell in row))
    return table


def latest_incidents(session: Session, *, data_owner: str) -> list[Incident]:
    """Return the incidents of the newest scan, regrouped from its recorded breakdowns."""
    return group_incidents(latest_findings(session), data_owner=data_owner)
