"""CLI: `journeyops chat` (interactive) and `journeyops ask` (one question)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from agent.cli.env import CliEnv, env
from agent.context import RunContext
from agent.reports.escape import strip_control, terminal_text

console = Console()
err_console = Console(stderr=True)

_HELP = """Commands: `/help` this text · `/propose N` file fix N of the last answer for council \
approval · `/quit` leave (the thread is saved; resume with `--thread ID`).
Ask things like *why did checkout payment conversion drop last week?*"""


_PROPOSE = re.compile(r"^\s*/propose\s+(\d+)\s*$")


def _new_thread() -> str:
    return "chat-" + dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")


def _status(message: str) -> None:
    if message.startswith("→"):
        err_console.print(message, style="dim", highlight=False, markup=False)


def _open(e: CliEnv, quiet: bool) -> RunContext:
    return e.context(status=(lambda _m: None) if quiet else _status)


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Your question, in plain words.")],
    thread: Annotated[str | None, typer.Option(help="Continue this conversation thread.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn as JSON.")] = False,
) -> None:
    """Ask one question; the answer cites numbers and customer quotes from the data."""
    # Imported when the command runs, for start-up time.
    from agent.chat.conversation import Conversation
    from agent.checkpoints import open_checkpointer

    e = env(ctx)
    run = _open(e, quiet=as_json)
    thread_id = thread or _new_thread()
    n = propose_number(question)
    if n is not None and thread is None:
        raise typer.BadParameter(
            "/propose N files a fix offered earlier in a thread: add --thread THREAD",
            param_hint="--thread",
        )
    with open_checkpointer(e.settings, e.workspace) as saver:
        conv = Conversation(run, thread_id=thread_id, checkpointer=saver)
        if n is not None:
            text = conv.propose(n)
            if as_json:
                sys.stdout.write(json.dumps({"question": question, "answer": text}) + "\n")
            else:
                _print_answer(text)
                err_console.print(terminal_text(f"thread {thread_id}", style="dim"))
            return
        turn = conv.ask(question)
    if as_json:
        sys.stdout.write(turn.model_dump_json(indent=2) + "\n")
        return
    _print_answer(turn.answer)
    for event in turn.events:
        err_console.print(Text("note: ", style="yellow") + terminal_text(event), highlight=False)
    err_console.print(terminal_text(f"thread {thread_id}", style="dim"))


def propose_number(text: str) -> int | None:
    """Return N of a `/propose N` command, or None when the text is a question."""
    m = _PROPOSE.match(text)
    return int(m.group(1)) if m else None


def _print_answer(markdown: str) -> None:
    # Answers are Markdown built from escaped data; escapes and control codes never pass.
    console.print(Markdown(strip_control(markdown)))


def chat(
    ctx: typer.Context,
    thread: Annotated[str | None, typer.Option(help="Resume this conversation thread.")] = None,
) -> None:
    """Chat with journeyops about your journeys (offline planner unless a model is set)."""
    # Imported when the command runs, for start-up time.
    from agent.chat.conversation import Conversation
    from agent.checkpoints import open_checkpointer

    e = env(ctx)
    run = _open(e, quiet=False)
    thread_id = thread or _new_thread()
    mode = "offline planner" if e.settings.llm.provider == "offline" else e.settings.llm.model
    console.print(
        Panel(f"journeyops chat · {mode} · thread [bold]{thread_id}[/bold]\n{_HELP}", expand=False)
    )
    with open_checkpointer(e.settings, e.workspace) as saver:
        conv = Conversation(run, thread_id=thread_id, checkpointer=saver)
        while True:
            try:
                text = console.input("[bold cyan]you>[/bold cyan] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                break
            if not text:
                continue
            if text in ("/quit", "/exit", "/q"):
                break
            if text == "/help":
                console.print(Markdown(_HELP))
                continue
            if text.startswith("/propose"):
                n = propose_number(text)
                if n is None:
                    console.print("Usage: /propose N (a fix number from the last answer)")
                    continue
                _print_answer(conv.propose(n))
                continue
            with console.status("thinking …", spinner="dots"):
                turn = conv.ask(text)
            _print_answer(turn.answer)
            for event in turn.events:
                console.print(Text("note: ", style="yellow") + terminal_text(event))
    console.print(f"[dim]Saved. Resume with: journeyops chat --thread {thread_id}[/dim]")
