"""Cause analysis of a breakdown: split the change into rate and mix, localize, classify.

The leaves come from the warehouse (one row per period and combination of dimension
values). The expected numerator of a leaf is its own baseline rate applied to its current
volume, so the localizer sees only rate changes; what the leaf rates cannot explain is a
mix shift (traffic moved toward segments that always did worse), which is a real change
in the total but not a broken stage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from store.catalog import MetricDef
from store.findings import Cause, CauseKind
from tools.localize import localize

# Pseudo-visits that pull a thin leaf's baseline rate toward the stage's rate.
_SHRINK = 5.0
# A segment whose probe columns went missing this much more often is a tracking gap.
_MISSING_JUMP = 0.3
# A segment whose rate collapsed to this fraction of its baseline looks like lost events.
_COLLAPSE = 0.1
# A dimension is localized over when one of its values carries this much more of the
# change than of the traffic; the others only multiply thin leaves.
_EXCESS = 0.1
_MIN_DIMS, _MAX_DIMS = 3, 4
_SUMS = [
    "visits_c",
    "num_c",
    "den_c",
    "missing_c",
    "visits_b",
    "num_b",
    "den_b",
    "missing_b",
    "num_exp",
]
# Secondary causes explaining less of the change than this are not material to a council.
_MIN_SHARE = 0.1


class LocalizationSettings(BaseModel):
    """How far the localizer searches: the `[localization]` table of config.toml."""

    model_config = ConfigDict(extra="forbid")

    max_attributes: int = Field(default=3, ge=1, le=5)
    max_elements: int = Field(default=3, ge=1, le=10)


def analyse_causes(
    cells: pd.DataFrame,
    dims: Sequence[str],
    *,
    metric: MetricDef,
    baseline_weeks: int,
    max_attributes: int = 3,
    max_elements: int = 3,
) -> list[Cause]:
    """Return the causes of a change between the `baseline` and `current` periods.

    `cells` has columns period, *dims, visits, num, den, missing (store.warehouse.leaf_cells).
    An empty list means no localized cause.
    """
    leaves = _pivot(cells, list(dims))
    den_c, den_b = leaves["den_c"].sum(), leaves["den_b"].sum()
    if den_c <= 0 or den_b <= 0 or not dims:
        return []
    rate_b = leaves["num_b"].sum() / den_b
    rate_c = leaves["num_c"].sum() / den_c
    leaf_rate = (leaves["num_b"] + _SHRINK * rate_b) / (leaves["den_b"] + _SHRINK)
    leaves["num_exp"] = leaves["den_c"] * leaf_rate
    total = rate_c - rate_b
    mix = _mix_cause(leaves, list(dims), metric=metric, total=total, weeks=baseline_weeks)
    rate_part = (leaves["num_c"].sum() - leaves["num_exp"].sum()) / den_c
    causes = _rate_causes(
        leaves,
        list(dims),
        rate_b=rate_b,
        weeks=baseline_weeks,
        max_attributes=max_attributes,
        max_elements=max_elements,
    )
    if mix is None:
        return causes
    # A mix shift and a broken segment can coincide: report both, sized against the total.
    scale = rate_part / total if total else 0.0
    resized = [
        c.model_copy(update={"explained_share": round(c.explained_share * scale, 4)})
        for c in causes
    ]
    kept = [c for c in resized if c.explained_share >= _MIN_SHARE]
    return sorted([mix, *kept], key=lambda c: -c.explained_share)


def _rate_causes(
    leaves: pd.DataFrame,
    dims: list[str],
    *,
    rate_b: float,
    weeks: int,
    max_attributes: int,
    max_elements: int,
) -> list[Cause]:
    """Localize the segments whose own rate moved (shares are of the rate part)."""
    dims = _informative_dims(leaves, list(dims))
    leaves = _group_sums(leaves, dims, _SUMS)
    # The expected side carries the baseline's own volume, so the localizer's noise model
    # knows how many visits stand behind each leaf's expected rate.
    frame = leaves[[*dims]].copy()
    frame["num"], frame["den"] = leaves["num_c"], leaves["den_c"]
    frame["num_exp"] = leaves["num_b"] + _SHRINK * rate_b
    frame["den_exp"] = leaves["den_b"] + _SHRINK
    found = localize(
        frame, list(dims), ratio=True, max_attributes=max_attributes, max_elements=max_elements
    )
    causes = []
    for i, element in enumerate(found.elements):
        if i > 0 and element.explained_share < _MIN_SHARE:
            continue
        mask = np.ones(len(leaves), dtype=bool)
        for dim, value in element.segment.items():
            mask &= (leaves[dim] == value).to_numpy()
        seg = leaves[mask]
        causes.append(_rate_cause(seg, element.segment, share=element.explained_share, weeks=weeks))
    return causes


def _informative_dims(leaves: pd.DataFrame, dims: list[str]) -> list[str]:
    """Keep the dimensions where one value's share of the change exceeds its share of traffic.

    Every dimension multiplies the number of leaves; at modest volumes most leaves hold a
    visit or two and their noise drowns the cause. A dimension on which the cause lies has a
    value whose share of the rate deviation is well above its share of visits.
    """
    dev = leaves["num_c"] - leaves["num_exp"]
    total = float(dev.sum())
    if total == 0 or len(dims) <= _MIN_DIMS:
        return dims
    scores: dict[str, float] = {}
    dev_v, den_v = dev.to_numpy(dtype=float), leaves["den_c"].to_numpy(dtype=float)
    for dim in dims:
        codes, uniques = pd.factorize(leaves[dim], sort=True)
        by_dev = np.bincount(codes, dev_v, minlength=len(uniques))
        by_den = np.bincount(codes, den_v, minlength=len(uniques))
        excess = by_dev / total - by_den / max(float(by_den.sum()), 1e-12)
        scores[dim] = float(excess.max())
    ranked = sorted(dims, key=lambda d: -scores[d])
    strong = sum(scores[d] >= _EXCESS for d in dims)
    return ranked[: min(max(strong, _MIN_DIMS), _MAX_DIMS)]


def _pivot(cells: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Return one row per leaf (combination of dims) with current and baseline sums."""
    values = ["visits", "num", "den", "missing"]
    cells = cells[cells["period"].isin(["current", "baseline"])]
    frame = pd.DataFrame({d: cells[d].astype(str) for d in dims})
    current = (cells["period"] == "current").to_numpy()
    for name in values:
        num = cells[name].to_numpy(dtype=float)
        frame[f"{name}_c"] = np.where(current, num, 0.0)
        frame[f"{name}_b"] = np.where(current, 0.0, num)
    cols = [f"{v}{s}" for s in ("_c", "_b") for v in values]
    return _group_sums(frame, dims, cols)


