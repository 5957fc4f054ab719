"""The evidence verdict of a hypothesis or an incident: confirmed, likely or inconclusive.

One rule, stated once (docs/incidents.md), used by the hypotheses, the incidents and every
page that shows them.
"""

from __future__ import annotations

from store.findings import Breakdown, Cause, EvidenceVerdict

# A localized segment must explain at least this share of the change to count as the cause.
MIN_EXPLAINED = 0.5
# A theme of customer words counts as a surge at this lift over its baseline share.
MIN_LIFT = 1.5
# The data signal of a mix shift or a tracking gap is strong at this p-value.
STRONG_P = 1e-6

_ORDER: dict[EvidenceVerdict, int] = {"inconclusive": 0, "likely": 1, "confirmed": 2}


def evidence_verdict(bd: Breakdown, cause: Cause | None) -> EvidenceVerdict:
    """Return how strongly the evidence supports `cause` as the reason `bd` broke.

    A rate change is `confirmed` when three independent signals agree: a segment explains at
    least half the change, customers in that segment say so (quotes), and a theme of their
    words surged; `likely` when the segment and one of the two word signals agree. A mix
    shift or a tracking gap shows in the data itself, not in what customers say: `confirmed`
    when it explains at least half the change at p < 1e-6, `likely` when it explains at
    least half. Anything else, or no localized cause, is `inconclusive`.
    """
    if cause is None or cause.explained_share < MIN_EXPLAINED:
        return "inconclusive"
    if cause.kind != "rate_change":
        return "confirmed" if bd.p_value < STRONG_P else "likely"
    words = bool(bd.quotes)
    surge = any(t.lift >= MIN_LIFT for t in bd.themes)
    if words and surge:
        return "confirmed"
    return "likely" if words or surge else "inconclusive"


def strongest(verdicts: list[EvidenceVerdict]) -> EvidenceVerdict:
    """Return the strongest of several verdicts (`inconclusive` for none)."""
    return max(verdicts, key=lambda v: _ORDER[v], default="inconclusive")
