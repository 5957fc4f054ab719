"""Table-driven tests of the root-cause localizer on planted incidents."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from tools.localize import Localization, format_element, localize

DIMS = {"channel": 4, "device": 5, "region": 6, "plan": 3}


def _grid(rng: np.random.Generator) -> pd.DataFrame:
    rows = itertools.product(*[[f"{d[0]}{i}" for i in range(n)] for d, n in DIMS.items()])
    frame = pd.DataFrame(list(rows), columns=list(DIMS))
    frame["base"] = rng.lognormal(mean=5.0, sigma=1.0, size=len(frame))
    return frame


def _mask(frame: pd.DataFrame, segment: dict[str, str]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in segment.items():
        mask &= frame[key] == value
    return mask


@dataclass(frozen=True)
class AdditiveCase:
    name: str
    causes: list[tuple[dict[str, str], float]]
    noise: float = 0.01
    expected: set[str] = field(default_factory=set)


ADDITIVE = [
    AdditiveCase("single_element", [({"channel": "c1"}, 0.5)], expected={"channel=c1"}),
    AdditiveCase(
        "multi_element",
        [({"channel": "c0"}, 0.4), ({"region": "r4"}, 1.8)],
        expected={"channel=c0", "region=r4"},
    ),
    AdditiveCase(
        "multi_attribute",
        [({"device": "d2", "region": "r1"}, 0.3)],
        expected={"device=d2&region=r1"},
    ),
    AdditiveCase(
        "three_attributes",
        [({"channel": "c3", "device": "d0", "plan": "p1"}, 0.2)],
        expected={"channel=c3&device=d0&plan=p1"},
    ),
    AdditiveCase("no_cause_when_nothing_moved", [], expected=set()),
    AdditiveCase(
        "noise_robust",
        [({"device": "d4", "plan": "p2"}, 0.6)],
        noise=0.05,
        expected={"device=d4&plan=p2"},
    ),
    AdditiveCase("pure_heavy_noise_is_no_cause", [], noise=0.08, expected=set()),
]


def _additive_leaves(case: AdditiveCase, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = _grid(rng)
    frame["num_exp"] = frame["base"]
    actual = frame["base"] * (1 + rng.normal(0, case.noise, len(frame)))
    for segment, factor in case.causes:
        actual = actual.where(~_mask(frame, segment), actual * factor)
    frame["num"] = actual
    return frame.drop(columns="base")


def _names(result: Localization) -> set[str]:
    return {format_element(e.segment) for e in result.elements}


@pytest.mark.parametrize("case", ADDITIVE, ids=lambda c: c.name)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_additive_cases_find_exactly_the_planted_causes(case: AdditiveCase, seed: int) -> None:
    leaves = _additive_leaves(case, seed)
    result = localize(leaves, list(DIMS), ratio=False)
    assert _names(result) == case.expected
    if case.expected:
        # Noise moves the total too, so the share is near one, not exactly one.
        assert 0.6 < result.explained_share < 1.6
        for element in result.elements:
            assert element.den is None and element.rate is None


def test_single_cause_reports_its_sums_and_share() -> None:
    leaves = _additive_leaves(ADDITIVE[0], seed=7)
    result = localize(leaves, list(DIMS), ratio=False)
    (element,) = result.elements
    inside = leaves["channel"] == "c1"
    assert element.num == pytest.approx(leaves.loc[inside, "num"].sum())
    assert element.num_exp == pytest.approx(leaves.loc[inside, "num_exp"].sum())
    total = leaves["num"].sum() - leaves["num_exp"].sum()
    assert result.total_deviation == pytest.approx(total)
    assert element.explained_share == pytest.approx(1.0, abs=0.1)
    assert element.score > 0


def _ratio_leaves(seed: int, *, cause: dict[str, str] | None, mix: bool) -> pd.DataFrame:
    """Conversion leaves: visits per leaf, a baseline rate per leaf, binomial completions."""
    rng = np.random.default_rng(seed)
    frame = _grid(rng)
    rate = rng.uniform(0.6, 0.9, len(frame))
    den_exp = np.round(frame["base"] * 3)
    den = den_exp.copy()
    if mix:
        # Traffic triples on one channel and halves on another: a mix shift, not a cause.
        den = den.where(frame["channel"] != "c2", den * 3)
        den = den.where(frame["channel"] != "c3", np.round(den / 2))
    den = rng.poisson(den).astype(float)
    cur_rate = rate.copy()
    if cause is not None:
        cur_rate = np.where(_mask(frame, cause), rate * 0.6, rate)
    frame["den"] = den
    frame["den_exp"] = den_exp
    frame["num"] = rng.binomial(den.astype(int), cur_rate).astype(float)
    frame["num_exp"] = den_exp * rate
    return frame.drop(columns="base")


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize(
    ("cause", "mix", "expected"),
    [
        ({"device": "d1", "region": "r2"}, True, {"device=d1&region=r2"}),
        ({"plan": "p0"}, True, {"plan=p0"}),
        ({"channel": "c1"}, False, {"channel=c1"}),
        (None, True, set()),
        (None, False, set()),
    ],
    ids=["two_attr_with_mix", "one_attr_with_mix", "one_attr", "mix_only", "nothing"],
)
def test_ratio_cases_ignore_denominator_shifts(
    seed: int, cause: dict[str, str] | None, mix: bool, expected: set[str]
) -> None:
    leaves = _ratio_leaves(seed, cause=cause, mix=mix)
    result = localize(leaves, list(DIMS), ratio=True)
    assert _names(result) == expected
    for element in result.elements:
        assert element.rate is not None and element.rate_exp is not None
        assert element.rate < element.rate_exp
        assert element.explained_share > 0.5
    rate = leaves["num"].sum() / leaves["den"].sum()
    rate_exp = leaves["num_exp"].sum() / leaves["den_exp"].sum()
    assert result.total_deviation == pytest.approx(rate - rate_exp)


def test_ratio_with_zero_leaves_and_new_segments() -> None:
    leaves = _ratio_leaves(21, cause={"region": "r5"}, mix=False)
    # Empty leaves (0/0) and leaves with visits but no baseline must not break anything.
    leaves.loc[leaves.index[:40], ["num", "num_exp", "den", "den_exp"]] = 0.0
    leaves.loc[leaves.index[40:50], ["num_exp", "den_exp"]] = 0.0
    result = localize(leaves, list(DIMS), ratio=True)
    assert _names(result) == {"region=r5"}


def test_all_zero_leaves_give_no_cause() -> None:
    leaves = _additive_leaves(ADDITIVE[0], seed=1)
    leaves[["num", "num_exp"]] = 0.0
    result = localize(leaves, list(DIMS), ratio=False)
    assert result.elements == []
    assert result.total_deviation == 0.0


def test_max_elements_and_max_attributes_are_respected() -> None:
    case = AdditiveCase(
        "four",
        [({"channel": "c0"}, 0.4), ({"region": "r4"}, 1.8), ({"device": "d3"}, 0.5)],
    )
    leaves = _additive_leaves(case, seed=5)
    assert len(localize(leaves, list(DIMS), ratio=False, max_elements=2).elements) == 2
    deep = _additive_leaves(ADDITIVE[3], seed=5)
    shallow = localize(deep, list(DIMS), ratio=False, max_attributes=2)
    assert all(len(e.segment) <= 2 for e in shallow.elements)


@pytest.mark.parametrize(
    ("segment", "text"),
    [
        ({"c": "c3", "a": "a1"}, "a=a1&c=c3"),
        ({"bitrate": "2000"}, "bitrate=2000"),
        ({"isp": "联通", "cdn": "5"}, "cdn=5&isp=联通"),
    ],
)
def test_format_element_is_canonical(segment: dict[str, str], text: str) -> None:
    assert format_element(segment) == text
