"""Greedy ripple-fit search for the root-cause elements of one deviation.

Every leaf has an actual numerator `y`, an expected numerator `e` (for ratio KPIs: the
leaf's expected rate times its actual denominator, so mix shifts are not blamed), a ripple
scale `x` (additive: `e`, a true cause moves all its leaves by the same relative amount;
ratio: the denominator, a true cause shifts all its leaves' rates by the same amount) and a
noise scale `s`. A candidate element is moved by its own aggregate change; its gain is how
much of the noise-weighted L1 leaf deviation that removes, discounted per extra attribute.
Elements are picked greedily on the residual until no candidate is significant; picks that
share an ancestor whose other leaves moved the same way are then merged into it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tools.localize._cuboids import Cuboid

FloatArray = NDArray[np.float64]

# One parameter set for every KPI and dataset.
Z_MIN = 5.0  # aggregate deviation of a cause, in noise standard deviations
GAIN_MIN = 20.0  # weighted L1 deviation a cause must remove, in noise standard deviations
LAYER_PENALTY = 0.5  # share of gain given up per extra attribute (prefer simpler causes)
MEAN_SHARE = 0.5  # of the mean-based noise estimate, a floor for quantized data
MERGE_Z = 2.0  # z of an ancestor's other leaves that makes it replace its picked children
_MEAN_ABS_NORMAL = 0.7979  # E|N(0,1)|
_Q25_NORMAL = 0.3186  # 62.5% quantile of N(0,1): Q25 of |N(0,1)|


@dataclass(frozen=True)
class Leaves:
    """Per-leaf vectors the search runs on (zero leaves already dropped)."""

    y: FloatArray
    e: FloatArray
    x: FloatArray
    s: FloatArray
    ripple: Literal["relative", "shift"]


@dataclass(frozen=True)
class Pick:
    """One chosen element: its cuboid, element id and gain."""

    cuboid: int
    element: int
    gain: float


def robust_scale(resid: FloatArray, base: FloatArray) -> float:
    """Estimate the noise multiplier of `resid / base` robustly.

    The lower quartile of |u| ignores up to ~70% anomalous leaves; a share of the mean
    |u| keeps quantized data (most leaves exactly on forecast) from looking noise-free.
    """
    ok = base > 0
    if not ok.any():
        return 1.0
    u = np.abs(resid[ok] / base[ok])
    q25 = float(np.quantile(u, 0.25)) / _Q25_NORMAL
    return max(q25, MEAN_SHARE * float(u.mean()) / _MEAN_ABS_NORMAL)


def _score_cuboid(
    cub: Cuboid, lv: Leaves, e: FloatArray, x: FloatArray, w: FloatArray, wabs: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return gain and z of every element of one cuboid under expected `e`."""
    ids, n = cub.ids, cub.n

    def total(values: FloatArray) -> FloatArray:
        return np.bincount(ids, values, n).astype(np.float64)

    dev = total(lv.y) - total(e)
    x_sum = total(x)
    var = total(lv.s * lv.s)
    beta = np.divide(dev, x_sum, out=np.zeros(n), where=x_sum > 0)
    gain = total(wabs) - total(w * np.abs(lv.y - e - beta[ids] * x))
    z = np.abs(dev) / np.sqrt(np.maximum(var, 1e-300))
    return gain, z


def _ripple_scale(lv: Leaves, e: FloatArray) -> FloatArray:
    """Return how much each leaf moves per unit of a cause's change, under expected `e`."""
    if lv.ripple == "relative":
        return e
    return lv.x


def _unrelated(cub: Cuboid, picks: list[Pick], cuboids: list[Cuboid]) -> NDArray[np.bool_]:
    """Mask out elements that are ancestors or descendants of an already chosen one.

    Overlapping leaves of two causes carry one cause's change, not both, so after picking
    both parents their intersection looks anomalous; a chosen cause's own sub-segments and
    super-segments are never separate causes.
    """
    ok = np.ones(cub.n, dtype=bool)
    for pick in picks:
        other = cuboids[pick.cuboid]
        shared = [a for a in cub.attrs if a in other.attrs]
        if set(cub.attrs) <= set(other.attrs) or set(other.attrs) <= set(cub.attrs):
            key = other.keys[pick.element]
            match = np.ones(cub.n, dtype=bool)
            for a in shared:
                match &= cub.keys[:, cub.attrs.index(a)] == key[other.attrs.index(a)]
            ok &= ~match
    return ok


