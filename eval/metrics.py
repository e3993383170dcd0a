"""Ranking metrics: a hit, the rank of the first hit, MRR@k and Recall@k.

A result is a hit when its path is a target's path and its line span overlaps the target's
span (1-based, inclusive). A query may list several acceptable targets; the first result
that hits any of them decides the query's rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    path: str  # corpus-relative, forward slashes
    start_line: int
    end_line: int


def overlaps(result: Span, target: Span) -> bool:
    return (
        result.path == target.path
        and result.start_line <= target.end_line
        and target.start_line <= result.end_line
    )


def first_hit_rank(results: Sequence[Span], targets: Iterable[Span], k: int = 10) -> int | None:
    """1-based rank of the first result among the top ``k`` that hits a target, else None."""
    wanted = list(targets)
    for rank, result in enumerate(results[:k], start=1):
        if any(overlaps(result, target) for target in wanted):
            return rank
    return None


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    mrr_at_10: float
    recall_at_1: float
    recall_at_10: float


def score_ranks(ranks: Sequence[int | None], k: int = 10) -> Scores:
    """MRR@k and Recall@1/@k over per-query first-hit ranks (None = no hit in the top k)."""
    n = len(ranks)
    if n == 0:
        return Scores(0, 0.0, 0.0, 0.0)
    within = [r for r in ranks if r is not None and r <= k]
    return Scores(
        n=n,
        mrr_at_10=sum(1.0 / r for r in within) / n,
        recall_at_1=sum(1 for r in within if r == 1) / n,
        recall_at_10=len(within) / n,
    )
