"""Run a batch on an accelerator; when it runs out of memory, halve the batch and go on.

The token budget that fits depends on what else holds the GPU (a second Kenning process, a
game, another model), which is not known when a batch is planned. A batch that does not
fit is split in two and each half retried; the caller learns the size that worked, so the
next batches are planned within it instead of failing again. A single input that does not
fit is a clear :class:`~engine.errors.KenningError`, not a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.errors import KenningError

log = logging.getLogger(__name__)


def run_halving_on_oom(
    forward: Callable[[list[int]], np.ndarray],
    batch: Sequence[int],
    lengths: Sequence[int],
    *,
    what: str,
    on_shrink: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``forward(batch)``; on out-of-memory, ``forward`` on each half, rows concatenated.

    ``lengths`` gives each input's tokens (indexed like ``batch``'s items), to say what did
    not fit. ``on_shrink(padded_tokens)`` hears the padded size of a batch that failed, so
    the caller can lower its budget below it.
    """
    batch = list(batch)
    try:
        return forward(batch)
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        _release_cached_memory()
        longest = max(lengths[i] for i in batch)
        padded = longest * len(batch)
        if len(batch) == 1:
            raise KenningError(
                f"The GPU ran out of memory on a single {what} input of {longest} tokens even "
                "after halving the batch: free GPU memory (close other programs using it) or "
                "choose --device cpu"
            ) from None
        half = len(batch) // 2
        log.warning(
            "The GPU ran out of memory on %d %s inputs (%d padded tokens); retrying in halves "
            "of %d and %d, and planning smaller batches from now on",
            len(batch),
            what,
            padded,
            half,
            len(batch) - half,
        )
        if on_shrink is not None:
            on_shrink(padded)
    first = run_halving_on_oom(forward, batch[:half], lengths, what=what, on_shrink=on_shrink)
    second = run_halving_on_oom(forward, batch[half:], lengths, what=what, on_shrink=on_shrink)
    return np.concatenate([first, second])


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's out-of-memory error (CUDA, and the MPS one, a plain RuntimeError)."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _release_cached_memory() -> None:
    import torch

    cuda: Any = torch.cuda
    if cuda.is_available():
        cuda.empty_cache()
