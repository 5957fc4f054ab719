"""Journeys files load from TOML and YAML; bad ones name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.errors import InputError
from store.journeys.file import load_journeys_file

GOOD = """
[[journeys]]
id = "service"
name = "Service"
[journeys.council]
quorum = 1
members = [{ user = "ana", role = "journey_owner" }]

[[journeys]]
id = "billing_dispute"
parent = "service"
stages = ["open", { id = "investigation", name = "Investigation" }, "resolution"]
"""


def test_toml_and_yaml_load_the_same_journeys(tmp_path: Path) -> None:
    toml = tmp_path / "j.toml"
    toml.write_text(GOOD, encoding="utf-8")
    yaml_file = tmp_path / "j.yaml"
    yaml_file.write_text(
        "journeys:\n"
        "  - id: service\n    name: Service\n"
        "    council: {quorum: 1, members: [{user: ana, role: journey_owner}]}\n"
        "    children:\n      - id: billing_dispute\n"
        "        stages: [open, investigation, resolution]\n",
        encoding="utf-8",
    )
    a, b = load_journeys_file(toml), load_journeys_file(yaml_file)
    assert [(j.id, j.parent, j.stages) for j in a] == [(j.id, j.parent, j.stages) for j in b]
    assert a[1].stages == ["open", "investigation", "resolution"]


CYCLE = GOOD.replace('id = "service"', 'id = "service"\nparent = "billing_dispute"', 1)


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ('parent = "service"', 'parent = "nowhere"', 11, "parent"),
        ('id = "billing_dispute"', 'id = "Billing Dispute"', 10, "id"),
        ('id = "billing_dispute"', 'id = "service"', 10, "id"),
        ('role = "journey_owner"', 'role = "boss"', 7, "council.members.0.role"),
        ("quorum = 1", "quorum = 3", 6, "council.quorum"),
        ("quorum = 1", "quorum = 0", 6, "council.quorum"),
        (
            '{ user = "ana", role = "journey_owner" }',
            '{ user = "ana", role = "journey_owner" }, { user = "ana", role = "viewer" }',
            7,
            "council.members",
        ),
        ('"open", ', '"open", "open", ', 12, "stages"),
        ('"open", ', '"Open Now", ', 12, "stages"),
        ('name = "Service"', 'name = "Service"\ncolour = "red"', 5, "colour"),
    ],
)
def test_bad_journeys_file_names_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str
) -> None:
    path = tmp_path / "journeys.toml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_journeys_file(path)
    assert (err.value.line, err.value.field) == (line, field)
    assert str(err.value).startswith(f"{path}:{line}:")


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "journeys.toml"
    path.write_text(GOOD.replace('name = "Service"', 'name = "Service'), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_journeys_file(path)
    assert err.value.line == 4


def test_parent_cycle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journeys.toml"
    path.write_text(CYCLE, encoding="utf-8")
    with pytest.raises(InputError, match="parent cycle") as err:
        load_journeys_file(path)
    assert err.value.field == "parent"


def test_yaml_errors_name_the_line_of_the_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "journeys.yml"
    path.write_text(
        "journeys:\n"
        "  - id: service\n"
        "    council:\n"
        "      quorum: 1\n"
        "      members:\n"
        "        - {user: ana, role: journey_owner}\n"
        "        - {user: bo, role: superuser}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_journeys_file(path)
    assert (err.value.line, err.value.field) == (7, "council.members.1.role")


def test_nested_children_take_their_parent_and_grandchildren_too(tmp_path: Path) -> None:
    path = tmp_path / "journeys.yaml"
    path.write_text(
        "journeys:\n"
        "  - id: commerce\n"
        "    children:\n"
        "      - id: checkout\n"
        "        children: [{id: payment_retry, stages: [retry]}]\n"
        "  - id: support\n",
        encoding="utf-8",
    )
    specs = load_journeys_file(path)
    assert [(s.id, s.parent) for s in specs] == [
        ("commerce", None),
        ("checkout", "commerce"),
        ("payment_retry", "checkout"),
        ("support", None),
    ]


def test_high_risk_quorum_above_the_deciders_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journeys.toml"
    path.write_text(
        GOOD.replace("quorum = 1", "quorum = 1\nhigh_risk_quorum = 2"), encoding="utf-8"
    )
    with pytest.raises(InputError, match="high_risk_quorum 2 exceeds") as err:
        load_journeys_file(path)
    assert (err.value.line, err.value.field) == (7, "council.high_risk_quorum")


def test_other_extensions_and_empty_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "journeys.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.toml, \.yaml"):
        load_journeys_file(other)
    empty = tmp_path / "journeys.toml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(InputError, match="no journeys"):
        load_journeys_file(empty)
