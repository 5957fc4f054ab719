"""CLI: `journeyops mcp` (the chat tools over the Model Context Protocol) and `slack post`."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from agent.cli.env import env

console = Console()
err_console = Console(stderr=True)
slack_app = typer.Typer(help="Council messages in Slack.", no_args_is_help=True)


def mcp(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to bind with --http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port with --http.")] = 8765,
) -> None:
    """Serve the chat tools to other assistants over MCP (stdio, or HTTP with --http).

    On stdio the caller is the user of the token in JOURNEYOPS_TOKEN; over HTTP every
    request carries its own bearer token. Tools only read, except propose_action.
    """
    # Imported when the command runs, for start-up time.
    from agent.mcp.auth import TOKEN_ENV, MCPAuthError
    from agent.mcp.serve import MCP_PATH, serve_http, serve_stdio

    run = env(ctx).context()
    # The server holds the embedded warehouse only while a call runs.
    run.warehouse.close()
    if http:
        err_console.print(f"MCP on http://{host}:{port}{MCP_PATH} (Ctrl-C to stop)")
        serve_http(run, host=host, port=port)
        return
    try:
        serve_stdio(run, token=os.environ.get(TOKEN_ENV))
    except MCPAuthError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(2) from None


@slack_app.command("post")
def slack_post(
    ctx: typer.Context,
    action_ids: Annotated[list[str], typer.Argument(help="Actions to post for a decision.")],
) -> None:
    """Post proposals to their journeys' Slack channels with Approve / Reject buttons."""
    # Imported when the command runs, for start-up time.
    from agent.notify.proposal_card import proposal_card
    from agent.notify.slack_channel import SlackChannel, SlackError

    e = env(ctx)
    slack = SlackChannel.from_settings(e.settings.slack, os.environ)
    if slack is None:
        err_console.print(
            f"[bold red]error:[/bold red] {e.settings.slack.bot_token_env} is not set",
            highlight=False,
        )
        raise typer.Exit(2)
    run = e.context(with_insights=False)
    for aid in action_ids:
        card = proposal_card(run, action_id=aid)
        if card is None:
            err_console.print(f"[bold red]error:[/bold red] no action {aid}", highlight=False)
            raise typer.Exit(2)
        try:
            ts = slack.post_proposal(card)
        except SlackError as exc:
            err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
            raise typer.Exit(2) from None
        where = slack.channel_for(card.journey)
        console.print(
            f"{aid}: posted to {where} (ts {ts})"
            if ts
            else f"{aid}: no channel for {card.journey}",
            highlight=False,
        )
