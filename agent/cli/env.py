"""What every CLI command shares: the workspace, the settings and the run context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer

from agent.config import Settings, load_settings
from agent.context import RunContext, build_context
from agent.workspace import Workspace
from store.errors import InputError


@dataclass
class CliEnv:
    """Options of the root command, with the settings and context built on first use."""

    home: Path | None
    config: Path | None
    _settings: Settings | None = None
    _workspace: Workspace | None = None
    _context: RunContext | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.resolve(self.home)
        return self._workspace

    def context(
        self, *, status: Callable[[str], None] | None = None, with_insights: bool = True
    ) -> RunContext:
        """Return the run context (opening the stores once per process)."""
        if self._context is None:
            self._context = build_context(
                self.settings, self.workspace, with_insights=with_insights
            )
            if self.settings.llm.provider != "offline":
                # Imported when the command runs, for start-up time.
                from agent.llm.openai_compat import make_llm

                self._context.llm = make_llm(self.settings.llm)
        if status is not None:
            self._context.status = status
        return self._context

    def close(self) -> None:
        """Release the stores when the command ends, so no process holds them longer."""
        if self._context is not None:
            self._context.warehouse.close()
            self._context.sessions.kw["bind"].dispose()
            self._context = None


def env(ctx: typer.Context) -> CliEnv:
    """Return the shared CLI environment stored on the root context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliEnv)
    return obj


def parse_day(option: str, value: str | None) -> dt.date | None:
    """Return the ISO date given for `option`, or None; a bad one is an error naming it."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(option, None, None, f"not a date YYYY-MM-DD ({value!r})") from None
