"""A small deterministic Embedder for fast tests: hashed bag of words, L2-normalised.

It is a real implementation of the protocol (texts sharing words get similar vectors), so the
pipeline, store and search run for real around it; tests of retrieval quality use the bundled
model instead (marked ``model``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading

import numpy as np

_WORD = re.compile(r"[A-Za-z]+|\d+|[^\W\d_]", re.UNICODE)


@functools.lru_cache(maxsize=1 << 17)
def _word_hash(word: str) -> int:
    # Cached: test corpora repeat a small vocabulary, and hashing each occurrence again was
    # most of the time a storm of 20,000 files spent embedding.
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


class HashingEmbedder:
    def __init__(self, dim: int = 1024, model_id: str = "test/hashing", max_tokens: int = 128):
        self._dim = dim
        self._model_id = model_id
        self._max_tokens = max_tokens
        self.documents_embedded: list[str] = []
        self.queries_embedded: list[str] = []
        self._lock = threading.Lock()

    model_id = property(lambda self: self._model_id)
    dim = property(lambda self: self._dim)
    max_tokens = property(lambda self: self._max_tokens)
    instruction_aware = property(lambda self: False)
    device = property(lambda self: "cpu")

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(_WORD.findall(t)) + 2 for t in texts]

    def _vector(self, text: str) -> np.ndarray:
        # The "File: ..." header line is left out: with a vocabulary this crude, path words
        # would outweigh the body of every short chunk.
        text = "\n".join(line for line in text.splitlines() if not line.startswith("File: "))
        buckets = [_word_hash(word) % self._dim for word in _WORD.findall(text.lower())]
        # Word counts per bucket (small integers: exact in float32, as adding 1.0 each was).
        vec = np.bincount(buckets, minlength=self._dim).astype(np.float32)
        vec[0] += 1e-3  # never the zero vector
        return vec / np.linalg.norm(vec)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.documents_embedded.extend(texts)
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dim))

    def embed_queries(self, texts: list[str], task: str = "code") -> np.ndarray:
        with self._lock:
            self.queries_embedded.extend(texts)
        return np.vstack([self._vector(t) for t in texts])
