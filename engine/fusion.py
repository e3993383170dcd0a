"""Fuse the lexical and the semantic ranking into one, trusting each lexical hit as far as it
matched the query.

Plain reciprocal-rank fusion gives the lexical ranking's first place the same weight as the
semantic one's, whatever the lexical hit actually matched. When the query shares only a word
or two with the corpus (a Chinese question over English code: "判断文件是不是 zip 压缩包"
matches every chunk that says "zip") the lexical ranking is noise, and RRF lets it push a
good semantic first place off the page. So each lexical hit's share is scaled by its
coverage of the query (``engine.query_coverage``, computed by ``Searcher.lexical``): a chunk
that holds every word counts fully, as in RRF; one that holds a sixth of the question counts
``(1/6) ** COVERAGE_POWER``, and the whole lexical ranking counts as much as its best
hit's coverage allows (``LEG_COVERAGE_POWER``). Results without a coverage count fully.

The constants were chosen on the eval's tune split (``python -m eval.fusion_study``,
docs/EVAL.md).
"""

from __future__ import annotations

from dataclasses import replace

from engine.types import SearchResult

RRF_K = 60
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
# How steeply a lexical hit's weight falls with the share of the query it misses; 0 is RRF.
COVERAGE_POWER = 3.0
# The same for the whole lexical ranking, by the best coverage any of its hits reaches: when
# no chunk holds more than a sixth of the question, none of its ranks means much.
# Both chosen on the eval's tune split with k 60 and weight 1 kept (docs/EVAL.md).
LEG_COVERAGE_POWER = 4.0


def lexical_weights(lexical: list[SearchResult]) -> list[float]:
    """The weight of each lexical hit: ``LEXICAL_WEIGHT`` scaled by query coverage."""
    known = [r.coverage for r in lexical if r.coverage is not None]
    leg = max(known, default=1.0) ** LEG_COVERAGE_POWER
    return [
        LEXICAL_WEIGHT * leg * (1.0 if r.coverage is None else r.coverage**COVERAGE_POWER)
        for r in lexical
    ]


def fuse(
    lexical: list[SearchResult], semantic: list[SearchResult], *, limit: int
) -> list[SearchResult]:
    """Coverage-weighted reciprocal-rank fusion; each result keeps which rankers found it,
    its 1-based rank in each (``lexical_rank``/``semantic_rank``) and its similarity."""
    scores: dict[int, float] = {}
    best: dict[int, SearchResult] = {}
    sources: dict[int, set[str]] = {}
    ranks: dict[int, dict[str, int]] = {}
    similarity: dict[int, float] = {}
    legs = (
        ("lexical", lexical, lexical_weights(lexical)),
        ("semantic", semantic, [SEMANTIC_WEIGHT] * len(semantic)),
    )
    for name, ranking, weights in legs:
        for rank, (result, weight) in enumerate(zip(ranking, weights, strict=True)):
            share = weight / (RRF_K + rank + 1)
            scores[result.chunk_id] = scores.get(result.chunk_id, 0.0) + share
            best.setdefault(result.chunk_id, result)
            sources.setdefault(result.chunk_id, set()).add(name)
            ranks.setdefault(result.chunk_id, {})[f"{name}_rank"] = rank + 1
            if result.similarity is not None:
                similarity[result.chunk_id] = result.similarity
    order = sorted(scores, key=lambda cid: -scores[cid])[:limit]
    return [
        replace(
            best[cid],
            score=scores[cid],
            sources=tuple(sorted(sources[cid])),
            similarity=similarity.get(cid),
            **{"lexical_rank": None, "semantic_rank": None, **ranks[cid]},  # type: ignore[arg-type]
        )
        for cid in order
    ]
