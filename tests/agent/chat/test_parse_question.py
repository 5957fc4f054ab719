"""The offline planner reads names: exact ones, typos, and common words that are not names."""

from __future__ import annotations

import datetime as dt

from agent.chat.parse_question import parse_question

JOURNEYS = {
    "checkout": ["browse", "cart", "payment", "confirmation"],
    "account": ["login", "password_reset"],
}
TODAY = dt.date(2026, 3, 31)


def _place(text: str) -> tuple[str | None, str | None]:
    q = parse_question(text, journeys=JOURNEYS, metrics=["conversion"], today=TODAY)
    return q.journey, q.stage


def test_names_and_their_typos_are_matched() -> None:
    assert _place("why did payment drop?") == ("checkout", "payment")
    assert _place("why did paymnet drop?") == ("checkout", "payment")
    assert _place("is the password reset broken?") == ("account", "password_reset")
    assert _place("did resets fail at login?") == ("account", "login")


def test_a_common_short_word_is_not_a_typo_of_a_stage() -> None:
    assert _place("how did the rest of checkout do last week?") == ("checkout", None)
    assert _place("and the rest?") == (None, None)
