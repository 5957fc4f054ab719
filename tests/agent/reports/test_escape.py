"""Hostile values from data pass through every output inert: terminal, Markdown, CSV, HTML, chat."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from rich.console import Console

from agent.chat.narrate import narrate
from agent.chat.tools.breakdowns import BreakdownSummary, Causes, CauseSummary, Detection, Scope
from agent.chat.tools.registry import ToolOutcome
from agent.config import Settings
from agent.reports.escape import csv_cell, markdown_to_html, md_cell, strip_control
from agent.reports.markdown import render_markdown
from agent.reports.terminal import print_report
from agent.reports.weekly import JourneyWeek
from agent.reports.weekly_files import render_html
from agent.reports.weekly_files import render_markdown as weekly_markdown
from store.findings import (
    Breakdown,
    Cause,
    Evidence,
    Hypothesis,
    Impact,
    Quote,
    Recommendation,
    ScanResult,
    Theme,
    Window,
)

HOSTILE = [
    pytest.param("a|b", id="pipe"),
    pytest.param('=HYPERLINK("http://x","y")', id="formula"),
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("\x1b[31mred\x1b[0m", id="ansi"),
    pytest.param("\x1b]8;;https://x.example\x1b\\click\x1b]8;;\x1b\\", id="osc8"),
    pytest.param("\x9b31mc1", id="c1-csi"),
    pytest.param("[link=https://x.example]y[/link]", id="rich-markup"),
    pytest.param("first\nsecond\r\n| injected | row |", id="newline"),
    pytest.param("**bold** `code` \\!", id="markdown"),
]


def _scan(value: str) -> ScanResult:
    window = Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31))
    bd = Breakdown(
        id="bd-1",
        journey="checkout",
        stage="payment",
        metric="conversion",
        window=window,
        baseline=0.8244,
        current=0.7456,
        p_value=1e-300,
        severity="high",
        impact=Impact(currency="USD", per_week=48200.0),
        visits=136500.0,
        causes=[
            Cause(
                segment={"channel": value, value: "x"},
                kind="rate_change",
                explained_share=1.17,
                baseline=0.82,
                current=0.6,
                visits=900.0,
            )
        ],
        hypotheses=[Hypothesis(statement=value, confidence=0.8, evidence=Evidence(facts=[value]))],
        quotes=[Quote(id="ins-1", text=value, source=value, ts="2026-03-30T10:00:00")],
        themes=[
            Theme(
                label=value,
                count=36,
                baseline_count=36,
                lift=3.9,
                window_days=7,
                baseline_days=28,
            )
        ],
        recommendations=[
            Recommendation(
                rank=1,
                title=value,
                playbook="rollback_release",
                expected_value_per_week=4.1e4,
                effort="S",
            )
        ],
    )
    return ScanResult(as_of=window.end, breakdowns=[bd], notices=[value])


def _no_escapes(text: str, *, html: bool = False) -> None:
    assert "\x1b" not in text and "\x9b" not in text
    # A carriage return can overwrite a terminal line or split a Markdown row; HTML ignores it.
    assert html or "\r" not in text


def _no_live_html(text: str) -> None:
    assert not re.search(r"(?<!\\)<script", text)


def _table_rows_intact(markdown: str) -> None:
    """Every table row has as many unescaped pipes as its header."""
    widths = set()
    for line in markdown.splitlines():
        if line.startswith("|"):
            widths.add(len(re.findall(r"(?<!\\)\|", line)))
        elif widths:
            assert len(widths) == 1, widths
            widths = set()


@pytest.mark.parametrize("value", HOSTILE)
def test_terminal_report_shows_data_as_plain_text(value: str, settings: Settings) -> None:
    out = StringIO()
    console = Console(file=out, color_system=None, width=400, legacy_windows=False)
    print_report(console, _scan(value), settings.metrics, [])
    text = out.getvalue()
    _no_escapes(text)
    if value.startswith("[link="):
        assert "[link=https://x.example]y[/link]" in text
    assert "e+0" not in text and "e-300" not in text and "p < 0.001" in text


@pytest.mark.parametrize("value", HOSTILE)
def test_scan_markdown_keeps_tables_and_defuses_formulas(value: str, settings: Settings) -> None:
    markdown = render_markdown(_scan(value), settings.metrics, [])
    _no_escapes(markdown)
    _no_live_html(markdown)
    _table_rows_intact(markdown)
    assert "| =" not in markdown and "| +" not in markdown
    assert not re.search(r"(?<!\\)\[link=", markdown) and "**bold**" not in markdown
    html = markdown_to_html(markdown)
    _no_live_html(html)
    assert "<strong>bold</strong>" not in html and 'href="https://x' not in html


@pytest.mark.parametrize("value", HOSTILE)
def test_weekly_review_renders_data_inert_in_markdown_and_html(value: str) -> None:
    week = JourneyWeek(
        journey="checkout",
        name=value,
        week_start=dt.date(2026, 3, 25),
        as_of=dt.date(2026, 3, 31),
        broke=[value],
        decided=[value],
    )
    markdown = weekly_markdown(week)
    _no_escapes(markdown)
    _no_live_html(markdown)
    assert "**bold**" not in markdown
    html = render_html(week)
    _no_escapes(html, html=True)
    _no_live_html(html)


@pytest.mark.parametrize("value", HOSTILE)
def test_chat_answer_renders_data_inert_in_terminal_and_web(value: str) -> None:
    summary = BreakdownSummary(
        breakdown_id="bd-1",
        journey=value,
        stage="payment",
        metric="conversion",
        metric_label="Conversion",
        window="2026-03-25..2026-03-31",
        expected="82.4%",
        current="74.6%",
        relative_change_pct=-9.6,
        visits=136500,
        p_value=1e-300,
        significance="p < 0.001",
        severity="high",
        loss_per_week="USD 48,200",
        top_cause=value,
        top_cause_kind="rate_change",
    )
    detection = Detection(
        as_of=dt.date(2026, 3, 31),
        scope=Scope(journey=None, stage=None, metric=None),
        breakdowns=[summary],
        breakdowns_elsewhere=0,
    )
    cause = CauseSummary(
        rank=1,
        segment=value,
        kind="rate_change",
        explained_share="100% (capped from 117%: the rest moved the other way)",
        segment_before="82.0%",
        segment_now="60.0%",
        segment_visits=900,
        note="",
    )
    outcomes = [
        ToolOutcome(call_id="1", name="detect_breakdowns", arguments={}, result=detection),
        ToolOutcome(
            call_id="2",
            name="localize",
            arguments={"breakdown_id": "bd-1"},
            result=Causes(breakdown_id="bd-1", causes=[cause], no_localized_cause=False),
        ),
    ]
    answer = narrate(outcomes)
    assert "p < 0.001" in answer and "e-300" not in answer
    html = markdown_to_html(answer)
    _no_escapes(html, html=True)
    _no_live_html(html)
    assert "<strong>bold</strong>" not in html and 'href="https://x' not in html
    assert "<strong>Conversion at" in html


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("\x1b[31mred", "red"),
    ],
)
def test_csv_cells_never_start_a_formula(value: str, cell: str) -> None:
    assert csv_cell(value) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [("a|b", "a\\|b"), ("=HYPERLINK(1)", "'=HYPERLINK\\(1\\)"), ("app_version", "app_version")],
)
def test_markdown_cells_escape_pipes_and_formulas(value: str, cell: str) -> None:
    assert md_cell(value) == cell


def test_strip_control_keeps_text_tabs_and_newlines() -> None:
    assert strip_control("a\tb\nc\x07\x1b[1mD\x1b]8;;u\x07E\x1b]8;;\x07\x85") == "a\tb\ncDE"


def test_chat_markdown_becomes_html_without_raw_html() -> None:
    html = markdown_to_html("**Conversion** fell; say `/propose 1` <b>x</b> \\!")
    assert "<strong>Conversion</strong>" in html and "<code>/propose 1</code>" in html
    assert "<b>" not in html and "&lt;b&gt;" in html and "\\!" not in html
