"""A node's update has the state's own keys and types, so mypy refuses a misspelt one."""

from __future__ import annotations

from pathlib import Path
from typing import get_type_hints

import pytest

from agent.investigate.state import InvestigationState, InvestigationUpdate
from tests.support.typecheck import mypy_errors


def test_the_update_type_has_every_key_of_the_state_with_its_type() -> None:
    fields = {name: f.annotation for name, f in InvestigationState.model_fields.items()}
    assert get_type_hints(InvestigationUpdate) == fields
    assert InvestigationUpdate.__total__ is False


_NODE = """
from __future__ import annotations

from agent.investigate.state import InvestigationUpdate


def node() -> InvestigationUpdate:
    return {KEY: []}
"""


@pytest.mark.parametrize(
    ("key", "refused"), [('"breakdowns"', False), ('"breakdown"', True), ('"notice"', True)]
)
def test_mypy_refuses_a_misspelt_key_in_a_node_update(
    tmp_path: Path, key: str, refused: bool
) -> None:
    errors = mypy_errors(_NODE.replace("KEY", key), tmp_path)
    assert bool(errors) is refused, errors
    if refused:
        assert f'Extra key {key} for TypedDict "InvestigationUpdate"' in errors[0]
