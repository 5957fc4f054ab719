"""The grounding guard: which numbers, dates and citations count as backed by tool results."""

from __future__ import annotations

import pytest

from agent.llm.grounding import check, sources_from

_TOOLS = [
    {
        "expected": "82.3%",
        "current": "74.7%",
        "visits": 3704,
        "p_value": 1.8e-21,
        "loss_per_week": "USD 21,957",
        "relative_change_pct": -9.2,
        "top_cause": "app_version=5.2 & channel=app",
        "window": "2026-03-25..2026-03-31",
        "rate": 0.4753,
        "quotes": [
            {"id": "ins-000042", "quote": '<customer_quote id="ins-000042">x</customer_quote>'}
        ],
        "insight_ids": ["rev_17"],
    }
]


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("It fell from 82.3% to 74.7% on 3,704 visits.", True),
        ("It fell from 82% to 75%.", True),  # rounded to the precision written
        ("47.5% of sessions in the segment converted.", True),  # a rate as a percentage
        ("Loss: USD 21,957 per week; p=1.8e-21; −9.2 %.", True),
        ("The cause is app_version=5.2 & channel=app.", True),
        ("Week 2026-03-25..2026-03-31, three causes, top 3 fixes.", True),
        ("Customers complain [ins-000042] [rev_17].", True),
        ("It fell by 7.6 points.", False),  # a difference the tools did not return
        ("It fell from 82.3% to 71.0%.", False),
        ("Loss is about USD 22,000 per week.", False),
        ("It started on 2026-03-20.", False),
        ("Customers complain [ins-999999].", False),
        ("About 3,700 visits.", False),
    ],
)
def test_numbers_dates_and_citations(answer: str, ok: bool) -> None:
    report = check(answer, sources_from(_TOOLS))
    assert report.ok is ok, report.describe()


def test_numbers_the_user_wrote_may_be_repeated() -> None:
    src = sources_from(_TOOLS, ["did it fall below 78% after the 5.3 release?"])
    assert check("It is below 78%; release 5.3 is not involved.", src).ok


def test_the_report_names_each_problem() -> None:
    report = check("fell 37.9% on 2026-01-01 [ins-1x]", sources_from(_TOOLS))
    assert report.ungrounded_numbers == ["37.9"]
    assert report.undated == ["2026-01-01"]
    assert report.unknown_ids == ["ins-1x"]