def _candidates(
    cuboids: list[Cuboid], lv: Leaves, e: FloatArray, picks: list[Pick]
) -> list[tuple[FloatArray, NDArray[np.bool_]]]:
    """Return the gain and the validity mask of every element of every cuboid."""
    w = 1.0 / lv.s
    x = _ripple_scale(lv, e)
    wabs = w * np.abs(lv.y - e)
    out = []
    for cub in cuboids:
        gain, z = _score_cuboid(cub, lv, e, x, w, wabs)
        ok = (z >= Z_MIN) & (gain >= GAIN_MIN) & _unrelated(cub, picks, cuboids)
        out.append((gain, ok))
    return out


def _penalty(cub: Cuboid) -> float:
    return float((1.0 - LAYER_PENALTY) ** (len(cub.attrs) - 1))


def search(cuboids: list[Cuboid], lv: Leaves, max_elements: int) -> list[Pick]:
    """Pick up to `max_elements` elements greedily on the residual deviation."""
    e = lv.e.copy()
    picks: list[Pick] = []
    for _ in range(max_elements):
        scored = _candidates(cuboids, lv, e, picks)
        best: tuple[float, int, int] | None = None
        for ci, (gain, ok) in enumerate(scored):
            if ok.any():
                el = int(np.argmax(np.where(ok, gain, -np.inf)))
                score = float(gain[el]) * _penalty(cuboids[ci])
                if best is None or score > best[0]:
                    best = (score, ci, el)
        if best is None:
            break
        _, ci, el = best
        inside = cuboids[ci].ids == el
        x = _ripple_scale(lv, e)
        x_in = float(np.sum(x[inside]))
        if x_in > 0:
            e[inside] += float(np.sum(lv.y[inside] - e[inside])) / x_in * x[inside]
        picks.append(Pick(cuboid=ci, element=el, gain=float(scored[ci][0][el])))
    return _merge_siblings(cuboids, picks, lv, e)


def _ancestors(cuboids: list[Cuboid], pick: Pick) -> list[tuple[int, int]]:
    """Return (cuboid, element) of every proper, non-empty ancestor of a pick."""
    cub = cuboids[pick.cuboid]
    index = {c.attrs: i for i, c in enumerate(cuboids)}
    out = []
    for size in range(1, len(cub.attrs)):
        for attrs in itertools.combinations(cub.attrs, size):
            ci = index[attrs]
            key = np.array([cub.keys[pick.element, cub.attrs.index(a)] for a in attrs])
            rows = np.flatnonzero(np.all(cuboids[ci].keys == key, axis=1))
            if rows.size:
                out.append((ci, int(rows[0])))
    return out


def _merge_siblings(
    cuboids: list[Cuboid], picks: list[Pick], lv: Leaves, e: FloatArray
) -> list[Pick]:
    """Replace several picks under one ancestor by the ancestor when the rest of it moved too.

    A cause whose effect differs between its sub-segments (one device hit harder than
    another) fits each sub-segment better than itself. When two or more picks share an
    ancestor and the ancestor's remaining leaves still deviate significantly in the same
    direction, the ancestor is the simpler explanation.
    """
    groups: dict[tuple[int, int], list[Pick]] = {}
    for pick in picks:
        for anc in _ancestors(cuboids, pick):
            groups.setdefault(anc, []).append(pick)
    order = sorted(groups.items(), key=lambda kv: (-len(kv[1]), len(cuboids[kv[0][0]].attrs)))
    for (ci, el), children in order:
        if len(children) < 2 or any(c not in picks for c in children):
            continue
        anc = cuboids[ci].ids == el
        covered = np.zeros_like(anc)
        for c in children:
            covered |= cuboids[c.cuboid].ids == c.element
        rest = anc & ~covered
        dev_rest = float(np.sum(lv.y[rest] - e[rest]))
        dev_children = float(np.sum(lv.y[covered] - lv.e[covered]))
        z_rest = abs(dev_rest) / max(float(np.sqrt(np.sum(lv.s[rest] ** 2))), 1e-300)
        if z_rest >= MERGE_Z and dev_rest * dev_children > 0:
            gain = sum(c.gain for c in children)
            merged = Pick(cuboid=ci, element=el, gain=gain)
            first = picks.index(children[0])
            picks = [p for p in picks if p not in children]
            picks.insert(min(first, len(picks)), merged)
    return picks
