"""Bad input of every kind gets one line naming file:line:field or the argument; stores unchanged.

Each case starts from a copy of one small workspace (events and insights already stored),
runs the command through `main` as a user would, and checks the exit code, that stderr is
exactly one `error:` line without a traceback, what it names, and that nothing stored moved.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import build_context, open_insights
from agent.ingest import ingest_events
from agent.workspace import Workspace
from store.errors import InputError
from tests.support.cli_main import run_main

GOOD_EVENTS = "ts,journey,stage,customer_id,completed,duration_s,csat,nps,region\n" + "".join(
    f"2026-03-{d:02d}T10:00:00Z,loans,{s},c{d}{s},1,30,4,8,north\n"
    for d in range(1, 29)
    for s in ("apply", "fund")
)
HEADER = "ts,journey,stage,customer_id,completed,duration_s,csat,nps,region\n"
ROW = "2026-03-02T10:00:00Z,loans,apply,c1,1,30,4,8,north\n"


def _insight(i: int, **extra: object) -> str:
    row = {"id": f"i{i}", "ts": "2026-03-02T10:00:00Z", "journey": "loans", "text": "slow"}
    return json.dumps(row | extra) + "\n"


def _config(tmp: Path, extra: str = "") -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'embedder = "minilm"', 'embedder = "hashing"'
    )
    text = text.replace("max_distinct_values = 50000", "max_distinct_values = 50")
    # A command waits this long for a warehouse another process holds, then gives up.
    text = text.replace("[warehouse]\n", "[warehouse]\nlock_wait_s = 2\n", 1)
    path = tmp / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config (hashing embedder, 50 distinct values a file) and a workspace with data."""
    root = tmp_path_factory.mktemp("failures-base")
    settings = load_settings(_config(root))
    events = root / "good.csv"
    events.write_text(GOOD_EVENTS, encoding="utf-8")
    insights = root / "good.jsonl"
    insights.write_text(_insight(1) + _insight(2), encoding="utf-8")
    workspace = Workspace.resolve(root / "home")
    ctx = build_context(settings, workspace, with_insights=False)
    try:
        ingest_events(ctx, events)
    finally:
        ctx.warehouse.close()
    open_insights(settings, workspace).ingest(insights)
    return root


