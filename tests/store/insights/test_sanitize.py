from __future__ import annotations

import hashlib

import pytest

from store.insights.sanitize import sanitize_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u202eb", "ab"),
        ("a\u200bb", "ab"),
        ("a\x00b\x07", "ab"),
        ("keep\tTAB\nline", "keep\tTAB\nline"),
        ("hi\U000e0041\U000e0069", "hi"),
        ("\ufb01ne   day", "fine day"),
    ],
)
def test_sanitize_strips_hidden_characters(raw: str, clean: str) -> None:
    assert sanitize_text(raw) == (clean, hashlib.sha256(raw.encode()).hexdigest())


def test_sanitize_caps_length() -> None:
    assert len(sanitize_text("x" * 50, max_chars=10)[0]) == 10
