"""Rows of an insights file (CSV or JSONL): reading, validation and sanitizing.

Every row is validated before anything is written, so a bad file changes nothing; errors
name the file, line and field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING

from store.errors import InputError
from store.insights.sanitize import sanitize_text

if TYPE_CHECKING:
    from store.insights.embedding import Vectors

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# jd and jsd are the store's derived day keys (store.insights._chroma): never taken from input.
_CORE = {"id", "ts", "journey", "stage", "source", "text", "score", "jd", "jsd"}
Meta = dict[str, str | int | float]


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


def read_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(path), lineno, None, f"invalid JSON: {exc.msg}") from exc
                if not isinstance(obj, dict):
                    raise InputError(str(path), lineno, None, "expected a JSON object")
                yield lineno, obj
        else:
            reader = csv.DictReader(fh)
            for rec in reader:
                yield reader.line_num, dict(rec)


def validate_row(path: Path, lineno: int, rec: Mapping[str, object], max_chars: int) -> Row:
    def err(fld: str, reason: str) -> InputError:
        return InputError(str(path), lineno, fld, reason)

    def text_of(key: str) -> str:
        value = rec.get(key)
        return "" if value is None else str(value).strip()

    ident = text_of("id")
    if not ident:
        raise err("id", "missing")
    try:
        ts = _parse_ts(text_of("ts"))
    except ValueError as exc:
        raise err("ts", f"not an ISO-8601 timestamp ({text_of('ts')!r})") from exc
    journey = text_of("journey")
    if not _SLUG.match(journey):
        raise err("journey", f"not a slug ({journey!r})")
    stage = text_of("stage")
    if stage and not _SLUG.match(stage):
        raise err("stage", f"not a slug ({stage!r})")
    raw_text = rec.get("text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise err("text", "empty")
    clean, digest = sanitize_text(raw_text, max_chars=max_chars)
    if not clean:
        raise err("text", "empty after sanitizing")
    meta: Meta = {
        "journey": journey,
        "stage": stage,
        "source": text_of("source"),
        "ts": ts.isoformat(),
        "ts_epoch": int(ts.timestamp()),
        "original_sha256": digest,
    }
    score = text_of("score")
    if score:
        try:
            meta["score"] = float(score)
        except ValueError as exc:
            raise err("score", f"not a number ({score!r})") from exc
    for key, value in rec.items():
        if key in _CORE or key is None or value is None or str(value).strip() == "":
            continue
        meta[str(key)] = sanitize_text(str(value), max_chars=200)[0]
    return Row(ident, clean, meta)
