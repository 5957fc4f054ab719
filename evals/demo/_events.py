"""Vectorized synthesis of one day of one journey's events, incidents applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from evals.demo._journeys import (
    APP_VERSIONS,
    DIMENSIONS,
    RATE_OFFSETS,
    WEEKDAY_LOGIT,
    WEEKDAY_VOLUME,
    JourneyDef,
)
from evals.demo.truth import Incident

DIM_NAMES = ["channel", "device", "region", "app_version", "segment", "plan"]
VALUES: dict[str, list[str]] = {
    **{k: v[0] for k, v in DIMENSIONS.items()},
    "app_version": [*APP_VERSIONS, "n/a"],
}
MEASURES = ["duration_s", "value", "cost", "csat", "contacts", "transfers"]
Codes = dict[str, NDArray[np.int64]]


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _app_version_shares(day_index: int, n_days: int) -> list[float]:
    """5.2 ramps up 60 to 45 days before the end, then holds steady (stable baselines)."""
    t = np.clip((day_index - (n_days - 60)) / 15.0, 0.0, 1.0)
    new = 0.45 * t
    old = 0.45 - 0.3 * t
    return [old, 1.0 - old - new, new]


def _dims(
    rng: np.random.Generator,
    j: JourneyDef,
    n: int,
    day_index: int,
    n_days: int,
    mix: Sequence[Incident],
) -> Codes:
    codes: Codes = {}
    for name, (values, probs) in DIMENSIONS.items():
        own = j.channel_probs if name == "channel" else None
        p = np.array(own or probs, dtype=float)
        for inc in mix:
            if name in inc.segment:
                i = values.index(inc.segment[name])
                p = p * (1 - inc.magnitude) / (1 - p[i])
                p[i] = inc.magnitude
        codes[name] = rng.choice(len(values), size=n, p=p / p.sum())
    versions = rng.choice(3, size=n, p=_app_version_shares(day_index, n_days))
    digital = np.isin(codes["channel"], [0, 1])
    codes["app_version"] = np.where(digital, versions, 3)
    return codes


def _mask(codes: Codes, segment: dict[str, str]) -> NDArray[np.bool_]:
    m = np.ones(len(codes["channel"]), dtype=bool)
    for dim, value in segment.items():
        m &= codes[dim] == VALUES[dim].index(value)
    return m


def journey_day(
    rng: np.random.Generator,
    j: JourneyDef,
    day: dt.date,
    *,
    day_index: int,
    n_days: int,
    scale: float,
    incidents: Sequence[Incident],
    holiday: bool,
    id_base: int,
) -> pa.Table:
    """Return every stage visit of one journey on one day."""
    active = [i for i in incidents if i.journey == j.id and i.start <= day <= i.end]
    mix = [i for i in active if i.kind == "mix_shift"]
    wd = day.weekday()
    n = int(rng.poisson(j.daily_entrants * scale * WEEKDAY_VOLUME[wd] * (0.55 if holiday else 1.0)))
    codes = _dims(rng, j, n, day_index, n_days, mix)
    start = np.datetime64(day.isoformat(), "s") + rng.integers(7 * 3600, 23 * 3600, n).astype(
        "timedelta64[s]"
    )
    order_value = rng.lognormal(np.log(j.order_value or 1.0) - 0.18, 0.6, n)
    alive = np.arange(n)
    neutral = any(s.channel_rate for s in j.stages)
    parts = []
    for k, stage in enumerate(j.stages):
        idx = alive
        c = {d: v[idx] for d, v in codes.items()}
        logit = np.full(len(idx), _logit(stage.rate) + WEEKDAY_LOGIT[wd] + rng.normal(0, 0.02))
        for dim, offsets in RATE_OFFSETS.items():
            if neutral and dim == "channel":
                continue
            logit += np.array([offsets.get(v, 0.0) for v in VALUES[dim]])[c[dim]]
        for ch, off in stage.channel_rate.items():
            logit += np.where(c["channel"] == VALUES["channel"].index(ch), off, 0.0)
        p = 1 / (1 + np.exp(-logit))
        here = [i for i in active if i.stage == stage.id]
        dur_factor = np.where(
            c["channel"] == VALUES["channel"].index("phone"), stage.phone_slowdown, 1.0
        )
        csat_shift = np.zeros(len(idx))
        repeat = np.full(len(idx), j.repeat_contact)
        gap = np.zeros(len(idx), dtype=bool)
        for inc in here:
            m = _mask(c, inc.segment)
            if inc.kind == "rate_change" and inc.metric == "conversion":
                p = np.where(m, np.clip(p - inc.magnitude, 0.01, 1), p)
            elif inc.kind == "rate_change" and inc.metric == "duration":
                dur_factor = np.where(m, dur_factor * (1 + inc.magnitude), dur_factor)
            elif inc.kind == "rate_change" and inc.metric == "csat":
                csat_shift = np.where(m, csat_shift - inc.magnitude, csat_shift)
                if "repeat_contact_rate" in inc.also_metrics:
                    repeat = np.where(m, repeat + 0.3, repeat)
            elif inc.kind == "tracking_gap":
                gap |= m
        done = rng.random(len(idx)) < p
        mean = stage.duration_s * dur_factor
        duration = rng.lognormal(np.log(mean) - stage.duration_sd**2 / 2, stage.duration_sd)
        table = {
            "ts": start[idx]
            + np.timedelta64(600 * k, "s")
            + rng.integers(0, 300, len(idx)).astype("timedelta64[s]"),
            "completed": np.where(gap, 0, done).astype(np.int8),
            "duration_s": np.where(gap, np.nan, np.round(duration, 1)),
            "value": np.where(gap, np.nan, np.round(order_value[idx], 2))
            if j.order_value
            else None,
            "cost": np.round(j.cost_per_visit * rng.lognormal(0, 0.3, len(idx)) * dur_factor, 2)
            if j.cost_per_visit
            else None,
        }
        if j.csat_share:
            surveyed = rng.random(len(idx)) < j.csat_share
            score = (
                j.csat_mean + np.where(done, 0.3, -0.9) + csat_shift + rng.normal(0, 0.8, len(idx))
            )
            table["csat"] = np.where(surveyed, np.clip(np.round(score), 1, 5), np.nan)
        if "contacts" in j.measures:
            extra = (rng.random(len(idx)) < repeat) * (1 + rng.poisson(0.3, len(idx)))
            table["contacts"] = (1 + extra).astype(float)
        if "transfers" in j.measures:
            table["transfers"] = (rng.random(len(idx)) < j.transfer_rate).astype(float)
        parts.append(_arrow(j.id, stage.id, idx + id_base, c, table))
        alive = idx[done | gap]
    return (
        pa.concat_tables(parts)
        if parts
        else _arrow(
            j.id,
            "",
            np.array([], dtype=np.int64),
            {d: np.array([], dtype=np.int64) for d in DIM_NAMES},
            {"ts": np.array([], dtype="datetime64[s]"), "completed": np.array([], dtype=np.int8)},
        )
    )


def _arrow(
    journey: str, stage: str, customers: NDArray[np.int64], c: Codes, m: dict[str, object]
) -> pa.Table:
    n = len(customers)
    cols: dict[str, pa.Array] = {
        "ts": pa.array(
            np.asarray(m["ts"]).astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")
        ),
        "journey": pa.array([journey] * n, type=pa.string()),
        "stage": pa.array([stage] * n, type=pa.string()),
        "customer_id": pa.array(np.char.add("C", customers.astype(str)), type=pa.string()),
        "completed": pa.array(np.asarray(m["completed"]), type=pa.int8()),
    }
    for name in MEASURES:
        v = m.get(name)
        arr = np.asarray(v, dtype=float) if v is not None else np.full(n, np.nan)
        cols[name] = pa.array(arr, mask=np.isnan(arr), type=pa.float64())
    for dim in DIM_NAMES:
        cols[dim] = pa.array(np.array(VALUES[dim], dtype=object)[c[dim]], type=pa.string())
    return pa.table(cols)
