"""Group tokenised inputs into batches bounded by padded tokens, not by a count.

A batch costs roughly ``longest * count`` tokens of compute and memory once padded, so a fixed
count either wastes the accelerator on short chunks or runs out of memory on long ones.
Sorting by length first keeps the padding small; callers put results back in input order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def plan_batches(
    lengths: Sequence[int], token_budget: int, *, max_batch_size: int | None = None
) -> list[list[int]]:
    """Indices into ``lengths`` grouped so each batch's padded size stays within the budget.

    Longest inputs come first (an out-of-memory shows at once, not at the end of a long run).
    An input longer than the budget on its own gets a batch of its own. Every index appears
    exactly once.
    """
    if token_budget < 1:
        raise ValueError(f"token_budget must be positive, got {token_budget}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        # Sorted descending, so the first item of a batch is its longest.
        fits = current and longest * (len(current) + 1) <= token_budget
        if fits and (max_batch_size is None or len(current) < max_batch_size):
            current.append(index)
            continue
        if current:
            batches.append(current)
        current, longest = [index], length
    if current:
        batches.append(current)
    return batches


def pad_batch(
    sequences: Sequence[Sequence[int]], *, pad_id: int, side: str = "right"
) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)`` as int64 arrays, padded on ``side`` to the longest."""
    if side not in ("left", "right"):
        raise ValueError(f"padding side must be 'left' or 'right', got {side!r}")
    width = max((len(seq) for seq in sequences), default=0)
    input_ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        n = len(seq)
        if n == 0:
            continue
        start = width - n if side == "left" else 0
        input_ids[row, start : start + n] = seq
        mask[row, start : start + n] = 1
    return input_ids, mask
