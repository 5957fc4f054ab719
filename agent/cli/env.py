"""What every CLI command shares: the workspace, the settings and the run context."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.config import Settings, load_settings
from agent.context import RunContext, build_context
from agent.reports.escape import error_line
from agent.workspace import Workspace
from store.errors import InputError
from store.signin.tokens import authenticate


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


# Who decides at the CLI: the owner of a sign-in token, never whoever `--as` names.

AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Your user name, checked against your token (optional)."),
]
TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        help="A file holding your token, readable by you only (else $JOURNEYOPS_TOKEN).",
    ),
]
_err = Console(stderr=True)


class IdentityError(Exception):
    """The CLI cannot establish who is deciding; the message says what to do."""


def read_token_file(path: Path) -> str:
    """Return the token in `path`, refusing a file that others may read or that is not ours."""
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise IdentityError(f"--token-file {path}: cannot read it ({exc.strerror})") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityError(
            f"--token-file {path}: group or others may access it "
            f"(mode {stat.filemode(info.st_mode)}); run `chmod 600 {path}`"
        )
    if info.st_uid != os.getuid():
        raise IdentityError(f"--token-file {path}: owned by another user")
    if not text:
        raise IdentityError(f"--token-file {path}: empty")
    return text


def deciding_user(
    run: RunContext,
    *,
    as_user: str | None,
    token_file: Path | None,
    environ: Mapping[str, str] = os.environ,
    warn: Callable[[str], None] = lambda _m: None,
) -> str:
    """Return the user whose credentials this command carries; raise IdentityError if none."""
    security = run.settings.security
    token = read_token_file(token_file) if token_file is not None else ""
    token = token or environ.get(security.token_env, "").strip()
    if token:
        with run.sessions.begin() as session:
            user = authenticate(session, token=token, now=run.clock())
            name = user.name if user is not None else None
        if name is None:
            raise IdentityError("the token is unknown, revoked, or its user is disabled")
        if as_user is not None and as_user != name:
            raise IdentityError(f"--as {as_user} does not match the token, which is {name}'s")
        return name
    if security.single_operator and as_user:
        warn(
            f"single-operator mode: deciding as {as_user} without credentials "
            "(anyone at this shell can act as any council member)"
        )
        return as_user
    raise IdentityError(
        f"deciding needs your credentials: set ${security.token_env} to your token or pass "
        "--token-file (mint one with `journeyops tokens create USER`); --as alone is not "
        "accepted outside [security] single_operator mode"
    )


def who(run: RunContext, *, as_user: str | None, token_file: Path | None) -> str:
    """Return the deciding user, or print why there is none and exit with status 2."""
    try:
        return deciding_user(
            run,
            as_user=as_user,
            token_file=token_file,
            warn=lambda m: _err.print(error_line(RuntimeError(m), "warning"), highlight=False),
        )
    except IdentityError as exc:
        _err.print(error_line(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