def _group_sums(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Return `columns` summed per combination of `keys`, sorted by the keys.

    The same result as `frame.groupby(keys, as_index=False)[columns].sum()`, with one
    factorize per key and one bincount per column: groupby's fixed cost per call dominated
    the scan's cause analysis, which runs these sums hundreds of times.
    """
    if not keys:
        return pd.DataFrame({c: [float(frame[c].sum())] for c in columns})
    codes, uniques = [], []
    for key in keys:
        code, unique = pd.factorize(frame[key], sort=True)
        codes.append(code)
        uniques.append(np.asarray(unique))
    stacked = np.stack(codes, axis=1) if len(frame) else np.zeros((0, len(keys)), dtype=np.int64)
    leaf_codes, leaf = np.unique(stacked, axis=0, return_inverse=True)
    leaf = leaf.reshape(-1)
    out = pd.DataFrame({k: uniques[i][leaf_codes[:, i]] for i, k in enumerate(keys)})
    for c in columns:
        out[c] = np.bincount(leaf, frame[c].to_numpy(dtype=float), minlength=len(leaf_codes))
    return out


def _rate_cause(seg: pd.DataFrame, segment: dict[str, str], *, share: float, weeks: int) -> Cause:
    vis_c, vis_b = float(seg["visits_c"].sum()), float(seg["visits_b"].sum())
    rate_c = _ratio(seg["num_c"].sum(), seg["den_c"].sum())
    rate_b = _ratio(seg["num_b"].sum(), seg["den_b"].sum())
    miss_c = _ratio(seg["missing_c"].sum(), vis_c) or 0.0
    miss_b = _ratio(seg["missing_b"].sum(), vis_b) or 0.0
    kind: CauseKind = "rate_change"
    note = ""
    if miss_c - miss_b >= _MISSING_JUMP:
        kind = "tracking_gap"
        note = f"measurements missing on {miss_c:.0%} of visits (baseline {miss_b:.0%})"
    elif rate_b and rate_c is not None and rate_b > 0 and abs(rate_c) <= _COLLAPSE * abs(rate_b):
        kind = "tracking_gap"
        note = "the metric collapsed to near zero: success events are likely not recorded"
    elif vis_b > 0 and vis_c < 0.2 * vis_b / max(weeks, 1):
        kind = "tracking_gap"
        note = "visits fell by more than 80%: events are likely missing"
    return Cause(
        segment=segment,
        kind=kind,
        explained_share=round(float(share), 4),
        baseline=rate_b,
        current=rate_c,
        visits=vis_c,
        baseline_visits=round(vis_b / max(weeks, 1), 1),
        note=note,
    )


def _mix_cause(
    leaves: pd.DataFrame, dims: list[str], *, metric: MetricDef, total: float, weeks: int
) -> Cause | None:
    """Return a mix-shift cause when traffic moving between segments explains the change.

    The change is decomposed per dimension (segment rates are well estimated there, unlike
    thin leaves): Σ w_now·(rate_now − rate_before) is the rate part, Σ (w_now − w_before)·
    rate_before the mix part. A dimension whose mix part carries most of the change, while
    its rate part does not, names the segment whose growing share pulled the total.
    """
    if total == 0:
        return None
    arrays = [leaves[c].to_numpy(dtype=float) for c in ("den_c", "den_b", "num_c", "num_b")]
    den_c, den_b = float(arrays[0].sum()), float(arrays[1].sum())
    rate_b = float(arrays[3].sum()) / den_b
    best: tuple[float, str, str, float] | None = None
    for dim in dims:
        codes, uniques = pd.factorize(leaves[dim], sort=True)
        g_dc, g_db, g_nc, g_nb = (np.bincount(codes, a, minlength=len(uniques)) for a in arrays)
        share_c, share_b = g_dc / den_c, g_db / den_b
        seg_b = np.divide(g_nb, g_db, out=np.full(len(uniques), rate_b), where=g_db > 0)
        seg_c = np.divide(g_nc, g_dc, out=seg_b.copy(), where=g_dc > 0)
        mix_part = float(((share_c - share_b) * seg_b).sum())
        rate_part = float((share_c * (seg_c - seg_b)).sum())
        if mix_part / total < 0.5 or abs(rate_part) >= 0.5 * abs(total):
            continue
        contrib = (share_c - share_b) * (seg_b - rate_b)
        harmful = np.flatnonzero((contrib * total > 0) & (share_c > share_b))
        if len(harmful) == 0:
            continue
        top = harmful[np.argmax(np.abs(contrib[harmful]))]
        if best is None or mix_part / total > best[0]:
            best = (mix_part / total, dim, str(uniques[top]), float(contrib[top]) / total)
    if best is None:
        return None
    share, dim, value, moved = best
    seg = leaves[leaves[dim] == value]
    seg_share_c = float(seg["den_c"].sum() / den_c)
    seg_share_b = float(seg["den_b"].sum() / den_b)
    return Cause(
        segment={dim: value},
        kind="mix_shift",
        explained_share=round(min(share, 1.5), 4),
        baseline=_ratio(seg["num_b"].sum(), seg["den_b"].sum()),
        current=_ratio(seg["num_c"].sum(), seg["den_c"].sum()),
        visits=float(seg["visits_c"].sum()),
        baseline_visits=round(float(seg["visits_b"].sum()) / max(weeks, 1), 1),
        moved_share=round(min(max(moved, 0.0), 1.0), 4),
        note=(
            f"its share of {metric.label.lower()} volume rose from {seg_share_b:.0%} to "
            f"{seg_share_c:.0%}, and it always does worse than the rest"
        ),
    )


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None
