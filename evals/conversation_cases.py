"""Agent cases for conversations and rendering (issue 13): follow-ups, other windows,
comparisons, `/propose N`, questions in Spanish, German, French and Portuguese, and how
numbers and Markdown read. `evals.agent_cases` adds them to `journeyops eval agent`.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from pydantic import BaseModel

from evals.demo import GroundTruth, Incident
from tools.units import format_segment

# The case model lives in `evals.agent_cases`, which imports this module; it is passed in.
AgentCase = TypeVar("AgentCase", bound=BaseModel)

_NO_ACTION_TOOLS = ["propose_action"]
_WORDS = {"repeat_contact_rate": "repeat contact rate", "csat": "CSAT", "duration": "time"}
_LANGUAGES: dict[str, dict[str, str]] = {
    "es": {
        "template": "¿Por qué empeoró la {metric} en {stage} de {journey} la semana pasada?",
        "checkout": "proceso de compra",
        "payment": "pago",
        "confirmation": "confirmación",
        "insurance_claim": "siniestro",
        "assessment": "evaluación",
        "billing_dispute": "disputa de facturación",
        "resolution": "resolución",
        "password_reset": "restablecer contraseña",
        "verify_identity": "verificación de identidad",
        "conversion": "conversión",
        "duration": "duración",
        "csat": "satisfacción",
    },
    "de": {
        "template": "Warum ist die {metric} bei {stage} im {journey} letzte Woche gesunken?",
        "checkout": "Bestellvorgang",
        "payment": "Zahlung",
        "confirmation": "Bestätigung",
        "insurance_claim": "Schadensfall",
        "assessment": "Begutachtung",
        "billing_dispute": "Rechnungsreklamation",
        "resolution": "Klärung",
        "password_reset": "Passwort zurücksetzen",
        "verify_identity": "Identitätsprüfung",
        "conversion": "Konversion",
        "duration": "Dauer",
        "csat": "Zufriedenheit",
    },
    "fr": {
        "template": (
            "Pourquoi la {metric} de {stage} ({journey}) a-t-elle baissé la semaine dernière ?"
        ),
        "checkout": "commande",
        "payment": "paiement",
        "confirmation": "confirmation",
        "insurance_claim": "sinistre",
        "assessment": "évaluation",
        "billing_dispute": "litige de facturation",
        "resolution": "résolution",
        "password_reset": "mot de passe oublié",
        "verify_identity": "vérification d'identité",
        "conversion": "conversion",
        "duration": "durée",
        "csat": "satisfaction client",
    },
    "pt": {
        "template": "Por que a {metric} da {stage} de {journey} piorou na semana passada?",
        "checkout": "finalização da compra",
        "payment": "pagamento",
        "confirmation": "confirmação",
        "insurance_claim": "sinistro",
        "assessment": "avaliação",
        "billing_dispute": "contestação de fatura",
        "resolution": "resolução",
        "password_reset": "redefinição de senha",
        "verify_identity": "verificação de identidade",
        "conversion": "conversão",
        "duration": "duração",
        "csat": "satisfação",
    },
}


def conversation_cases(truth: GroundTruth, case: type[AgentCase]) -> list[AgentCase]:
    """Return the conversation and rendering cases for a demo with this ground truth."""
    out: list[AgentCase] = []
    langs = list(_LANGUAGES)
    for i, inc in enumerate(truth.incidents):
        week_before = truth.as_of - dt.timedelta(days=7)
        out += _per_incident(inc, langs[i % len(langs)], week_before, case)
    top = next((i for i in truth.incidents if i.kind == "rate_change"), truth.incidents[0])
    out += _around(top, truth, case)
    return out


def why(inc: Incident) -> str:
    """Return the English question about an incident."""
    return f"why did {inc.journey} {inc.stage} {_WORDS.get(inc.metric, inc.metric)} drop last week?"


def asked_in(lang: str, inc: Incident) -> str:
    """Return the question about an incident in another language."""
    words = _LANGUAGES[lang]
    return words["template"].format(
        metric=words[inc.metric], stage=words[inc.stage], journey=words[inc.journey]
    )


def _per_incident(
    inc: Incident, lang: str, week_before: dt.date, case: type[AgentCase]
) -> list[AgentCase]:
    segment = format_segment(inc.segment)
    return [
        case(
            name=f"{inc.id}-which-fix-first",
            turns=[why(inc), "which fix first and why?"],
            expect_tools=["recommend_fixes"],
            forbid_tools=["detect_breakdowns", *_NO_ACTION_TOOLS],
            expect_text=["Start with fix 1", "Why first", segment],
        ),
        case(
            name=f"{inc.id}-the-week-before",
            turns=[why(inc), "and the week before?"],
            expect_tools=["detect_breakdowns"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=[f"week to {week_before}"],
            forbid_text=["running offline"],
        ),
        case(
            name=f"{inc.id}-asked-in-{lang}",
            turns=[asked_in(lang, inc)],
            expect_tools=["detect_breakdowns", "localize"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=[f"at {inc.journey} › {inc.stage}", segment],
        ),
    ]


def _around(top: Incident, truth: GroundTruth, case: type[AgentCase]) -> list[AgentCase]:
    segment = format_segment(top.segment)
    (dim, value), *_ = sorted(top.segment.items())
    cites = top.evidence_insight_ids
    clean = truth.clean_journeys[0]
    cases = [
        case(
            name="compare-this-week-with-the-week-before",
            turns=[why(top), "compare this week with the week before"],
            expect_tools=["compare_periods"],
            forbid_tools=["detect_breakdowns", *_NO_ACTION_TOOLS],
            expect_text=[f"{truth.window_start}..{truth.window_end}", "against"],
        ),
        case(
            name="compare-segments",
            turns=[why(top), f"compare {dim} {value} with the other {dim} values"],
            expect_tools=["compare_segments"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=[f"{dim}={value}", "by segment"],
        ),
        case(
            name="customers-say-does-not-repeat-the-answer",
            turns=[why(top), "what do customers say about it?"],
            expect_tools=["search_insights"],
            forbid_tools=["detect_breakdowns", "recommend_fixes", *_NO_ACTION_TOOLS],
            expect_text=["What customers say", segment],
            forbid_text=["Recommended fixes"],
            cite_one_of=cites,
        ),
        case(
            name="slash-propose-after-an-answer",
            turns=[why(top), "/propose 1"],
            expect_tools=["propose_action"],
            expect_proposal=True,
        ),
        case(
            name="numbers-read-in-their-units",
            turns=[why(top)],
            expect_tools=["detect_breakdowns"],
            expect_text=["p < 0.001", "on mentions per day"],
            forbid_text=["e-0", "e-1", "e-2", "e-3", "e+0", "p=", "in the baseline (lift"],
        ),
        case(
            name="answer-renders-as-html-in-the-web-app",
            turns=[why(top), "which fix first and why?"],
            expect_tools=["recommend_fixes"],
            forbid_tools=_NO_ACTION_TOOLS,
            check_html=True,
        ),
        case(
            name="clean-journey-the-week-before",
            turns=[f"did anything break in {clean} last week?", "and the week before?"],
            expect_tools=["detect_breakdowns"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=["No significant breakdown"],
        ),
        case(
            name="follow-up-in-spanish",
            turns=[asked_in("es", top), "¿Qué dicen los clientes?"],
            expect_tools=["search_insights"],
            forbid_tools=["detect_breakdowns", *_NO_ACTION_TOOLS],
            expect_text=["What customers say"],
            cite_one_of=cites,
        ),
        case(
            name="which-fix-in-german",
            turns=[asked_in("de", top), "Welche Lösung zuerst und warum?"],
            expect_tools=["recommend_fixes"],
            forbid_tools=["detect_breakdowns", *_NO_ACTION_TOOLS],
            expect_text=["Start with fix 1"],
        ),
        case(
            name="week-before-in-french",
            turns=[asked_in("fr", top), "Et la semaine précédente ?"],
            expect_tools=["detect_breakdowns"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=[f"week to {truth.as_of - dt.timedelta(days=7)}"],
        ),
        case(
            name="compare-in-portuguese",
            turns=[asked_in("pt", top), "Comparar com a semana anterior"],
            expect_tools=["compare_periods"],
            forbid_tools=_NO_ACTION_TOOLS,
            expect_text=["against"],
        ),
        case(
            name="off-topic-in-spanish",
            turns=["¿Qué tiempo hará en París mañana?"],
            forbid_tools=["detect_breakdowns", "localize", *_NO_ACTION_TOOLS],
        ),
        case(
            name="off-topic-in-german",
            turns=["Schreib mir ein Gedicht über den Frühling"],
            forbid_tools=["detect_breakdowns", "localize", *_NO_ACTION_TOOLS],
        ),
    ]
    for lang in ("de", "fr", "pt"):
        cases.append(
            case(
                name=f"checkout-payment-in-{lang}",
                turns=[asked_in(lang, top)],
                expect_tools=["detect_breakdowns", "localize"],
                forbid_tools=_NO_ACTION_TOOLS,
                expect_text=[f"at {top.journey} › {top.stage}", segment],
                forbid_text=["confirmation"],
                cite_one_of=cites,
            )
        )
    return cases
