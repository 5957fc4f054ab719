"""RCA benchmark runner: localize every rca-bench case and score it like `score.py`.

Cases come from a folder laid out like `shared/rca-bench` (a `labels.csv` naming the data
files). B0 files are leaf snapshots (`real`, `predict`, attributes; additive KPI). RS files
are per-minute counts; following the benchmark's protocol the forecast of a leaf is its
mean over the 4 previous minutes (missing minutes count as 0), the numerator is
`cnt - value` and the denominator `cnt`.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pydantic import BaseModel
from rich.table import Table

from tools.localize import format_element, localize

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "rca-bench"
_RS_HISTORY = 4
_RS_STEP = 60


class CasePrediction(BaseModel):
    """The prediction for one case and how it scored."""

    case_id: str
    dataset: str
    setting: str
    predicted: list[str]
    truth: list[str]
    seconds: float
    tp: int
    fp: int
    fn: int


class GroupScore(BaseModel):
    """Micro-averaged scores of one group of cases (a setting, a dataset or all)."""

    group: str
    cases: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    exact_match: float
    mean_seconds: float


class BenchReport(BaseModel):
    """Per-case predictions and per-setting, per-dataset and overall scores."""

    cases: list[CasePrediction]
    settings: list[GroupScore]
    datasets: list[GroupScore]
    overall: GroupScore
    mean_seconds: float
    median_seconds: float


def default_data_dir() -> Path:
    """Return the `rca-bench` folder under the `shared` folder beside the repository."""
    return DEFAULT_DATA_DIR


def canonical_set(text: str) -> list[str]:
    """Canonicalize a root-cause set string the way `score.py` does."""
    out: set[str] = set()
    for elem in text.split(";"):
        pairs = []
        for part in elem.split("&"):
            part = part.strip()
            if not part:
                continue
            key, _, value = part.partition("=")
            pairs.append(f"{key.strip()}={value.strip()}")
        if pairs:
            out.add("&".join(sorted(pairs)))
    return sorted(out)


def load_b0(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read one B0 leaf snapshot as localizer leaves (additive)."""
    head = pd.read_csv(path, nrows=0)
    dims = [c for c in head.columns if c not in ("real", "predict")]
    df = pd.read_csv(path, dtype={d: str for d in dims}, keep_default_na=False)
    leaves = df[dims].copy()
    leaves["num"] = df["real"].astype(float)
    leaves["num_exp"] = df["predict"].astype(float)
    return leaves, dims


def load_rs(path: Path, anomaly_time: int) -> tuple[pd.DataFrame, list[str]]:
    """Read one RS case as leaves at `anomaly_time` with the 4-minute-mean forecast."""
    head = pd.read_csv(path, nrows=0, encoding="utf-8")
    dims = [c for c in head.columns if c not in ("min", "value", "cnt")]
    df = pd.read_csv(path, dtype={d: str for d in dims}, keep_default_na=False, encoding="utf-8")
    df["num"] = df["cnt"].astype(float) - df["value"].astype(float)
    df["den"] = df["cnt"].astype(float)
    real = df.loc[df["min"] == anomaly_time].groupby(dims, sort=False)[["num", "den"]].sum()
    start = anomaly_time - _RS_HISTORY * _RS_STEP
    hist = df.loc[(df["min"] >= start) & (df["min"] < anomaly_time)]
    fc = hist.groupby(dims, sort=False)[["num", "den"]].sum() / _RS_HISTORY
    fc.columns = pd.Index(["num_exp", "den_exp"])
    leaves = real.join(fc, how="outer").fillna(0.0).reset_index()
    return leaves, dims


def _score(rows: list[CasePrediction], name: str) -> GroupScore:
    tp, fp, fn = (sum(getattr(r, k) for r in rows) for k in ("tp", "fp", "fn"))
    exact = sum(1 for r in rows if r.fp == 0 and r.fn == 0)
    return GroupScore(
        group=name,
        cases=len(rows),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        f1=2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
        exact_match=exact / len(rows) if rows else 0.0,
        mean_seconds=statistics.fmean(r.seconds for r in rows) if rows else 0.0,
    )


