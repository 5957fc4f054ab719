"""Questions in other languages: phrases from `[chat.synonyms.*]` read as their English meaning.

The offline planner understands English; a Spanish, German, French or Portuguese question
is first folded (lowercase, accents dropped) and every configured phrase replaced by its
meaning, longest phrase first, whole words only. What is left in the user's own language
is simply not understood, as in English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence


def fold(text: str) -> str:
    """Return text lowercased, accents dropped, whitespace folded: `Conversión` → `conversion`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


class Vocabulary:
    """Every language's phrases with their English meaning, ready to translate a question."""

    def __init__(self, synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> None:
        pairs = {
            fold(phrase): meaning
            for table in (synonyms or {}).values()
            for meaning, phrases in table.items()
            for phrase in phrases
        }
        self._pairs = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        self._pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p, _ in self._pairs))
            if self._pairs
            else None
        )
        self._meaning = dict(self._pairs)

    def translate(self, text: str) -> str:
        """Return the folded question with every known phrase replaced by its meaning."""
        folded = fold(text)
        if self._pattern is None:
            return folded
        return self._pattern.sub(lambda m: self._meaning[m.group(0)], folded)