def _state(home: Path) -> tuple[object, ...]:
    """Return what the stores hold: events, columns, files ingested, insight count."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        events = con.execute("SELECT count(*) FROM events").fetchone()
        columns = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
        files = con.execute("SELECT count(*) FROM ingested_files").fetchone()
    finally:
        con.close()
    chroma = sqlite3.connect(f"file:{home / 'chroma' / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        stored = chroma.execute("SELECT count(*) FROM embeddings").fetchone()
    finally:
        chroma.close()
    return events, tuple(columns), files, stored


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]
    expect: str


def _file(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def events(name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    return lambda tmp: ["ingest", "events", str(_file(name, text)(tmp))]


def insights(name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    return lambda tmp: ["ingest", "insights", str(_file(name, text)(tmp))]


def args(*given: str) -> Callable[[Path], list[str]]:
    return lambda _tmp: list(given)


WIDE = ",".join(f"d{i}" for i in range(3000))
CASES = [
    Case(
        "bad ts", events("e.csv", HEADER + ROW + ROW.replace("T10", "T25")), "e.csv:3: field 'ts'"
    ),
    Case(
        "future ts",
        events("e.csv", HEADER + ROW.replace("2026-03-02", "2035-03-30")),
        "e.csv:2: field 'ts': dated after",
    ),
    Case(
        "negative duration",
        events("e.csv", HEADER + ROW.replace(",30,", ",-5,")),
        "e.csv:2: field 'duration_s': must not be negative",
    ),
    Case(
        "csat 99",
        events("e.csv", HEADER + ROW.replace(",4,8,", ",99,8,")),
        "e.csv:2: field 'csat': outside the csat scale 1..5",
    ),
    Case(
        "nps 11",
        events("e.csv", HEADER + ROW.replace(",4,8,", ",4,11,")),
        "e.csv:2: field 'nps': outside the nps scale 0..10",
    ),
    Case(
        "missing column",
        events("e.csv", "ts,journey,stage,completed\n2026-03-02T10:00:00Z,loans,apply,1\n"),
        "e.csv:1: field 'customer_id': required column is missing",
    ),
    Case(
        "3000 columns",
        events("e.csv", HEADER.strip() + "," + WIDE + "\n" + ROW.strip() + "," * 3000 + "\n"),
        "e.csv:1: 3001 dimension columns; at most 64 allowed",
    ),
    Case(
        "too many distinct values",
        events("e.csv", HEADER + "".join(ROW.replace("north", f"r{i}") for i in range(300))),
        "e.csv: field 'region': about",
    ),
    Case(
        "2 MB line",
        events("e.csv", HEADER + ROW + "x" * 2_000_000 + ROW[1:]),
        "e.csv:3: unreadable file: line longer than 1,000,000 bytes",
    ),
    Case(
        "invalid UTF-8 in events",
        events("e.csv", (HEADER + ROW).encode() + ROW.replace("north", "n\xff").encode("latin-1")),
        "e.csv:3: unreadable file: not valid UTF-8",
    ),
    Case("ragged row", events("e.csv", HEADER + "1,2,3\n"), "e.csv:2: unreadable file: expected"),
    Case("unsupported type", events("e.txt", HEADER + ROW), "e.txt: unsupported file type"),
    Case("events not found", args("ingest", "events", "nope.csv"), "nope.csv: file not found"),
    Case(
        "journey not a slug",
        events("e.csv", HEADER + ROW.replace("loans", "Big Loans")),
        "e.csv:2: field 'journey': not a slug",
    ),
    Case(
        "completed maybe",
        events("e.csv", HEADER + ROW.replace(",1,30,", ",maybe,30,")),
        "e.csv:2: field 'completed'",
    ),
    Case(
        "duration not a number",
        events("e.csv", HEADER + ROW.replace(",30,", ",abc,")),
        "e.csv:2: field 'duration_s': not a number",
    ),
    Case(
        "derived column",
        events("e.csv", HEADER.strip() + ",day\n" + ROW.strip() + ",x\n"),
        "e.csv:1: field 'day': reserved column",
    ),
    Case(
        "insights not found", args("ingest", "insights", "nope.jsonl"), "nope.jsonl: file not found"
    ),
    Case(
        "invalid UTF-8 in insights",
        insights("i.jsonl", _insight(3).encode() + b'{"id": "\xff"}\n'),
        "i.jsonl:2: not valid UTF-8",
    ),
    Case(
        "200,000-deep JSON",
        insights("i.jsonl", "[" * 200_000 + "]" * 200_000 + "\n"),
        "i.jsonl:1: JSON nested too deeply",
    ),
    Case(
        "CSV field over 128 KB",
        insights(
            "i.csv", "id,ts,journey,text\ni9,2026-03-02T10:00:00Z,loans," + "y" * 140_000 + "\n"
        ),
        "i.csv:2: unreadable CSV: field larger than field limit",
    ),
    Case(
        "ts_epoch customer field",
        insights("i.jsonl", _insight(3) + _insight(4, ts_epoch="not-a-number")),
        "i.jsonl:2: field 'ts_epoch': reserved name",
    ),
    Case(
        "Chroma-reserved key",
        insights("i.jsonl", _insight(3) + _insight(4, **{"chroma:document": "x"})),
        "i.jsonl:2: field 'chroma:document': reserved name",
    ),
    Case(
        "future insight",
        insights("i.jsonl", _insight(3, ts="2035-03-30T00:00:00Z")),
        "i.jsonl:1: field 'ts': dated after",
    ),
    Case("invalid JSON", insights("i.jsonl", _insight(3) + "{nope\n"), "i.jsonl:2: invalid JSON"),
    Case(
        "missing text",
        insights("i.jsonl", json.dumps({"id": "x", "ts": "2026-03-02", "journey": "loans"}) + "\n"),
        "i.jsonl:1: field 'text'",
    ),
    Case("scan bad date", args("scan", "--as-of", "31/03/2026"), "--as-of: not a date"),
    Case(
        "report bad date", args("report", "weekly", "--as-of", "31/03/2026"), "--as-of: not a date"
    ),
    Case(
        "scan typo journey",
        args("scan", "--journey", "loan"),
        "--journey: unknown journey 'loan'; did you mean 'loans'?",
    ),
    Case("scan bad shard", args("scan", "--shard", "3/2"), "--shard:"),
    Case("scan nothing tested", args("scan", "--as-of", "2031-01-01"), "scan: no series tested"),
    Case("remove without ids", args("insights", "remove"), "insights remove: give --id"),
]


@pytest.fixture
def home(base: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(base / "home", tmp_path / "home")
    yield tmp_path / "home"


def _one_error_line(err: str) -> str:
    """Return the error line: the last line of stderr, the only one saying `error:`."""
    lines = err.strip().splitlines()
    assert [n for n in lines if n.startswith("error: ")] == lines[-1:], err
    assert "Traceback" not in err
    return lines[-1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_naming_where_and_changes_nothing(
    case: Case, base: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(home)
    ran = run_main(
        capsys, "--home", str(home), "--config", str(base / "config.toml"), *case.make(tmp_path)
    )
    assert ran.code == 2, ran
    assert case.expect in _one_error_line(ran.err)
    assert _state(home) == before


def test_a_broken_config_is_one_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra, expect in (
        ("[inputs\n", "not valid TOML"),
        ("", "csat_scale: the lower end must be below the upper end"),
    ):
        cfg = _config(tmp_path, extra)
        if not extra:
            cfg.write_text(
                cfg.read_text(encoding="utf-8").replace(
                    "csat_scale = [1.0, 5.0]", "csat_scale = [5, 1]"
                ),
                encoding="utf-8",
            )
        ran = run_main(capsys, "--home", str(home), "--config", str(cfg), "scan")
        assert ran.code == 2
        assert expect in _one_error_line(ran.err)


@pytest.mark.parametrize("name", ["warehouse.duckdb", "journeyops.sqlite"])
def test_a_corrupted_database_file_is_one_line_and_left_as_it_was(
    base: Path, home: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = home / name
    for journal in home.glob(f"{name}*"):
        if journal.is_file():
            journal.unlink()  # The write-ahead log would otherwise still hold good pages.
    garbage = b"this is not a database " * 400
    target.write_bytes(garbage)
    ran = run_main(capsys, "--home", str(home), "--config", str(base / "config.toml"), "scan")
    assert ran.code == 2
    assert "corrupted or not a database" in _one_error_line(ran.err)
    assert target.read_bytes() == garbage


def test_a_locked_warehouse_is_one_line(
    base: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(home / "warehouse.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        ran = run_main(capsys, "--home", str(home), "--config", str(base / "config.toml"), "scan")
    finally:
        holder.communicate("", timeout=30)
    assert ran.code == 2
    line = _one_error_line(ran.err)
    assert "is held by" in line and f"PID {holder.pid}" in line and "gave up after 2 s" in line


_HOLD_LOCK = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
    "sys.stdin.read()"
)


def test_debug_shows_the_traceback_instead(
    base: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match="--as-of"):
        run_main(capsys, "--debug", "--home", str(home), "scan", "--as-of", "31/03/2026")
