"""Render a page template with what every page needs (the user, CSRF token, navigation)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse

from agent.web.auth import Principal
from agent.web.state import web_state


def render(
    request: Request,
    template: str,
    values: Mapping[str, object] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Return the rendered page; templates autoescape every value."""
    principal = getattr(request.state, "principal", None)
    context: dict[str, object] = {
        "me": principal if isinstance(principal, Principal) else None,
        "currency": web_state(request).settings.money.currency,
        **(values or {}),
    }
    return web_state(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