def score_cases(cases: list[CasePrediction]) -> BenchReport:
    """Aggregate per-case results into per-setting, per-dataset and overall scores."""
    by_setting: dict[tuple[str, str], list[CasePrediction]] = {}
    by_dataset: dict[str, list[CasePrediction]] = {}
    for c in cases:
        by_setting.setdefault((c.dataset, c.setting), []).append(c)
        by_dataset.setdefault(c.dataset, []).append(c)
    secs = [c.seconds for c in cases]
    return BenchReport(
        cases=cases,
        settings=[_score(v, f"{d}/{s}") for (d, s), v in sorted(by_setting.items()) if s != d],
        datasets=[_score(v, d) for d, v in sorted(by_dataset.items())],
        overall=_score(cases, "OVERALL"),
        mean_seconds=statistics.fmean(secs) if secs else 0.0,
        median_seconds=statistics.median(secs) if secs else 0.0,
    )


def run_case(data_dir: Path, label: dict[str, str]) -> CasePrediction:
    """Load, localize and score one case of labels.csv."""
    path = data_dir / label["data_file"]
    ratio = label["dataset"] == "RS" or label["kpi"] != "additive"
    if label["dataset"] == "RS":
        leaves, dims = load_rs(path, int(label["anomaly_time"]))
    else:
        leaves, dims = load_b0(path)
    start = time.perf_counter()
    result = localize(leaves, dims, ratio=ratio)
    seconds = time.perf_counter() - start
    pred = sorted({format_element(e.segment) for e in result.elements})
    truth = canonical_set(label["root_cause"])
    p, t = set(pred), set(truth)
    return CasePrediction(
        case_id=label["case_id"],
        dataset=label["dataset"],
        setting=label["setting"],
        predicted=pred,
        truth=truth,
        seconds=seconds,
        tp=len(p & t),
        fp=len(p - t),
        fn=len(t - p),
    )


def write_predictions(cases: list[CasePrediction], out: Path) -> None:
    """Write the predictions TSV (`case_id<TAB>root_cause<TAB>seconds`)."""
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write("case_id\troot_cause\tseconds\n")
        for c in cases:
            f.write(f"{c.case_id}\t{';'.join(c.predicted)}\t{c.seconds:.4f}\n")


def run_bench(
    data_dir: Path,
    *,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BenchReport:
    """Run the localizer on every case of `data_dir/labels.csv` and score it."""
    with (data_dir / "labels.csv").open(newline="", encoding="utf-8-sig") as f:
        labels = list(csv.DictReader(f))
    cases: list[CasePrediction] = []
    for i, label in enumerate(labels):
        cases.append(run_case(data_dir, label))
        if progress is not None:
            progress(i + 1, len(labels))
    if out is not None:
        write_predictions(cases, out)
    return score_cases(cases)


def render_bench(report: BenchReport) -> Table:
    """Render the per-setting, per-dataset and overall scores as a rich table."""
    table = Table(title="rca-bench (micro F1 over root-cause elements; L = attributes per cause)")
    for col in ("group", "n", "TP", "FP", "FN", "P", "R", "F1", "exact", "s/case"):
        table.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)
    groups = [*report.settings, *report.datasets, report.overall]
    for g in groups:
        name = g.group.replace("/B_cuboid_layer_", " L").replace("_n_ele_", " n=")
        table.add_row(
            name,
            str(g.cases),
            str(g.tp),
            str(g.fp),
            str(g.fn),
            f"{g.precision:.3f}",
            f"{g.recall:.3f}",
            f"{g.f1:.3f}",
            f"{g.exact_match:.2f}",
            f"{g.mean_seconds:.3f}",
        )
    table.caption = (
        f"mean {report.mean_seconds:.3f} s/case, median {report.median_seconds:.3f} s/case"
    )
    return table
