"""Readable relevance, the junk-tail floor, "no good match" and grouping by file."""

from __future__ import annotations

import pytest

from engine.relevance import (
    E5,
    RELATIVE_FLOOR,
    RELATIVE_FLOORS,
    WEAK_SIMILARITY,
    WORD_RANK_KEPT,
    floor_for,
    relevance,
    trim_tail,
    weak_match,
)
from engine.result_groups import group_by_file
from engine.types import SearchResult

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def hit(cid: int, path: str = "/p/a.py", **kw) -> SearchResult:
    base = dict(
        chunk_id=cid,
        path=path,
        start_line=cid,
        end_line=cid + 1,
        score=0.0,
        kind="code",
        language="python",
        symbol=None,
        snippet="",
    )
    base.update(kw)
    return SearchResult(**base)


def test_relevance_is_100_for_first_everywhere_and_falls_with_rank():
    top = hit(1, lexical_rank=1, semantic_rank=1)
    assert relevance(top, "hybrid") == 100
    assert relevance(hit(2, semantic_rank=1), "hybrid") == 50
    assert relevance(hit(2, semantic_rank=1), "semantic") == 100
    assert relevance(hit(3, lexical_rank=1), "lexical") == 100
    tenth = relevance(hit(4, lexical_rank=10, semantic_rank=10), "hybrid")
    fiftieth = relevance(hit(5, lexical_rank=50, semantic_rank=50), "hybrid")
    assert 100 > tenth > fiftieth > 0
    assert relevance(hit(6), "hybrid") == 0


def test_the_floor_drops_semantic_noise_but_keeps_good_word_matches():
    best = hit(1, similarity=0.8, semantic_rank=1)
    close = hit(2, similarity=0.8 * RELATIVE_FLOOR + 0.01, semantic_rank=2)
    noise = hit(3, similarity=0.8 * RELATIVE_FLOOR - 0.01, semantic_rank=3)
    worded = hit(4, similarity=0.1, semantic_rank=4, lexical_rank=1)
    lexical_only = hit(5, lexical_rank=2)
    common_word = hit(6, similarity=0.1, semantic_rank=6, lexical_rank=WORD_RANK_KEPT + 1)
    kept = trim_tail([best, close, noise, worded, lexical_only, common_word])
    assert kept == [best, close, worded, lexical_only]
    assert trim_tail([lexical_only]) == [lexical_only]
    assert trim_tail([]) == []


def test_weak_match_needs_a_known_model_and_low_similarity():
    low = [hit(1, similarity=0.1, semantic_rank=1), hit(2, similarity=0.05, semantic_rank=2)]
    assert weak_match(low, MINILM)
    assert not weak_match(low, "some/unmeasured-model")
    # A common word shared with an off-topic question is no evidence; a name looked up is.
    assert weak_match([*low, hit(3, lexical_rank=1)], MINILM)
    assert not weak_match([*low, hit(3, lexical_rank=1)], MINILM, anchored=True)
    assert weak_match(low, MINILM, anchored=True)
    assert not weak_match([hit(1, similarity=0.9, semantic_rank=1)], MINILM)
    assert not weak_match([], MINILM)


def test_the_floor_is_the_models_own():
    # e5 rates unrelated text ~0.75 when the best is ~0.85: MiniLM's share keeps it all.
    best = hit(1, similarity=0.86, semantic_rank=1)
    near = hit(2, similarity=0.86 * RELATIVE_FLOORS[E5] + 0.002, semantic_rank=2)
    unrelated = hit(3, similarity=0.86 * RELATIVE_FLOORS[E5] - 0.002, semantic_rank=3)
    results = [best, near, unrelated]
    assert trim_tail(results, model_id=E5) == [best, near]
    assert trim_tail(results, model_id=MINILM) == results
    assert trim_tail(results) == results  # an unmeasured model gets the default share
    assert trim_tail(results, 0.5, model_id=E5) == results  # an explicit floor wins
    assert floor_for(None) == floor_for("some/unmeasured-model") == RELATIVE_FLOOR
    assert floor_for(MINILM) == RELATIVE_FLOOR


def test_weak_match_uses_the_models_own_level():
    level = WEAK_SIMILARITY[E5]
    assert level > WEAK_SIMILARITY[MINILM]
    below = [hit(1, similarity=level - 0.01, semantic_rank=1)]
    above = [hit(1, similarity=level + 0.01, semantic_rank=1)]
    assert weak_match(below, E5) and not weak_match(above, E5)
    assert not weak_match(below, MINILM)  # 0.8 is a very good match for MiniLM


def test_grouping_keeps_rank_order_of_files_and_hits():
    a1, b1, a2, c1, a3 = (
        hit(1, "/p/a.py"),
        hit(2, "/p/b.py"),
        hit(3, "/p/a.py"),
        hit(4, "/p/c.py"),
        hit(5, "/p/a.py"),
    )
    groups = group_by_file([a1, b1, a2, c1, a3])
    assert [g.path for g in groups] == ["/p/a.py", "/p/b.py", "/p/c.py"]
    assert groups[0].hits == (a1, a2, a3) and groups[0].best == a1
    assert groups[0].more == (a2, a3)
    capped = group_by_file([a1, b1, a2, c1, a3], per_file=2)
    assert capped[0].hits == (a1, a2) and capped[0].hidden == 1
    with pytest.raises(ValueError):
        group_by_file([a1], per_file=0)
