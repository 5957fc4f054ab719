"""Which follow-up a question asks for, read from its (translated) words."""

from __future__ import annotations

import pytest

from agent.chat.intents import asks_week_before, compares_periods, intent_of


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what do customers say about it?", "evidence"),
        ("any complaints or feedback?", "evidence"),
        ("which fix first and why?", "fix"),
        ("what should we do first?", "fix"),
        ("compare this week with the week before", "compare"),
        ("app vs web", "compare"),
        ("why did checkout payment conversion drop last week?", None),
        ("what's the weather in paris tomorrow?", None),
    ],
)
def test_intent_of_a_question(text: str, intent: str | None) -> None:
    assert intent_of(text) == intent


@pytest.mark.parametrize(
    ("text", "before"),
    [("and the week before?", True), ("and the previous week?", True), ("and last week?", False)],
)
def test_the_week_before_is_recognised(text: str, before: bool) -> None:
    assert asks_week_before(text) is before


@pytest.mark.parametrize(
    ("text", "periods"),
    [("compare this week with the week before", True), ("compare app and web", False)],
)
def test_comparisons_are_of_periods_or_of_segments(text: str, periods: bool) -> None:
    assert compares_periods(text) is periods
