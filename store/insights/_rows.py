"""Rows of an insights file (CSV or JSONL): reading, validation and sanitizing.

Every row is validated before anything is written, so a bad file changes nothing; errors
name the file, line and field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from store.errors import InputError
from store.insights.sanitize import sanitize_text

if TYPE_CHECKING:
    from store.insights.embedding import Vectors

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Customer dimension keys are stored under this prefix, so no customer field can ever
# overwrite a key the store itself writes (ts_epoch, day keys, the text's hash ...).
DIM = "dim_"
# Keys the store writes itself, or that Chroma keeps for its own use: refused as dimensions.
_RESERVED = {"ts_epoch", "original_sha256", "jd", "jsd", "document", "embedding", "metadata"}
_RESERVED_PREFIXES = ("chroma:", "#", "$", DIM)
_DIM_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$")
Meta = dict[str, str | int | float]


def public(meta: Meta) -> Meta:
    """Return stored metadata as callers see it: dimensions without their prefix."""
    return {(k[len(DIM) :] if k.startswith(DIM) else k): v for k, v in meta.items()}


def _check_dimension(path: Path, lineno: int, key: str) -> None:
    if key.lower() in _RESERVED or key.lower().startswith(_RESERVED_PREFIXES):
        raise InputError(str(path), lineno, key, "reserved name: choose another column name")
    if not _DIM_NAME.match(key):
        raise InputError(
            str(path),
            lineno,
            key[:64],
            "a column name is 1-64 letters, digits, spaces, '_', '.' or '-'",
        )


@dataclass(frozen=True)
class InsightIngestReport:
    file: str
    rows: int
    added: int
    skipped_existing: int
    seconds: float


@dataclass(frozen=True)
class InsightRecord:
    id: str
    text: str
    metadata: Meta
    embedding: Vectors | None = field(default=None, compare=False)


@dataclass(frozen=True)
class InsightHit:
    id: str
    text: str
    metadata: Meta
    distance: float


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    meta: Meta


def epoch(d: date, *, end: bool = False) -> int:
    moment = datetime.combine(d, dtime.max if end else dtime.min, tzinfo=UTC)
    return int(moment.timestamp())


def _parse_ts(raw: str) -> datetime:
    ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _lines(path: Path, max_bytes: int) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of the file, refusing over-long lines and invalid UTF-8."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(str(path), None, None, "file not found") from None
    except OSError as exc:
        raise InputError(str(path), None, None, f"cannot read file: {exc.strerror}") from None
    with fh:
        lineno = 0
        # Bounded reads: a file without line breaks is never read whole into memory.
        while raw := fh.readline(max_bytes + 1):
            lineno += 1
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                reason = f"line longer than {max_bytes:,} bytes ([inputs] max_line_bytes)"
                raise InputError(str(path), lineno, None, reason)
            try:
                yield lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(str(path), lineno, None, "not valid UTF-8") from None


def read_records(
    path: Path, *, max_line_bytes: int = 1_000_000
) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line number, record) of a JSONL or CSV file; raise InputError on bad input."""
    lines = _lines(path, max_line_bytes)
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        for lineno, line in lines:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(str(path), lineno, None, f"invalid JSON: {exc.msg}") from None
            except RecursionError:
                raise InputError(str(path), lineno, None, "JSON nested too deeply") from None
            if not isinstance(obj, dict):
                raise InputError(str(path), lineno, None, "expected a JSON object")
            yield lineno, obj
        return
    numbers: list[int] = [0]

    def text() -> Iterator[str]:
        for lineno, line in lines:
            numbers[0] = lineno
            yield line

    reader = csv.DictReader(text())
    try:
        for rec in reader:
            if None in rec:
                raise InputError(str(path), numbers[0], None, "more values than header columns")
            yield numbers[0], dict(rec)
    except csv.Error as exc:
        raise InputError(str(path), numbers[0], None, f"unreadable CSV: {exc}") from None


class InsightRow(BaseModel):
    """One insight as a file gives it; every other key is a dimension (checked below)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    ts: datetime
    journey: str = Field(pattern=_SLUG.pattern)
    stage: str = Field(default="", pattern=r"^$|" + _SLUG.pattern)
    source: str = ""
    text: str = Field(min_length=1)
    score: float | None = None

    @field_validator("ts", mode="before")
    @classmethod
    def _iso_timestamp(cls, value: object) -> datetime:
        return _parse_ts(str(value))

    @field_validator("id", "journey", "stage", "source", "score", mode="before")
    @classmethod
    def _strip(cls, value: object, info: ValidationInfo) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None if info.field_name == "score" else ""
        return value.strip() if isinstance(value, str) else value

    @field_validator("text", mode="before")
    @classmethod
    def _text_is_a_string(cls, value: object) -> object:
        # The text is kept as given (its hash is stored); only blank text is refused.
        if not isinstance(value, str) or not value.strip():
            raise ValueError("empty")
        return value


_REASONS: dict[str, Callable[[str], str]] = {
    "id": lambda raw: "missing",
    "ts": lambda raw: f"not an ISO-8601 timestamp ({raw!r})",
    "journey": lambda raw: f"not a slug ({raw!r})",
    "stage": lambda raw: f"not a slug ({raw!r})",
    "text": lambda raw: "empty",
    "score": lambda raw: f"not a number ({raw!r})",
}


def validate_row(
    path: Path,
    lineno: int,
    rec: Mapping[str, object],
    max_chars: int,
    *,
    latest: datetime | None = None,
) -> Row:
    """Validate one record into a row; raise InputError naming file, line and field.

    A row dated after `latest` is refused (future-dated rows would move every window).
    """
    record = {str(k): v for k, v in rec.items() if k is not None}
    try:
        row = InsightRow.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "record"
        raw = "" if record.get(field) is None else str(record.get(field)).strip()
        explain = _REASONS.get(field)
        reason = explain(raw) if explain is not None else str(first["msg"])
        raise InputError(str(path), lineno, field, reason) from None
    if latest is not None and row.ts > latest:
        reason = f"dated after {latest:%Y-%m-%d %H:%M} UTC (now + [inputs] future_tolerance_hours)"
        raise InputError(str(path), lineno, "ts", reason)
    clean, digest = sanitize_text(row.text, max_chars=max_chars)
    if not clean:
        raise InputError(str(path), lineno, "text", "empty after sanitizing")
    meta: Meta = {
        "journey": row.journey,
        "stage": row.stage,
        "source": row.source,
        "ts": row.ts.isoformat(),
        "ts_epoch": int(row.ts.timestamp()),
        "original_sha256": digest,
    }
    if row.score is not None:
        meta["score"] = row.score
    for key, value in (row.model_extra or {}).items():
        _check_dimension(path, lineno, key)
        if value is None or str(value).strip() == "":
            continue
        if isinstance(value, dict | list):
            raise InputError(str(path), lineno, key, "expected a text or number, not a structure")
        meta[DIM + key] = sanitize_text(str(value), max_chars=200)[0]
    return Row(row.id, clean, meta)


def ids_in(path: Path) -> list[str]:
    """Return the ids a CSV/JSONL insights file names (to remove what it brought)."""
    found = (str(rec.get("id") or "").strip() for _, rec in read_records(path))
    return list(dict.fromkeys(i for i in found if i))
