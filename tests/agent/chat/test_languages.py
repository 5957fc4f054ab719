"""Questions in Spanish, German, French and Portuguese read as their English meaning."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.chat.languages import Vocabulary, fold
from agent.chat.parse_question import parse_question
from agent.config import Settings

JOURNEYS = {
    "checkout": ["browse", "cart", "payment", "confirmation"],
    "returns": ["request", "label", "refund"],
}
METRICS = ["conversion", "duration", "csat"]


def test_fold_drops_case_and_accents() -> None:
    assert fold("  Conversión  del PAGO ") == "conversion del pago"
    assert fold("Bestätigung") == "bestatigung"


def test_the_shipped_config_has_four_languages(settings: Settings) -> None:
    assert set(settings.chat.synonyms) >= {"es", "de", "fr", "pt"}
    for lang, table in settings.chat.synonyms.items():
        assert {"conversion", "payment", "last week", "customers say", "which fix"} <= set(table), (
            lang
        )


@pytest.mark.parametrize(
    "question",
    [
        "¿Por qué bajó la conversión del pago la semana pasada?",
        "Warum ist die Konversion bei der Zahlung letzte Woche gesunken?",
        "Pourquoi la conversion du paiement a-t-elle baissé la semaine dernière ?",
        "Por que a conversão do pagamento caiu na semana passada?",
    ],
)
def test_a_question_naming_stage_and_metric_is_understood(
    settings: Settings, question: str
) -> None:
    text = Vocabulary(settings.chat.synonyms).translate(question)
    q = parse_question(text, journeys=JOURNEYS, metrics=METRICS, today=dt.date(2026, 3, 31))
    assert (q.journey, q.stage, q.metric) == ("checkout", "payment", "conversion")
    assert q.as_of == dt.date(2026, 3, 31)


def test_longer_phrases_win_and_only_whole_words_are_replaced() -> None:
    vocab = Vocabulary({"es": {"checkout": ["compra"], "journey_review": ["revisión de compra"]}})
    assert vocab.translate("Revisión de compra") == "journey_review"
    assert vocab.translate("compras compra") == "compras checkout"


def test_without_synonyms_the_question_is_only_folded() -> None:
    assert Vocabulary().translate("¿Qué PASÓ?") == "¿que paso?"
