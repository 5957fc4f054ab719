"""Integer encoding of leaves and of every cuboid (attribute subset) above them.

Each dimension becomes an integer code per leaf; a cuboid's element of a leaf is the
mixed-radix combination of its attributes' codes, made dense with `np.unique`, so that any
per-element sum over leaves is one `np.bincount`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Cuboid:
    """The elements of one attribute subset and the element of each leaf."""

    attrs: tuple[int, ...]
    ids: IntArray
    keys: IntArray
    n: int


@dataclass(frozen=True)
class Encoding:
    """Dimension codes of the leaves and the values behind the codes."""

    dims: tuple[str, ...]
    codes: IntArray
    values: tuple[NDArray[np.object_], ...]


def encode(frame: pd.DataFrame, dims: Sequence[str]) -> Encoding:
    """Factorize each dimension column into integer codes (one column per dimension)."""
    cols: list[IntArray] = []
    values: list[NDArray[np.object_]] = []
    for dim in dims:
        codes, uniques = pd.factorize(frame[dim].astype(str), sort=True)
        cols.append(codes.astype(np.int64))
        values.append(np.asarray(uniques, dtype=object))
    matrix = np.stack(cols, axis=1) if cols else np.zeros((len(frame), 0), dtype=np.int64)
    return Encoding(dims=tuple(dims), codes=matrix, values=tuple(values))


def build_cuboids(enc: Encoding, max_attributes: int) -> list[Cuboid]:
    """Return every cuboid of 1..max_attributes attributes, fewest attributes first."""
    radix = [len(v) for v in enc.values]
    out: list[Cuboid] = []
    for size in range(1, min(max_attributes, len(enc.dims)) + 1):
        for attrs in itertools.combinations(range(len(enc.dims)), size):
            combined = np.zeros(enc.codes.shape[0], dtype=np.int64)
            for a in attrs:
                combined = combined * radix[a] + enc.codes[:, a]
            uniq, inverse = np.unique(combined, return_inverse=True)
            keys = np.zeros((len(uniq), size), dtype=np.int64)
            rest = uniq.copy()
            for pos in range(size - 1, -1, -1):
                keys[:, pos] = rest % radix[attrs[pos]]
                rest //= radix[attrs[pos]]
            out.append(Cuboid(attrs=attrs, ids=inverse.reshape(-1), keys=keys, n=len(uniq)))
    return out


def segment_of(enc: Encoding, cuboid: Cuboid, element: int) -> dict[str, str]:
    """Name one element of a cuboid as an attribute -> value mapping."""
    return {
        enc.dims[a]: str(enc.values[a][cuboid.keys[element, pos]])
        for pos, a in enumerate(cuboid.attrs)
    }
