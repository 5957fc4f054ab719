"""The council app factory: routes, security headers, error pages and static files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.context import RunContext
from agent.web.auth import NotSignedIn
from agent.web.render import render
from agent.web.routes import actions as routes_actions
from agent.web.routes import api as routes_api
from agent.web.routes import misc as routes_misc
from agent.web.routes import pages as routes_pages
from agent.web.routes import slack as routes_slack
from agent.web.state import STATIC_DIR, WebState, make_templates, session_secret

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(ctx_factory: Callable[[], RunContext]) -> FastAPI:
    """Build the council app over the run context `ctx_factory` returns (called once)."""
    ctx = ctx_factory()
    state = WebState(
        ctx=ctx, secret=session_secret(ctx.settings, ctx.workspace.root), templates=make_templates()
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="journeyops council",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (routes_pages, routes_actions, routes_misc, routes_api, routes_slack):
        app.include_router(module.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        values = {"status": exc.status_code, "detail": str(exc.detail)}
        return render(request, "error.html", values, status_code=exc.status_code)

    return app
