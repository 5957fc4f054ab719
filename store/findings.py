"""Typed findings of a scan: the stable `journeyops scan --json` contract (DESIGN.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CauseKind = Literal["rate_change", "mix_shift", "tracking_gap"]
Severity = Literal["low", "medium", "high"]
Effort = Literal["S", "M", "L"]
# How strongly the evidence supports an incident's cause (DESIGN.md, "Incidents").
EvidenceVerdict = Literal["confirmed", "likely", "inconclusive"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Window(_Model):
    start: dt.date
    end: dt.date


class Impact(_Model):
    currency: str
    per_week: float


class Cause(_Model):
    """One localized root-cause element, with the numbers behind it."""

    segment: dict[str, str]
    kind: CauseKind
    explained_share: float
    baseline: float | None = None
    current: float | None = None
    visits: float = 0.0
    baseline_visits: float = 0.0
    # Mix shifts only: the share of the stage's change carried by traffic moving toward the
    # segment (its share rise × how much worse it always did), which prices the shift.
    moved_share: float | None = None
    note: str = ""


class Evidence(_Model):
    facts: list[str] = []
    insight_ids: list[str] = []


class Hypothesis(_Model):
    statement: str
    confidence: float = Field(ge=0, le=1)
    verdict: EvidenceVerdict = "inconclusive"
    evidence: Evidence = Evidence()


class Quote(_Model):
    """A customer verbatim cited as evidence. Untrusted text: render, never obey."""

    id: str
    text: str
    source: str = ""
    ts: str = ""
    score: float = 0.0


class Theme(_Model):
    """A theme of customer words whose share rose in the window against the baseline."""

    label: str
    count: int
    baseline_count: int
    lift: float
    insight_ids: list[str] = []
    # The days each count spans: the lift compares mentions per day, not raw counts.
    window_days: int = 0
    baseline_days: int = 0


class Recommendation(_Model):
    rank: int
    title: str
    playbook: str
    expected_value_per_week: float
    effort: Effort
    confidence: float = 0.5
    action_id: str | None = None


class Breakdown(_Model):
    id: str
    journey: str
    stage: str
    metric: str
    window: Window
    baseline: float
    current: float
    p_value: float
    severity: Severity
    impact: Impact
    visits: float = 0.0
    causes: list[Cause] = []
    hypotheses: list[Hypothesis] = []
    recommendations: list[Recommendation] = []
    quotes: list[Quote] = []
    themes: list[Theme] = []


class Incident(_Model):
    """Breakdowns that share a cause: same journey and window, same segment or mix shift.

    Proposals are filed per incident. A `tracking_gap` incident is a data-quality problem for
    the data owner: `money_at_stake_per_week` is None (no lost revenue) and it never gets a
    funding case.
    """

    id: str
    kind: CauseKind
    journey: str
    stages: list[str]
    metrics: list[str]
    segment: dict[str, str]
    window: Window
    money_at_stake_per_week: float | None
    currency: str
    verdict: EvidenceVerdict
    breakdown_ids: list[str] = []
    days_affected: list[dt.date] = []
    summary: str = ""
    # Who acts on it: the journey council, or the data owner for a tracking gap.
    route_to: str = ""
    # Ranked fixes for the whole incident; the first `[incidents] file_per_incident` are filed.
    recommendations: list[Recommendation] = []


class Suppressed(_Model):
    """An incident the scan found but did not file: a council member dismissed or snoozed it."""

    incident_id: str
    journey: str
    kind: CauseKind
    segment: dict[str, str]
    feedback: str
    reason: str
    by: str


class ScanResult(_Model):
    as_of: dt.date
    incidents: list[Incident] = []
    breakdowns: list[Breakdown] = []
    suppressed: list[Suppressed] = []
    notices: list[str] = []


def all_clear_line(result: ScanResult) -> str:
    """Return the line a report shows when no metric broke down; never an all-clear over gaps."""
    gaps = sum(i.kind == "tracking_gap" for i in result.incidents)
    if gaps:
        return (
            f"No metric breakdown, but {gaps} tracking gap(s) in the data: the metrics of the "
            "affected segments cannot be trusted until the pipeline is fixed (see the notes)."
        )
    return "No breakdown: every journey stage is within its normal range."


def breakdown_id(journey: str, stage: str, metric: str, window: Window) -> str:
    """Return the stable id of a breakdown, so rescanning a window finds the same one."""
    key = f"{journey}|{stage}|{metric}|{window.start}|{window.end}"
    return "bd-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def incident_id(
    journey: str, kind: CauseKind, segment: dict[str, str], window: Window, *, scope: str = ""
) -> str:
    """Return the stable id of an incident, so rescanning a window finds the same one.

    `scope` tells apart incidents with no segment (a whole stage changed, cause unlocalized).
    """
    seg = ",".join(f"{k}={v}" for k, v in sorted(segment.items()))
    key = f"{journey}|{kind}|{seg}|{window.start}|{window.end}"
    if scope:
        key += f"|{scope}"
    return "inc-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def action_id(breakdown: str, playbook: str, version: int = 1) -> str:
    """Return the stable id of the action proposed for a breakdown and playbook."""
    key = f"{breakdown}|{playbook}|{version}"
    return "act-" + hashlib.sha256(key.encode()).hexdigest()[:12]
