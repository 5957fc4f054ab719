"""What every request of the council app shares: the run context, secrets and templates."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from agent.checkpoints import open_checkpointer
from agent.config import Settings
from agent.context import RunContext
from agent.reports.escape import finalize_html, markdown_to_html
from tools.units import format_money, format_p, format_value, theme_mentions

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class WebState:
    """The app's dependencies, built once by `create_app`."""

    ctx: RunContext
    secret: bytes
    templates: Jinja2Templates
    _chat_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _checkpointer: BaseCheckpointSaver[str] | None = None

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def chat_lock(self, user: str) -> threading.Lock:
        """Return the lock that keeps one user's chat turns in order (never other users')."""
        with self._locks_guard:
            return self._chat_locks.setdefault(user, threading.Lock())

    def checkpointer(self) -> BaseCheckpointSaver[str]:
        """Open the chat checkpointer on first use; it lives until `close`."""
        if self._checkpointer is None:
            self._checkpointer = self._stack.enter_context(
                open_checkpointer(self.ctx.settings, self.ctx.workspace)
            )
        return self._checkpointer

    def close(self) -> None:
        """Close what the app opened lazily (the chat checkpointer)."""
        self._stack.close()
        self._checkpointer = None


def web_state(request: Request) -> WebState:
    """Return the app's shared state."""
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


def session_secret(settings: Settings, workspace_root: Path) -> bytes:
    """Return the cookie-signing secret: the configured env variable, else a workspace file."""
    from_env = os.environ.get(settings.web.secret_env, "") if settings.web.secret_env else ""
    if from_env:
        return from_env.encode("utf-8")
    path = workspace_root / "web-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip().encode("utf-8")


def make_templates() -> Jinja2Templates:
    """Return the Jinja2 templates with autoescaping on for every template."""

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        finalize=finalize_html,
    )
    env.globals["fmt"] = format_value
    env.globals["p_value"] = format_p
    env.globals["mentions"] = theme_mentions
    env.filters["markdown"] = markdown_to_html
    env.globals["money"] = format_money
    return Jinja2Templates(env=env)
