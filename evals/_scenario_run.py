"""One scenario: sample incidents, generate the data, run the product's scan on it."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from pydantic import BaseModel

from agent.config import load_settings
from agent.context import build_context
from agent.investigate.scan import run_scan
from agent.workspace import Workspace
from evals.demo import GroundTruth, Incident, generate
from evals.demo._events import VALUES
from evals.demo._journeys import DIMENSIONS, JOURNEYS
from store.findings import ScanResult
from store.journeys import save_journeys
from store.journeys.file import load_journeys_file


class ScenarioResult(BaseModel):
    truth: GroundTruth
    scan: ScanResult
    stages: dict[str, list[str]]


END = dt.date(2026, 3, 31)
_SHARE = {d: dict(zip(v[0], v[1], strict=True)) for d, v in DIMENSIONS.items()}


def _segments(rng: random.Random) -> dict[str, str]:
    """Draw a segment large enough to matter: one value (≥ 18%) or two (≥ 10%)."""
    while True:
        dims = rng.sample(["channel", "device", "region", "segment", "plan"], rng.choice([1, 1, 2]))
        seg = {d: rng.choice(VALUES[d]) for d in dims}
        share = 1.0
        for d, v in seg.items():
            share *= _SHARE[d][v]
        if share >= (0.18 if len(seg) == 1 else 0.1):
            return seg


def sample_incidents(rng: random.Random, *, empty: bool) -> list[Incident]:
    """Draw one to three incidents on distinct stages (none for an incident-free week)."""
    if empty:
        return []
    start = END - dt.timedelta(days=6)
    out: list[Incident] = []
    used: set[tuple[str, str]] = set()
    for n in range(rng.choice([1, 2, 3])):
        kind = rng.choice(
            ["rate_change", "rate_change", "rate_change", "mix_shift", "tracking_gap"]
        )
        if kind == "mix_shift":
            journey, stage, metric = "password_reset", "verify_identity", "conversion"
            segment, magnitude = {"channel": "phone"}, rng.uniform(0.35, 0.55)
        else:
            j = rng.choice(JOURNEYS)
            journey, stage = j.id, rng.choice(j.stages).id
            metrics = ["conversion"] + (["duration"] if kind == "rate_change" else [])
            metrics += ["csat"] if kind == "rate_change" and j.csat_share >= 0.2 else []
            metric = rng.choice(metrics)
            segment = _segments(rng)
            magnitude = {
                "conversion": rng.uniform(0.25, 0.4),
                "duration": rng.uniform(0.5, 0.8),
                "csat": rng.uniform(1.6, 2.2),
            }[metric]
        if (journey, stage) in used:
            continue
        used.add((journey, stage))
        out.append(
            Incident(
                id=f"inc-{n + 1}",
                journey=journey,
                stage=stage,
                metric=metric,
                kind=kind,
                segment=segment,
                start=start,
                end=END,
                magnitude=magnitude,
                also_metrics=["cost_to_serve"] if metric == "duration" else [],
            )
        )
    return out


def run_one(folder: Path, *, seed: int, scale: float, incidents: list[Incident]) -> ScenarioResult:
    """Generate one scenario into `folder` and scan it with the product's own code path."""
    rng = random.Random(seed)
    holidays = [END - dt.timedelta(days=rng.randint(8, 34))] if rng.random() < 0.5 else []
    manifest = generate(
        folder / "data", seed=seed, scale=scale, end=END, incidents=incidents, holidays=holidays
    )
    settings = load_settings()
    settings = settings.model_copy(
        update={"detection": settings.detection.model_copy(update={"holidays": holidays})}
    )
    ctx = build_context(settings, Workspace.resolve(folder / "home"), with_insights=False)
    with ctx.sessions.begin() as session:
        save_journeys(session, specs=load_journeys_file(manifest.journeys_file))
    ctx.warehouse.ingest_events(manifest.events_file)
    outcome = run_scan(ctx, propose=False)
    ctx.warehouse.close()
    truth = GroundTruth.model_validate_json(manifest.ground_truth_file.read_text(encoding="utf-8"))
    return ScenarioResult(
        truth=truth, scan=outcome.result, stages={j.id: [s.id for s in j.stages] for j in JOURNEYS}
    )
