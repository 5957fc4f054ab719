"""CLI: evaluations and benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

eval_app = typer.Typer(help="Evaluations and benchmarks.", no_args_is_help=True)
console = Console()


@eval_app.command("rca-bench")
def rca_bench(
    data: Annotated[
        Path | None, typer.Option(help="Folder laid out like shared/rca-bench (labels.csv + data).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write predictions TSV here.")] = None,
) -> None:
    """Run the product's localizer on every root-cause benchmark case and score it."""
    # Imported when the command runs, for start-up time.
    from evals.rca_bench import default_data_dir, render_bench, run_bench

    folder = data or default_data_dir()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Localizing benchmark cases", total=None)
        report = run_bench(
            folder,
            out=out,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(render_bench(report))


@eval_app.command("scenarios")
def scenarios(
    seed: Annotated[int, typer.Option(help="Seed of the scenario sample.")] = 101,
    count: Annotated[
        int, typer.Option(help="Number of scenarios (a quarter are incident-free).")
    ] = 12,
    scale: Annotated[float, typer.Option(help="Events per scenario, 1.0 ≈ one million.")] = 0.5,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scores as one JSON object.")
    ] = False,
) -> None:
    """Generate planted-incident scenarios, scan each, and score detection and diagnosis."""
    # Imported when the command runs, for start-up time.
    from evals.scenarios import run_scenarios

    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("Scanning scenarios", total=count)
        result = run_scenarios(
            seed=seed,
            count=count,
            scale=scale,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        sys.stdout.write(result.model_dump_json(exclude={"misses"}) + "\n")
        return
    table = Table(title=f"Scenarios (seed {seed}, {count} scenarios, {result.incidents} incidents)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {
        "recall": "≥ 0.95",
        "false_alarms_per_100_stage_weeks": "≤ 1",
        "segment_exact": "≥ 0.9",
        "kind_accuracy": "≥ 0.9",
    }
    for key in (
        "recall",
        "precision",
        "false_alarms_per_100_stage_weeks",
        "segment_exact",
        "kind_accuracy",
        "playbook_top1",
    ):
        table.add_row(key, f"{getattr(result, key):.3f}", targets.get(key, ""))
    console.print(table)
    for miss in result.misses:
        console.print(Text(f"  {miss}", style="dim"))


@eval_app.command("bench")
def bench(
    events: Annotated[int, typer.Option(help="Events to generate and scan.")] = 10_000_000,
    pandas: Annotated[
        bool, typer.Option(help="Also time the same aggregation in pandas (minutes at 30M).")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
) -> None:
    """Time a full scan of N events against one DuckDB CUBE pass and the same work in pandas."""
    # Imported when the command runs, for start-up time.
    from evals.scale_bench import run_scale_bench

    report = run_scale_bench(
        events=events,
        pandas=pandas,
        status=(lambda _m: None) if as_json else (lambda m: console.print(m, style="dim")),
    )
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        return
    table = Table(title=f"Scan at scale ({report.events:,} events)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.model_dump().items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else f"{value:,.2f}")
    console.print(table)


@eval_app.command("insights")
def insights(
    count: Annotated[int, typer.Option(help="Insights to generate, ingest and query.")] = 100_000,
    embedder: Annotated[str, typer.Option(help="minilm (the product's) or hashing.")] = "minilm",
    server: Annotated[
        bool, typer.Option("--server", help="Start a local `chroma run` and use it as the store.")
    ] = False,
    url: Annotated[str, typer.Option(help="Use the Chroma server at this URL.")] = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
) -> None:
    """Benchmark insight ingest rate, filtered query latency and planted-evidence recall@10."""
    # Imported when the command runs, for start-up time.
    from evals.insights_bench import render_insights_bench, run_insights_bench

    report = run_insights_bench(
        count=count,
        embedder=embedder,
        server=server,
        url=url,
        progress=None if as_json else (lambda m: console.print(m, style="dim")),
    )
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        return
    console.print(render_insights_bench(report))


@eval_app.command("agent")
def agent(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="Demo workspace to evaluate on (copied; default: build a fresh one)."),
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="ground_truth.json of that workspace's demo data.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print cases, passed and failed as JSON.")
    ] = False,
) -> None:
    """Run the chat agent on question/answer cases and check each one mechanically."""
    # Imported when the command runs, for start-up time.
    import tempfile

    from agent.cli.env import env
    from evals.agent_eval import build_demo_workspace, run_agent_eval
    from evals.demo import GroundTruth

    settings = env(ctx).settings
    with tempfile.TemporaryDirectory(prefix="journeyops-agent-demo-") as tmp:
        if home is None:
            if not as_json:
                console.print("Building a demo workspace (scale 0.5) …", style="dim")
            home, truth = build_demo_workspace(Path(tmp))
        if truth is None:
            raise typer.BadParameter("--truth is required with --home", param_hint="--truth")
        gt = GroundTruth.model_validate_json(truth.read_text(encoding="utf-8"))
        with Progress(console=console, transient=True, disable=as_json) as progress:
            task = progress.add_task("Asking", total=None)
            report = run_agent_eval(
                home,
                gt,
                settings,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    if as_json:
        sys.stdout.write(report.model_dump_json(include={"cases", "passed", "failed"}) + "\n")
        return
    table = Table(title=f"Agent cases ({report.mode})")
    table.add_column("case")
    table.add_column("result")
    table.add_column("tools")
    table.add_column("s", justify="right")
    for r in report.results:
        verdict = "pass" if r.passed else "FAIL: " + "; ".join(r.failures)
        table.add_row(r.name, verdict, ", ".join(r.tools), f"{r.seconds:.2f}")
    console.print(table)
    console.print(f"{report.passed}/{report.cases} cases passed")
    if report.failed:
        raise typer.Exit(1)


def demo_data(
    out: Annotated[Path, typer.Option(help="Folder to write the demo data set into.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    scale: Annotated[float, typer.Option(help="1.0 ≈ one million events; 10 ≈ ten million.")] = 1.0,
) -> None:
    """Generate the demo data set: journeys, events, insights and the planted ground truth."""
    # Imported when the command runs, for start-up time.
    from rich.progress import Progress

    from evals.demo import generate

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Generating demo data", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        manifest = generate(out, seed=seed, scale=scale, progress=tick)
    console.print(
        f"Wrote {manifest.events:,} events and {manifest.insights:,} insights to {out} "
        f"in {manifest.seconds:.1f} s (ground truth: {manifest.ground_truth_file.name})"
    )


@eval_app.command("live")
def live(
    seed: Annotated[int, typer.Option(help="Seed of the generated days and breaks.")] = 16,
    days: Annotated[int, typer.Option(help="Days replayed in micro-batches.")] = 4,
    break_days: Annotated[int, typer.Option(help="Days (from the first) with breaks.")] = 4,
    batch_minutes: Annotated[int, typer.Option(help="Minutes per micro-batch file.")] = 15,
    scan: Annotated[bool, typer.Option(help="Also run the daily scan as the baseline.")] = True,
    cost: Annotated[
        bool, typer.Option("--cost", help="Time a cycle at 1M and 10M stored events instead.")
    ] = False,
    cost_events: Annotated[
        list[int] | None,
        typer.Option(help="With --cost: the stored sizes to time (repeat the option).", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Replay days through ingest and `watch`: time to detect and false alarms vs the scan."""
    # Imported when the command runs, for start-up time.
    from evals.live.cost import run_cost
    from evals.live.report import run_live

    say = (lambda _m: None) if as_json else (lambda m: console.print(m, style="dim"))
    report = (
        run_cost(sizes=cost_events or (1_000_000, 10_000_000), status=say)
        if cost
        else run_live(
            seed=seed,
            days=days,
            break_days=break_days,
            batch_minutes=batch_minutes,
            scan=scan,
            status=say,
        )
    )
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        return
    console.print_json(report.model_dump_json(exclude={"cases"}))
