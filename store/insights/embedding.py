"""Text embedders: the local int8 MiniLM ONNX model and a hashing fallback."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

from store.insights import model_files

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turn texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


_SESSION_LOCK = threading.Lock()
_SESSION: tuple[ort.InferenceSession, Tokenizer] | None = None
_POOL: ThreadPoolExecutor | None = None


def _session() -> tuple[ort.InferenceSession, Tokenizer]:
    # One session per process: loading the model costs far more than a batch.
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            # onnxruntime and tokenizers load only when text is embedded (start-up time).
            import onnxruntime as ort
            from tokenizers import Tokenizer

            options = ort.SessionOptions()
            # One thread per run, and batches run side by side (see `_workers`): our texts
            # are short, so splitting one small batch across cores costs more in hand-offs
            # than it saves; measured 1.0-1.5x faster on 2 cores than 2 intra-op threads.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(
                str(model_files.model_path()), options, providers=["CPUExecutionProvider"]
            )
            tokenizer = Tokenizer.from_file(str(model_files.tokenizer_path()))
            tokenizer.enable_truncation(max_length=256)
            tokenizer.no_padding()  # the shipped tokenizer.json may pad; we pad per batch
            _SESSION = (session, tokenizer)
        return _SESSION


def _workers() -> ThreadPoolExecutor:
    global _POOL
    with _SESSION_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="minilm")
        return _POOL


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling and L2 normalisation."""

    name = "minilm-l6-v2-int8"
    dim = 384

    def __init__(self, *, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts in batches of similar token length, several batches at a time."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = _session()
        with_types = "token_type_ids" in {i.name for i in session.get_inputs()}
        tokens = [e.ids for e in tokenizer.encode_batch(list(texts))]
        # Batching texts of similar length keeps padding (wasted compute) to a minimum.
        order = np.argsort([len(t) for t in tokens], kind="stable")
        batches = [
            [tokens[i] for i in order[start : start + self.batch_size]]
            for start in range(0, len(order), self.batch_size)
        ]

        def run(batch: list[list[int]]) -> Vectors:
            width = max(len(t) for t in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            for row, t in enumerate(batch):
                ids[row, : len(t)] = t
            mask = (np.arange(width)[None, :] < np.array([len(t) for t in batch])[:, None]).astype(
                np.int64
            )
            feeds = {"input_ids": ids, "attention_mask": mask}
            if with_types:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = np.asarray(session.run(None, feeds)[0], dtype=np.float32)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            return _normalise(pooled.astype(np.float32))

        out = [run(b) for b in batches] if len(batches) == 1 else list(_workers().map(run, batches))
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        result[order] = np.vstack(out)
        return result


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """Bag of hashed unigrams and bigrams; no semantics, but fast and dependency-free."""

    def __init__(self, *, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts by signed feature hashing."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            for feat in [*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "big")
                out[row, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        return _normalise(out)


def make_embedder(kind: Literal["minilm", "hashing"]) -> Embedder:
    """Build the embedder named in config ``insights.embedder``."""
    if kind == "minilm":
        return MiniLMEmbedder()
    if kind == "hashing":
        return HashingEmbedder()
    raise ValueError(f"unknown embedder {kind!r}")


class ChromaEmbeddingFunction:
    """Adapt an Embedder to chromadb's EmbeddingFunction call shape."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Sequence[str]) -> list[Vectors]:
        return list(self._embedder.embed(input))

    @staticmethod
    def name() -> str:
        return "journeyops"
