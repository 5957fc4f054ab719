"""Root-cause localization: which segments explain a KPI deviation.

The method is a vectorized ripple-fit search. Every cuboid of up to `max_attributes`
attributes is aggregated with one `np.bincount`; a candidate element is scored by how much
of the noise-weighted leaf-level deviation disappears when all its leaves move by the
element's own aggregate change (the ripple effect of a true root cause), discounted per
extra attribute, and must be significant given the leaves' noise (size-dependent relative
noise for additive KPIs, binomial counts with estimated over-dispersion for ratio KPIs).
Elements are chosen greedily on the residual; several picks under one ancestor whose
other leaves moved the same way are merged into that ancestor.

For ratio KPIs the numerator is judged given the actual denominators (expected numerator =
actual denominator x expected rate), so a pure mix shift is not a localized cause. Element
and total `explained_share` are shares of that within-leaf deviation; `total_deviation` is
the plain rate change, mix shift included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel

from tools.localize._cuboids import build_cuboids, encode, segment_of
from tools.localize._search import FloatArray, Leaves, robust_scale, search

BoolArray = NDArray[np.bool_]

__all__ = ["CauseElement", "Localization", "format_element", "localize"]

_NOISE_BINS = 8
_PRIOR_COUNT = 1.0  # pseudo-visits that shrink a leaf's expected rate to the total's


class CauseElement(BaseModel):
    """One localized segment with its actual and expected sums."""

    segment: dict[str, str]
    num: float
    num_exp: float
    den: float | None
    den_exp: float | None
    rate: float | None
    rate_exp: float | None
    explained_share: float
    score: float


class Localization(BaseModel):
    """The localized root-cause set of one deviation (empty = no localized cause)."""

    elements: list[CauseElement]
    total_deviation: float
    explained_share: float


def format_element(segment: dict[str, str]) -> str:
    """Render a segment canonically, e.g. `a=a1&c=c3` (pairs sorted)."""
    return "&".join(sorted(f"{k}={v}" for k, v in segment.items()))


def _col(frame: pd.DataFrame, name: str) -> FloatArray:
    values: FloatArray = (
        pd.to_numeric(frame[name], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    )
    return values


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _additive_noise(y: FloatArray, e: FloatArray) -> FloatArray:
    """Estimate each leaf's noise sd as a relative error that depends on the leaf's size.

    Small leaves are noisier in relative terms (rounding, counting noise), so the relative
    scale is estimated robustly within quantile bins of the expected value.
    """
    pos = np.abs(e) > 0
    if not pos.any():
        return np.ones_like(e)
    size = np.abs(e)
    edges = np.unique(np.quantile(size[pos], np.linspace(0, 1, _NOISE_BINS + 1)[1:-1]))
    bins = np.searchsorted(edges, size, side="right")
    scales = np.ones(len(edges) + 1)
    for b in range(len(edges) + 1):
        sel = pos & (bins == b)
        if sel.any():
            scales[b] = robust_scale(y[sel] - e[sel], size[sel])
    scales = np.maximum(scales, 1e-9)
    floor = float(size[pos].min())
    return scales[bins] * np.maximum(size, floor)


def _prepare(frame: pd.DataFrame, ratio: bool) -> tuple[Leaves, float]:
    """Build the search vectors and the total deviation of the KPI."""
    y, n_exp = _col(frame, "num"), _col(frame, "num_exp")
    if not ratio:
        leaves = Leaves(y=y, e=n_exp, x=n_exp, s=_additive_noise(y, n_exp), ripple="relative")
        return leaves, float(y.sum() - n_exp.sum())
    den, d_exp = _col(frame, "den"), _col(frame, "den_exp")
    total_rate = n_exp.sum() / d_exp.sum() if d_exp.sum() > 0 else 0.0
    rate_exp = np.where(d_exp > 0, n_exp / np.where(d_exp > 0, d_exp, 1.0), total_rate)
    e = den * rate_exp
    p = (n_exp + _PRIOR_COUNT * total_rate) / (d_exp + _PRIOR_COUNT)
    p = np.clip(p, 1e-4, 1 - 1e-4)
    # Sampling error of the current counts plus that of the expected rate's own sample.
    var = den * p * (1 - p) * (1.0 + den / np.maximum(d_exp, 1.0)) + 0.25
    base = np.sqrt(var)
    phi = max(robust_scale(y - e, base), 1.0)
    leaves = Leaves(y=y, e=e, x=den, s=phi * base, ripple="shift")
    rate = y.sum() / den.sum() if den.sum() > 0 else 0.0
    return leaves, float(rate - total_rate)


def localize(
    leaves: pd.DataFrame,
    dims: Sequence[str],
    *,
    ratio: bool,
    max_attributes: int = 3,
    max_elements: int = 3,
) -> Localization:
    """Localize the segments that explain the deviation of the leaves from expectation.

    `leaves` has one row per leaf (a full combination of `dims`, held as strings) with
    columns `num`, `num_exp` and, when `ratio` is true, `den`, `den_exp`.
    """
    cols = ["num", "num_exp", "den", "den_exp"] if ratio else ["num", "num_exp"]
    nums = leaves[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    frame = leaves.loc[(nums != 0).any(axis=1)].reset_index(drop=True)
    if frame.empty:
        return Localization(elements=[], total_deviation=0.0, explained_share=0.0)
    prepared, total_dev = _prepare(frame, ratio)
    enc = encode(frame, dims)
    cuboids = build_cuboids(enc, max_attributes)
    picks = search(cuboids, prepared, max_elements)
    sums = {c: _col(frame, c) for c in cols}
    # Shares are of the deviation carried by the leaves' own numerators given their
    # denominators: for ratio KPIs the part of the rate change that is not a mix shift.
    within = float(np.sum(prepared.y - prepared.e))
    elements: list[CauseElement] = []
    covered = np.zeros(len(frame), dtype=bool)
    for pick in picks:
        cub = cuboids[pick.cuboid]
        inside = cub.ids == pick.element
        covered |= inside
        elements.append(
            _element(segment_of(enc, cub, pick.element), inside, pick.gain, sums, prepared, within)
        )
    return Localization(
        elements=elements,
        total_deviation=total_dev,
        explained_share=_share(covered, prepared, within),
    )


def _share(inside: BoolArray, prepared: Leaves, within: float) -> float:
    """Return the share of the within-leaf deviation carried by the `inside` leaves."""
    dev = float(np.sum(prepared.y[inside] - prepared.e[inside]))
    return dev / within if within != 0 else 0.0


def _element(
    segment: dict[str, str],
    inside: BoolArray,
    gain: float,
    sums: dict[str, FloatArray],
    prepared: Leaves,
    within: float,
) -> CauseElement:
    num, num_e = float(sums["num"][inside].sum()), float(sums["num_exp"][inside].sum())
    den = float(sums["den"][inside].sum()) if "den" in sums else None
    den_e = float(sums["den_exp"][inside].sum()) if "den_exp" in sums else None
    return CauseElement(
        segment=segment,
        num=num,
        num_exp=num_e,
        den=den,
        den_exp=den_e,
        rate=_ratio(num, den) if den is not None else None,
        rate_exp=_ratio(num_e, den_e) if den_e is not None else None,
        explained_share=_share(inside, prepared, within),
        score=gain,
    )
