"""Chat nodes return `ChatState`, so mypy refuses a misspelt key in what a node returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.typecheck import mypy_errors

_NODE = """
from __future__ import annotations

from agent.chat.state import ChatState


def node() -> ChatState:
    return {KEY: VALUE}
"""


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ('"answer"', '"ok"', None),
        ('"answr"', '"ok"', 'Extra key "answr" for TypedDict "ChatState"'),
        (
            '"steps"',
            '"one"',
            'Incompatible types (expression has type "str", TypedDict item "steps"',
        ),
        ('"offered"', '[{"n": 1}]', 'Missing keys ("breakdown_id", "playbook", "title")'),
    ],
)
def test_mypy_checks_the_keys_and_values_a_node_returns(
    tmp_path: Path, key: str, value: str, error: str | None
) -> None:
    errors = mypy_errors(_NODE.replace("KEY", key).replace("VALUE", value), tmp_path)
    if error is None:
        assert errors == []
    else:
        assert errors and error in errors[0], errors
