"""The weekly journey review as standalone HTML files (autoescaped, no scripts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.web.state import STATIC_DIR, make_templates

if TYPE_CHECKING:
    from agent.weekly_report import JourneyWeek


def render_html(week: JourneyWeek) -> str:
    """Return one journey's weekly review as a self-contained HTML page."""
    from agent.weekly_report import payback_text

    template = make_templates().get_template("weekly.html")
    css = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
    payback = payback_text(week.funding.payback_weeks) if week.funding else ""
    return template.render(w=week, css=css, payback=payback)


def render_index(weeks: list[JourneyWeek]) -> str:
    """Return the index page linking every journey's review."""
    template = make_templates().get_template("weekly_index.html")
    return template.render(weeks=weeks, css=(STATIC_DIR / "app.css").read_text(encoding="utf-8"))
