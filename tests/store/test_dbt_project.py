"""Reading a dbt project: both YAML specs, and one-line errors naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store.dbt_project import read_dbt_project
from store.errors import InputError

PROJECT = Path(__file__).resolve().parents[1] / "support" / "dbt_project"


def test_both_specs_are_read_and_build_output_is_not() -> None:
    project = read_dbt_project(PROJECT)
    assert project.files_read == 2
    assert {"stage_conversion", "cost_per_visit", "transfer_share"} <= set(project.metrics)
    assert project.measures["timed_visits"].expr == "duration_s"
    assert project.metrics["cost_per_visit"].meta["journeyops"]["direction"] == "lower"


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "where", "message"),
    [
        (
            {"models/a.yml": "metrics: [\n  - name: x\n    type: ratio\n  bad"},
            "a.yml:",
            "not valid YAML",
        ),
        ({"models/a.yml": "metrics: 3\n"}, "a.yml", "expected a list of mappings"),
        ({"models/a.yml": "metrics:\n  - type: simple\n"}, "a.yml:2", "field 'name': missing"),
        (
            {
                "models/a.yml": (
                    "metrics:\n  - name: m\n    type: simple\n"
                    "    type_params:\n      measure: nope\n"
                )
            },
            "a.yml:2",
            "unknown measure",
        ),
        (
            {
                "models/a.yml": "metrics:\n  - name: m\n    type: ratio\n",
                "models/b.yml": "\n\nmetrics:\n  - name: m\n    type: ratio\n",
            },
            "b.yml:4",
            "is also defined at",
        ),
        (
            {"dbt_project.yml": "model-paths: ['../../etc']\n"},
            "dbt_project.yml",
            "leaves the project",
        ),
        ({"models/a.yml": "metrics:\n  - name: [1, 2]\n"}, "a.yml:2", "expected text"),
    ],
)
def test_a_broken_project_is_one_error_naming_file_and_line(
    tmp_path: Path, files: dict[str, str], where: str, message: str
) -> None:
    root = _project(tmp_path, files)
    with pytest.raises(InputError) as err:
        read_dbt_project(root)
    assert where in str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_not_utf8_and_not_a_folder_are_errors_too(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    (root / "models" / "a.yml").write_bytes(b"metrics:\n  - name: \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_dbt_project(root)
    with pytest.raises(InputError, match="not a folder"):
        read_dbt_project(root / "models" / "a.yml")


def test_hidden_and_build_folders_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(PROJECT, root)
    (root / "models" / ".cache").mkdir()
    (root / "models" / ".cache" / "x.yml").write_text("metrics: [not yaml", encoding="utf-8")
    (root / "models" / "dbt_packages").mkdir()
    (root / "models" / "dbt_packages" / "y.yml").write_text("metrics: 3", encoding="utf-8")
    assert read_dbt_project(root).files_read == 2
