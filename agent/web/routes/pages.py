"""Pages: sign-in and sign-out, the journey health overview and the breakdown detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Principal,
    SignInRefused,
    check_login_csrf,
    client_address,
    csrf_for,
    end_current_session,
    exchange_token,
    login_nonce,
    read_form,
    require,
    sign_session,
)
from agent.web.render import render
from agent.web.state import WebState, web_state
from agent.web.views.health import breakdown_view, overview
from agent.web.views.live import live_incidents

router = APIRouter()


def set_session_cookie(response: Response, state: WebState, *, user: str) -> str:
    """Attach the signed session cookie (HttpOnly, SameSite=Strict); return its CSRF token."""
    value, csrf = sign_session(state, user=user)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=state.settings.web.session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=state.settings.web.secure_cookie,
        path="/",
    )
    return csrf


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = "") -> Response:
    """Show the sign-in form (a token minted with `journeyops tokens create`)."""
    state = web_state(request)
    cookie, nonce = login_nonce(state, request)
    response = render(request, "login.html", {"csrf": csrf_for(state, nonce), "error": error})
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=state.settings.web.secure_cookie,
    )
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    """Exchange a sign-in token for a session cookie."""
    state = web_state(request)
    form = await read_form(request)
    if not check_login_csrf(state, request, form.get("csrf", "")):
        raise HTTPException(403, "missing or wrong CSRF token; reload the sign-in page")
    try:
        name, _role = await run_in_threadpool(
            exchange_token,
            state,
            token=form.get("token", "").strip(),
            user=form.get("user", "").strip(),
            client=client_address(request),
        )
    except SignInRefused as exc:
        if exc.status == 429:
            raise HTTPException(429, str(exc)) from None
        return RedirectResponse("/login?error=unknown+or+revoked+token", status_code=303)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, state, user=name)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _me: Annotated[Principal, Depends(require("read"))]) -> Response:
    """End the session (its row at once, and the cookie is cleared)."""
    end_current_session(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def health(request: Request, _me: Annotated[Principal, Depends(require("read"))]) -> Response:
    """Journey health: every journey and stage, a sparkline per metric, open breakdowns."""
    ctx = web_state(request).ctx
    journeys, newest = overview(ctx)
    context = {"journeys": journeys, "newest": newest, "live": live_incidents(ctx)}
    return render(request, "overview.html", context)


@router.get("/breakdowns/{breakdown_id}", response_class=HTMLResponse)
def breakdown_page(
    request: Request, breakdown_id: str, _me: Annotated[Principal, Depends(require("read"))]
) -> Response:
    """One breakdown: chart, causes with numbers, cited quotes and ranked fixes."""
    view = breakdown_view(web_state(request).ctx, breakdown_id=breakdown_id)
    if view is None:
        raise HTTPException(404, f"no breakdown {breakdown_id}")
    return render(request, "breakdown.html", {"v": view})
