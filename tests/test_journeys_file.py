"""Journeys files load from TOML and YAML; bad ones name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.db import make_engine, migrate, sqlite_url
from store.errors import InputError
from store.journeys_file import load_journeys_file
from store.models import Base

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


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ('parent = "service"', 'parent = "nowhere"', 10, "parent"),
        ('id = "billing_dispute"', 'id = "Billing Dispute"', 10, "id"),
        ('role = "journey_owner"', 'role = "boss"', 3, "council.members.0.role"),
        ("quorum = 1", "quorum = 3", 3, "council.quorum"),
        ('"open", ', '"open", "open", ', 10, "stages"),
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


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.sqlite"))
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
