"""Fix recommendation: match playbooks to a breakdown's cause and rank them by money."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from store.findings import Breakdown, Recommendation

PlaybookKind = Literal["rate_change", "mix_shift", "tracking_gap", "unlocalized"]
_EFFORT_WEEKS = {"S": 1.0, "M": 2.0, "L": 4.0}
# Pseudo-outcomes at the playbook's configured recovery rate: a playbook with no history
# keeps its configured rate, and a few checks only move it part of the way.
PRIOR_OUTCOMES = 4.0


class Playbook(BaseModel):
    """A fix the agent may recommend, from the `[playbooks.*]` tables of config.toml."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""
    title: str
    metrics: list[str] = []
    kinds: list[PlaybookKind]
    requires_dimension: list[str] = []
    effort: Literal["S", "M", "L"]
    expected_recovery: float = Field(gt=0, le=1)
    cost: float = Field(ge=0)
    evaluation_days: int = Field(ge=1)
    workflow: str


def applicable(playbook: Playbook, breakdown: Breakdown) -> bool:
    """Return whether a playbook addresses this breakdown's metric and top cause."""
    if playbook.metrics and breakdown.metric not in playbook.metrics:
        return False
    top = breakdown.causes[0] if breakdown.causes else None
    kind: PlaybookKind = top.kind if top is not None else "unlocalized"
    if kind not in playbook.kinds:
        return False
    segment = top.segment if top is not None else {}
    return all(dim in segment for dim in playbook.requires_dimension)


def rank_fixes(
    breakdown: Breakdown,
    playbooks: Mapping[str, Playbook],
    *,
    track_record: Mapping[str, tuple[int, int]] | None = None,
    limit: int = 3,
) -> list[Recommendation]:
    """Rank the applicable playbooks by expected money recovered per week.

    Expected value = weekly loss × share explained by the top cause × the playbook's
    recovery rate; ties go to less effort. `track_record` maps a playbook to its
    (recovered, checked) outcomes (store.gate.outcomes.track_record); the recovery rate, and
    with it the recommendation's confidence, is then the configured rate updated by those
    outcomes, so a playbook with no history is neither helped nor hurt.
    """
    loss = breakdown.impact.per_week
    explained = min(max(breakdown.causes[0].explained_share, 0.0), 1.0) if breakdown.causes else 1.0
    base_conf = _confidence(breakdown)
    ranked: list[tuple[float, float, Playbook, float]] = []
    for pb in playbooks.values():
        if not applicable(pb, breakdown):
            continue
        recovery = recovery_rate(pb, (track_record or {}).get(pb.id, (0, 0)))
        value = loss * explained * recovery
        ranked.append((value, _EFFORT_WEEKS[pb.effort], pb, base_conf * (0.5 + 0.5 * recovery)))
    ranked.sort(key=lambda r: (-r[0], r[1], r[2].id))
    return [
        Recommendation(
            rank=i,
            title=pb.title,
            playbook=pb.id,
            expected_value_per_week=round(value, 2),
            effort=pb.effort,
            confidence=round(conf, 2),
        )
        for i, (value, _, pb, conf) in enumerate(ranked[:limit], start=1)
    ]


def recovery_rate(playbook: Playbook, record: tuple[int, int]) -> float:
    """Return the playbook's expected recovery given its (recovered, checked) outcomes."""
    won, checked = record
    won = min(max(won, 0), max(checked, 0))
    prior = PRIOR_OUTCOMES * playbook.expected_recovery
    return (prior + won) / (PRIOR_OUTCOMES + max(checked, 0))


def _confidence(breakdown: Breakdown) -> float:
    """Return how sure we are of the diagnosis: significance, localization and evidence."""
    conf = 0.4
    if breakdown.p_value < 1e-6:
        conf += 0.2
    if breakdown.causes:
        conf += 0.25 * min(max(breakdown.causes[0].explained_share, 0.0), 1.0)
    if breakdown.quotes:
        conf += 0.15
    return min(conf, 0.99)
