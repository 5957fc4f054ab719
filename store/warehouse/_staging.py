"""Read an events file into a DuckDB staging table of VARCHAR columns, without pandas.

DuckDB's native CSV and Parquet readers do the parsing; this module only fixes the column
names and turns reader failures into `InputError`s that name the file and line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection

from store.errors import InputError, InputLimits

RAW = "__jo_raw"
Run = Callable[[str], list[tuple[object, ...]]]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_LINE_SIZE = re.compile(r"Maximum line size of (\d+) bytes exceeded")
# Columns a file may bring beyond its dimensions: the required ones and the measures.
_NOT_DIMENSIONS = {
    "ts",
    "journey",
    "stage",
    "customer_id",
    "completed",
    "day",
    "duration_s",
    "value",
    "cost",
    "csat",
    "nps",
    "contacts",
    "transfers",
}


def kind_of(path: Path) -> str:
    """Return "csv" or "parquet" from the file name, or raise InputError."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".csv.gzip")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise InputError(path.name, None, None, "unsupported file type: use .csv, .csv.gz or .parquet")


def sql_string(value: str) -> str:
    """Quote a Python string as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def normalize_names(file: str, names: list[str]) -> list[str]:
    """Lower-case column names and turn spaces and dashes into underscores; check them."""
    out: list[str] = []
    for raw in names:
        name = re.sub(r"[\s\-.]+", "_", raw.strip().lstrip("\ufeff").lower())
        if not _NAME.match(name):
            hint = " (is the file comma-separated?)" if ";" in raw or "\t" in raw else ""
            raise InputError(file, 1, raw, f"column name must be letters, digits and '_'{hint}")
        if name in out:
            raise InputError(file, 1, raw, "duplicate column")
        out.append(name)
    return out


def check_width(path: Path, names: list[str], limits: InputLimits) -> None:
    """Refuse a file with more dimension columns than the limit, before reading its rows."""
    dims = [n for n in names if n not in _NOT_DIMENSIONS]
    if len(dims) > limits.max_dimension_columns:
        raise InputError(
            path.name,
            1 if kind_of(path) == "csv" else None,
            None,
            f"{len(dims)} dimension columns; at most {limits.max_dimension_columns} allowed "
            "([inputs] max_dimension_columns)",
        )


def _csv_header(path: Path, max_bytes: int) -> list[str]:
    opener = gzip.open if path.name.lower().endswith((".gz", ".gzip")) else open
    try:
        with opener(path, "rb") as fh:
            # Bounded, so a file without line breaks is never read whole into memory.
            first = fh.readline(max_bytes + 1)
    except OSError as exc:
        raise InputError(path.name, None, None, f"cannot read file: {exc}") from exc
    if len(first) > max_bytes:
        reason = f"header line longer than {max_bytes:,} bytes ([inputs] max_line_bytes)"
        raise InputError(path.name, 1, None, reason)
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(path.name, 1, None, "not valid UTF-8") from None
    if not text.strip():
        raise InputError(path.name, 1, None, "file is empty: expected a header row")
    return next(csv.reader(io.StringIO(text)))


def _reader_error(path: Path, exc: Exception) -> InputError:
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's exception.
    msg = str(orig if isinstance(orig, BaseException) else exc)
    line_match = _CSV_LINE.search(msg)
    line = int(line_match.group(1)) if line_match else None
    cols = _COLUMNS.search(msg)
    size = _LINE_SIZE.search(msg)
    if cols:
        reason = f"expected {cols.group(1)} fields, found {cols.group(2)} (ragged or truncated row)"
    elif size:
        reason = f"line longer than {int(size.group(1)):,} bytes ([inputs] max_line_bytes)"
    elif "Invalid unicode" in msg:
        reason = "not valid UTF-8"
    elif "unterminated quote" in msg:
        reason = "value with an unterminated quote"
    else:
        head = msg.split("\n", 1)[0]
        reason = re.sub(r"^[A-Za-z ]*Error: ", "", head).strip() or type(exc).__name__
    return InputError(path.name, line, None, f"unreadable file: {reason}")


def load_raw(run: Run, path: Path, limits: InputLimits) -> list[str]:
    """Create the temporary VARCHAR staging table from `path`; return its column names.

    The staging table keeps file order, so its `rowid` is the 0-based data row number.
    The column count is checked from the header (or Parquet schema) before any row is read.
    """
    kind = kind_of(path)
    src = sql_string(str(path))
    run(f"DROP TABLE IF EXISTS {RAW}")
    try:
        if kind == "csv":
            names = normalize_names(path.name, _csv_header(path, limits.max_line_bytes))
            check_width(path, names, limits)
            struct = "{" + ", ".join(f"{sql_string(n)}: 'VARCHAR'" for n in names) + "}"
            run(
                f"CREATE TEMP TABLE {RAW} AS SELECT * FROM read_csv({src}, columns={struct}, "
                "header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
                "strict_mode=true, null_padding=false, parallel=true, "
                f"max_line_size={limits.max_line_bytes})"
            )
            return names
        described = run(f"DESCRIBE SELECT * FROM read_parquet({src})")
        raw_names = [str(r[0]) for r in described]
        names = normalize_names(path.name, raw_names)
        check_width(path, names, limits)
        casts = ", ".join(
            f"CAST({quote_ident(r)} AS VARCHAR) AS {quote_ident(n)}"
            for r, n in zip(raw_names, names, strict=True)
        )
        run(f"CREATE TEMP TABLE {RAW} AS SELECT {casts} FROM read_parquet({src})")
        return names
    except InputError:
        raise
    except Exception as exc:  # DuckDB raises several unrelated classes for bad files.
        if not _is_duckdb_error(exc):
            raise
        raise _reader_error(path, exc) from exc


def _is_duckdb_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__module__.startswith(("duckdb", "_duckdb")):
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else seen.__cause__
    return False


def runner(conn: Connection) -> Run:
    """Return a function that runs SQL on `conn` and returns its rows (none for DDL)."""

    def run(sql: str) -> list[tuple[object, ...]]:
        result = conn.exec_driver_sql(sql)
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []

    return run
