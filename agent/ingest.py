"""Data into the workspace: journeys files and events files.

The one code path every entry point uses (CLI, evals, tests), so a journey that an events
file brings without a declaration is registered the same way wherever it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from agent.context import RunContext
from store.journeys import list_journeys, register_inferred, save_journeys
from store.journeys.file import load_journeys_file
from store.warehouse import IngestReport

Progress = Callable[[int, int], None]


class EventsIngested(BaseModel):
    """One events file loaded, and the undeclared journeys it registered (with stages)."""

    report: IngestReport
    registered: dict[str, list[str]] = {}


def load_journeys(ctx: RunContext, path: Path) -> list[str]:
    """Load (or update) the journeys of a TOML/YAML file; return their ids."""
    specs = load_journeys_file(path)
    with ctx.sessions.begin() as session:
        return save_journeys(session, specs=specs)


def ingest_events(
    ctx: RunContext, path: Path, *, progress: Progress | None = None, dedupe_rows: bool = False
) -> EventsIngested:
    """Validate and load one events file; register journeys nobody declared.

    `dedupe_rows` drops rows already stored under the same row key (overlapping batches).
    """
    with ctx.sessions() as session:
        known = {j.id: list(j.stages) for j in list_journeys(session) if j.declared}
    report = ctx.warehouse.ingest_events(
        path,
        known_stages=known,
        progress=progress,
        limits=ctx.settings.inputs,
        now=ctx.clock(),
        dedupe_rows=dedupe_rows,
    )
    registered: dict[str, list[str]] = {}
    if report.already_ingested:
        return EventsIngested(report=report)
    funnels = ctx.warehouse.journeys()
    with ctx.sessions.begin() as session:
        for journey in report.journeys:
            stages = funnels.get(journey, [])
            if journey not in known and register_inferred(
                session, journey_id=journey, stages=stages
            ):
                registered[journey] = stages
    return EventsIngested(report=report, registered=registered)
