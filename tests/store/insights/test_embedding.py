from __future__ import annotations

from store.insights.embedding import make_embedder


def test_minilm_puts_similar_sentences_closer_than_unrelated() -> None:
    v = make_embedder("minilm").embed(
        ["the payment page crashed", "checkout payment screen froze", "I like blue paint"]
    )
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
