"""The weekly journey review as files: Markdown and standalone HTML (autoescaped, no scripts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from agent.context import RunContext
from agent.reports.escape import finalize_html
from agent.reports.escape import md_text as quote_inert
from agent.reports.weekly import JourneyWeek, build_weekly, payback_text
from tools.units import format_money

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        finalize=finalize_html,
    )
    env.globals["money"] = format_money
    return env


def _css() -> str:
    return (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")


def render_html(week: JourneyWeek) -> str:
    """Return one journey's weekly review as a self-contained HTML page."""
    payback = payback_text(week.funding.payback_weeks) if week.funding else ""
    return _templates().get_template("weekly.html").render(w=week, css=_css(), payback=payback)


def render_index(weeks: list[JourneyWeek]) -> str:
    """Return the index page linking every journey's review."""
    return _templates().get_template("weekly_index.html").render(weeks=weeks, css=_css())


def render_markdown(week: JourneyWeek) -> str:
    """Return one journey's weekly review as Markdown (customer text rendered inert)."""
    lines = [f"# {quote_inert(week.name)} — week {week.week_start} to {week.as_of}", ""]
    sections = (
        ("Incidents", week.incidents),
        ("What broke", week.broke),
        ("What was decided", week.decided),
        ("What was dispatched", week.dispatched),
        ("What recovered", week.recovered),
        ("What is next", week.next),
    )
    for title, items in sections:
        lines += [f"## {title}", ""]
        lines += [f"- {quote_inert(i)}" for i in items] or ["Nothing this week."]
        lines.append("")
    f = week.funding
    if f is not None:
        won, checked = f.track_record
        roi = f"{f.roi:.1f}×" if f.roi is not None else "n/a"
        payback = payback_text(f.payback_weeks)
        lines += [
            f"## Funding case: {quote_inert(f.title)}",
            "",
            f"- Action: `{f.action_id}` ({f.playbook}, effort {f.effort})",
            f"- Money at stake: {format_money(f.at_stake_per_week, f.currency)} per week",
            f"- Cost: {format_money(f.cost, f.currency)} one-off",
            f"- Expected return: {format_money(f.expected_value_per_week, f.currency)} per week, "
            f"{format_money(f.expected_return, f.currency)} over {f.horizon_weeks} weeks "
            f"(net {format_money(f.net_return, f.currency)}, return on cost {roi}, "
            f"payback {payback})",
            f"- Track record of this playbook: {won} of {checked} checked fixes recovered",
            f"- Hypothesis: {quote_inert(f.hypothesis) or 'none'}",
        ]
        lines += [f"- Cause: {quote_inert(c)}" for c in f.causes]
        lines += [f"- Customer quote {i} (untrusted): {quote_inert(t)}" for i, t in f.quotes]
        lines.append("")
    return "\n".join(lines)


def write_weekly(ctx: RunContext, *, as_of: dt.date | None, out: Path) -> list[Path]:
    """Write `<journey>.md` and `<journey>.html` for every journey, and an index; return paths."""
    weeks = build_weekly(ctx, as_of=as_of)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for week in weeks:
        md, html = out / f"{week.journey}.md", out / f"{week.journey}.html"
        md.write_text(render_markdown(week), encoding="utf-8")
        html.write_text(render_html(week), encoding="utf-8")
        written += [md, html]
    index = out / "index.html"
    index.write_text(render_index(weeks), encoding="utf-8")
    return [*written, index]
