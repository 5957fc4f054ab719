"""Demo and scenario data: a small service business with planted incidents and ground truth.

`generate` writes a journeys file, events (Parquet or CSV, streamed day by day so ten
million rows never sit in memory), customer insights (JSONL) and `ground_truth.json`
listing every planted incident, so evals can score what the product finds.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from evals.demo._events import journey_day
from evals.demo._journeys import JOURNEYS, journeys_toml
from evals.demo._text import insights as make_insights
from evals.demo.truth import DemoManifest, GroundTruth, Incident

__all__ = ["DemoManifest", "GroundTruth", "Incident", "default_incidents", "generate"]


# id, journey, stage, metric, kind, segment, magnitude, also-moved metrics
_DEFAULT: list[tuple[str, str, str, str, str, dict[str, str], float, list[str]]] = [
    ("inc-1", "checkout", "payment", "conversion", "rate_change",
     {"channel": "app", "app_version": "5.2"}, 0.38, []),
    ("inc-2", "insurance_claim", "assessment", "duration", "rate_change",
     {"region": "west"}, 0.6, ["cost_to_serve"]),
    ("inc-3", "billing_dispute", "resolution", "csat", "rate_change",
     {"channel": "chat"}, 1.8, ["repeat_contact_rate"]),
    ("inc-4", "password_reset", "verify_identity", "conversion", "mix_shift",
     {"channel": "phone"}, 0.45, []),
    ("inc-5", "checkout", "confirmation", "conversion", "tracking_gap",
     {"device": "android"}, 1.0, []),
]  # fmt: skip


def default_incidents(end: dt.date) -> list[Incident]:
    """Return the five incidents of the default demo, all active in the last seven days."""
    start = end - dt.timedelta(days=6)
    keys = ("id", "journey", "stage", "metric", "kind", "segment", "magnitude", "also_metrics")
    return [
        Incident.model_validate({**dict(zip(keys, row, strict=True)), "start": start, "end": end})
        for row in _DEFAULT
    ]


def generate(
    out: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    days: int = 90,
    end: dt.date = dt.date(2026, 3, 31),
    incidents: list[Incident] | None = None,
    holidays: list[dt.date] | None = None,
    events_format: Literal["parquet", "csv"] = "parquet",
    progress: Callable[[int, int], None] | None = None,
) -> DemoManifest:
    """Write the demo data set into `out` and return where everything went."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    planted = default_incidents(end) if incidents is None else [i.model_copy() for i in incidents]
    off = set(holidays or [])
    rng = np.random.default_rng(seed)
    dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]
    journeys_file = out / "journeys.toml"
    journeys_file.write_text(journeys_toml(), encoding="utf-8")
    events_file = out / f"events.{events_format}"
    total, writer, id_base = 0, None, 0
    try:
        for i, day in enumerate(dates):
            tables = []
            for j in JOURNEYS:
                t = journey_day(
                    rng,
                    j,
                    day,
                    day_index=i,
                    n_days=days,
                    scale=scale,
                    incidents=planted,
                    holiday=day in off,
                    id_base=id_base,
                )
                id_base += 10_000_000
                tables.append(t)
            table = pa.concat_tables(tables)
            if writer is None:
                writer = (
                    pq.ParquetWriter(events_file, table.schema, compression="zstd")
                    if events_format == "parquet"
                    else pacsv.CSVWriter(events_file, table.schema)
                )
            writer.write_table(table)
            total += table.num_rows
            if progress:
                progress(i + 1, days)
    finally:
        if writer is not None:
            writer.close()
    rows = make_insights(rng, days=dates, scale=scale, incidents=planted)
    for inc in planted:
        inc.evidence_insight_ids = [str(r["id"]) for r in rows if r["_incident"] == inc.id]
    insights_file = out / "insights.jsonl"
    with insights_file.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(
                json.dumps({k: v for k, v in r.items() if k != "_incident" and v is not None})
                + "\n"
            )
    touched = {i.journey for i in planted}
    truth = GroundTruth(
        as_of=end,
        window_start=end - dt.timedelta(days=6),
        window_end=end,
        incidents=planted,
        clean_journeys=[j.id for j in JOURNEYS if j.id not in touched],
        holidays=sorted(off),
    )
    truth_file = out / "ground_truth.json"
    truth_file.write_text(truth.model_dump_json(indent=2), encoding="utf-8")
    return DemoManifest(
        out=out,
        journeys_file=journeys_file,
        events_file=events_file,
        insights_file=insights_file,
        ground_truth_file=truth_file,
        events=total,
        insights=len(rows),
        seconds=round(time.perf_counter() - started, 2),
    )
