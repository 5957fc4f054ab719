"""The RCA benchmark runner on a tiny copy of rca-bench, scored like its own score.py."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from evals.rca_bench import (
    DEFAULT_DATA_DIR,
    BenchReport,
    CasePrediction,
    canonical_set,
    load_b0,
    load_rs,
    render_bench,
    run_bench,
    score_cases,
)

CASES = [
    "B0/B_cuboid_layer_1_n_ele_1/1450684200",
    "B0/B_cuboid_layer_3_n_ele_2/1450765200",
    "RS/20200531 002804 1608993854",
    "RS/case21_0921_2227875499",
]

pytestmark = pytest.mark.skipif(
    not (DEFAULT_DATA_DIR / "labels.csv").is_file(), reason="shared rca-bench data not present"
)


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """Copy four cases and their labels into a folder laid out like rca-bench."""
    with (DEFAULT_DATA_DIR / "labels.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["case_id"] in CASES]
    assert len(rows) == len(CASES)
    with (tmp_path / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        target = tmp_path / row["data_file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEFAULT_DATA_DIR / row["data_file"], target)
    shutil.copy(DEFAULT_DATA_DIR / "score.py", tmp_path / "score.py")
    return tmp_path


def test_runner_localizes_the_tiny_subset_exactly(bench: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    out = tmp_path / "preds.tsv"
    report = run_bench(bench, out=out, progress=lambda i, n: seen.append((i, n)))
    assert seen[-1] == (4, 4)
    assert [c.case_id for c in report.cases] == CASES
    assert report.overall.f1 == 1.0
    assert {d.group for d in report.datasets} == {"B0", "RS"}
    assert all(c.seconds < 5 for c in report.cases)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case_id\troot_cause\tseconds"
    assert lines[3].startswith("RS/20200531 002804 1608993854\tbitrate=500&device=adr\t")
    console = Console(width=160, record=True)
    console.print(render_bench(report))
    assert "OVERALL" in console.export_text()


def _score_py(bench: Path, preds: Path, per_case: Path) -> dict[str, list[str]]:
    proc = subprocess.run(
        [
            sys.executable,
            str(bench / "score.py"),
            str(preds),
            "--labels",
            str(bench / "labels.csv"),
            "--per-case",
            str(per_case),
        ],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    table = {}
    for line in proc.stdout.splitlines()[1:]:
        parts = line.split()
        if parts and not line.startswith("B0 mean"):
            key = " ".join(parts[: len(parts) - 9])
            table[key] = parts[len(parts) - 9 :]
    return table


def test_scoring_agrees_with_score_py(bench: Path, tmp_path: Path) -> None:
    # Score a deliberately imperfect prediction file with both implementations.
    report = run_bench(bench, out=tmp_path / "ours.tsv")
    lines = (tmp_path / "ours.tsv").read_text(encoding="utf-8").splitlines()
    broken = [lines[0], lines[1].split("\t")[0] + "\ta=a1;c=c6\t0.1", *lines[2:4]]
    (tmp_path / "broken.tsv").write_text("\n".join(broken) + "\n", encoding="utf-8")
    per_case = tmp_path / "per_case.tsv"
    for preds, expect_f1 in ((tmp_path / "ours.tsv", 1.0), (tmp_path / "broken.tsv", None)):
        table = _score_py(bench, preds, per_case)
        ours = _rescore(bench, preds) if expect_f1 is None else report
        for group in [*ours.settings, *ours.datasets, ours.overall]:
            name = group.group if group.group != "OVERALL" else "OVERALL"
            key = name if name in table else f"{name} (all cases)"
            cases, tp, fp, fn, _p, _r, f1 = table[key][:7]
            assert (int(cases), int(tp), int(fp), int(fn)) == (
                group.cases,
                group.tp,
                group.fp,
                group.fn,
            )
            assert float(f1) == pytest.approx(group.f1, abs=5e-5)


def _rescore(bench: Path, preds: Path) -> BenchReport:
    """Score an existing predictions file with the runner's own scoring functions."""
    with (bench / "labels.csv").open(newline="", encoding="utf-8") as f:
        labels = {r["case_id"]: r for r in csv.DictReader(f)}
    found = {}
    for line in preds.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        found[fields[0]] = canonical_set(fields[1] if len(fields) > 1 else "")
    cases = []
    for cid, label in labels.items():
        pred, truth = set(found.get(cid, [])), set(canonical_set(label["root_cause"]))
        cases.append(
            CasePrediction(
                case_id=cid,
                dataset=label["dataset"],
                setting=label["setting"],
                predicted=sorted(pred),
                truth=sorted(truth),
                seconds=0.0,
                tp=len(pred & truth),
                fp=len(pred - truth),
                fn=len(truth - pred),
            )
        )
    return score_cases(cases)


def test_loaders_keep_attribute_values_as_exact_strings() -> None:
    leaves, dims = load_rs(DEFAULT_DATA_DIR / "data/RS/case58_0218_1272997391.csv.gz", 1582007340)
    assert "bitrate" in dims and "isp" in dims
    assert all(re.fullmatch(r"-?\d+", v) for v in leaves["bitrate"])
    assert "联通" in set(leaves["isp"])
    assert {"num", "num_exp", "den", "den_exp"} <= set(leaves.columns)
    assert (leaves["num"] <= leaves["den"]).all()
    b0, b0_dims = load_b0(DEFAULT_DATA_DIR / "data/B0/B_cuboid_layer_1_n_ele_1/1450684200.csv.gz")
    assert b0_dims == ["a", "b", "c", "d"]
    assert len(b0) == 21600


def test_canonical_set_matches_score_py_rules() -> None:
    assert canonical_set(" b=b2 & a=a1 ; c=c1;;") == ["a=a1&b=b2", "c=c1"]
    assert canonical_set("") == []
