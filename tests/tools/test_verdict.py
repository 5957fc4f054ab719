"""The verdict rule: segment, customers' words and a theme surge must agree to confirm."""

from __future__ import annotations

import datetime as dt

import pytest

from store.findings import (
    Breakdown,
    Cause,
    CauseKind,
    EvidenceVerdict,
    Impact,
    Quote,
    Theme,
    Window,
)
from tools.verdict import evidence_verdict, strongest


def _case(
    kind: CauseKind | None, share: float, *, quotes: int, lift: float, p: float = 1e-9
) -> tuple[Breakdown, Cause | None]:
    cause = Cause(segment={"channel": "app"}, kind=kind, explained_share=share) if kind else None
    bd = Breakdown(
        id="bd-1",
        journey="checkout",
        stage="payment",
        metric="conversion",
        window=Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31)),
        baseline=0.8,
        current=0.7,
        p_value=p,
        severity="high",
        impact=Impact(currency="USD", per_week=1.0),
        causes=[cause] if cause else [],
        quotes=[Quote(id=f"q{i}", text="slow") for i in range(quotes)],
        themes=[Theme(label="pay button", count=9, baseline_count=1, lift=lift)] if lift else [],
    )
    return bd, cause


CASES: list[tuple[str, tuple[Breakdown, Cause | None], EvidenceVerdict]] = [
    ("segment, words and surge agree", _case("rate_change", 0.9, quotes=2, lift=3.0), "confirmed"),
    ("segment and words", _case("rate_change", 0.9, quotes=2, lift=0.0), "likely"),
    ("segment and surge", _case("rate_change", 0.9, quotes=0, lift=2.0), "likely"),
    ("a weak theme is no surge", _case("rate_change", 0.9, quotes=0, lift=1.1), "inconclusive"),
    ("segment explains too little", _case("rate_change", 0.3, quotes=2, lift=3.0), "inconclusive"),
    ("no localized cause", _case(None, 0.0, quotes=2, lift=3.0), "inconclusive"),
    ("strong mix shift", _case("mix_shift", 0.9, quotes=0, lift=0.0), "confirmed"),
    ("weak-signal mix shift", _case("mix_shift", 0.9, quotes=0, lift=0.0, p=1e-3), "likely"),
    ("strong tracking gap", _case("tracking_gap", 1.0, quotes=0, lift=0.0), "confirmed"),
    ("small tracking gap", _case("tracking_gap", 0.2, quotes=0, lift=0.0), "inconclusive"),
]


@pytest.mark.parametrize(("why", "case", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_verdict_follows_the_stated_rule(
    why: str, case: tuple[Breakdown, Cause | None], verdict: EvidenceVerdict
) -> None:
    assert evidence_verdict(*case) == verdict, why


def test_an_incident_takes_its_strongest_verdict() -> None:
    assert strongest(["inconclusive", "confirmed", "likely"]) == "confirmed"
    assert strongest([]) == "inconclusive"
