"""Sanitize untrusted customer text before it is stored or shown to a model."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_STRIP = re.compile(
    "[" + "\x00-\x08\x0b-\x1f\x7f-\x9f" + _ZERO_WIDTH + _BIDI + "\U000e0000-\U000e007f" + "]"
)
_SPACES = re.compile(r"[^\S\n\t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def sanitize_text(text: str, *, max_chars: int = 2000) -> tuple[str, str]:
    """Return the cleaned text and the sha256 hex digest of the original."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    # Strip before NFKC so normalisation cannot rebuild a stripped character, and after
    # because NFKC may turn compatibility characters into control-like ones.
    clean = _STRIP.sub("", text)
    clean = unicodedata.normalize("NFKC", clean.replace("\r\n", "\n").replace("\r", "\n"))
    clean = _STRIP.sub("", clean)
    clean = _SPACES.sub(" ", clean)
    clean = "\n".join(line.strip(" ") for line in clean.split("\n"))
    clean = _BLANK_LINES.sub("\n\n", clean).strip()
    if len(clean) > max_chars:
        clean = clean[:max_chars].rstrip()
    return clean, digest
