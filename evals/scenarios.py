"""Planted-incident scenarios: generate, scan, and score detection and diagnosis.

Every scenario is a fresh workspace built by the demo generator with its own random
incidents (or none: incident-free weeks matter as much as incidents), scanned through the
product's own CLI code path. Scoring matches breakdowns to incidents by journey, stage and
metric.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from evals._scenario_run import ScenarioResult, run_one, sample_incidents
from evals.demo import Incident
from store.findings import Breakdown

# The playbook a demanding journey owner would pick first, by cause kind and metric.
_EXPECTED_PLAYBOOK = {
    ("tracking_gap", None): "fix_tracking",
    ("mix_shift", None): "review_acquisition_mix",
    ("rate_change", "duration"): "staff_queue",
    ("rate_change", "csat"): "first_contact_resolution",
    ("rate_change", "repeat_contact_rate"): "first_contact_resolution",
}


class ScenarioScore(BaseModel):
    """The `journeyops eval scenarios --json` contract (plus counts behind the rates)."""

    scenarios: int
    incidents: int
    breakdowns: int
    recall: float
    precision: float
    false_alarms_per_100_stage_weeks: float
    segment_exact: float
    kind_accuracy: float
    playbook_top1: float
    misses: list[str] = []


def expected_playbook(incident: Incident) -> str:
    """Return the playbook that should rank first for a planted incident."""
    if incident.kind != "rate_change":
        return _EXPECTED_PLAYBOOK[(incident.kind, None)]
    if incident.metric in ("duration", "csat", "repeat_contact_rate"):
        return _EXPECTED_PLAYBOOK[("rate_change", incident.metric)]
    if "app_version" in incident.segment:
        return "rollback_release"
    return "fix_payment_path"


def _explains(incident: Incident, bd: Breakdown) -> bool:
    """Return whether a breakdown is a planted incident (or its mix shift seen elsewhere).

    A journey's traffic mix moves at every stage, so a mix-shift breakdown of the same
    journey naming the planted segment is the incident seen from another stage or metric.
    """
    same_stage = (bd.journey, bd.stage) == (incident.journey, incident.stage)
    if same_stage and bd.metric in (incident.metric, *incident.also_metrics):
        return True
    top = bd.causes[0] if bd.causes else None
    return (
        incident.kind == "mix_shift"
        and bd.journey == incident.journey
        and top is not None
        and top.kind == "mix_shift"
        and top.segment == incident.segment
    )


def score(results: Sequence[ScenarioResult]) -> ScenarioScore:
    """Score scans against their ground truth."""
    found = seg_ok = kind_ok = pb_ok = 0
    incidents = breakdowns = matched_bd = false_alarms = clean_stage_weeks = 0
    misses: list[str] = []
    for r in results:
        touched = {(i.journey, i.stage) for i in r.truth.incidents}
        for journey, stages in r.stages.items():
            clean_stage_weeks += sum((journey, s) not in touched for s in stages)
        for bd in r.scan.breakdowns:
            breakdowns += 1
            hit = any(_explains(i, bd) for i in r.truth.incidents)
            matched_bd += hit
            false_alarms += not hit and (bd.journey, bd.stage) not in touched
        for inc in r.truth.incidents:
            incidents += 1
            match = [
                b
                for b in r.scan.breakdowns
                if (b.journey, b.stage, b.metric) == (inc.journey, inc.stage, inc.metric)
            ]
            if not match:
                misses.append(
                    f"{inc.journey}/{inc.stage}/{inc.metric} {inc.kind} {inc.segment}: missed"
                )
                continue
            found += 1
            top = match[0].causes[0] if match[0].causes else None
            seg_ok += top is not None and top.segment == inc.segment
            kind_ok += top is not None and top.kind == inc.kind
            recs = match[0].recommendations
            pb_ok += bool(recs) and recs[0].playbook == expected_playbook(inc)
            if top is None or top.segment != inc.segment or top.kind != inc.kind:
                got = f"{top.segment} {top.kind}" if top else "no cause"
                misses.append(
                    f"{inc.journey}/{inc.stage}/{inc.metric} {inc.kind} {inc.segment}: got {got}"
                )
    return ScenarioScore(
        scenarios=len(results),
        incidents=incidents,
        breakdowns=breakdowns,
        recall=_rate(found, incidents),
        precision=_rate(matched_bd, breakdowns),
        false_alarms_per_100_stage_weeks=round(100.0 * false_alarms / max(clean_stage_weeks, 1), 3),
        segment_exact=_rate(seg_ok, found),
        kind_accuracy=_rate(kind_ok, found),
        playbook_top1=_rate(pb_ok, found),
        misses=misses,
    )


def _rate(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def run_scenarios(
    *,
    seed: int,
    count: int,
    scale: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> ScenarioScore:
    """Generate `count` scenarios from `seed`, scan each through the CLI and score them."""
    rng = random.Random(seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="journeyops-scenarios-") as tmp:
        for i in range(count):
            incidents = sample_incidents(rng, empty=(i % 4 == 3))
            results.append(
                run_one(
                    Path(tmp) / f"s{i}",
                    seed=rng.randrange(1 << 30),
                    scale=scale,
                    incidents=incidents,
                )
            )
            if progress:
                progress(i + 1, count)
    return score(results)
