"""Budgeted bm25 ranking: the same scores as the full OR query, for fewer rows scored."""

from __future__ import annotations

import random

import pytest

from engine import lexical_ranking
from engine.lexical_ranking import rank_clauses
from engine.lexical_tokens import query_clauses
from engine.store import NewChunk, Store
from engine.types import Chunk

COMMON = ["return", "value", "name", "self", "data"]


@pytest.fixture
def store(tmp_path):
    """300 chunks of common words; a few also hold the rare words "backoff" / "jitter"."""
    rng = random.Random(7)
    texts = []
    for i in range(300):
        words = rng.choices(COMMON, k=rng.randint(3, 30))
        if i % 50 == 0:
            words += ["backoff"] * (1 + i // 50)
        if i % 75 == 0:
            words.append("jitter")
        texts.append(" ".join(words))
    # Only common words, and many of them: it would rank high on the full query.
    texts.append(" ".join(COMMON * 6))
    s = Store.open(tmp_path)
    folder_id = s.add_folder(tmp_path / "root")
    with s.transaction():
        for n, text in enumerate(texts):
            kind, lang = ("text", "markdown") if n % 2 else ("code", "python")
            file_id = s.record_file(
                folder_id=folder_id,
                path=str(tmp_path / "root" / f"f{n}.py"),
                rel_path=f"f{n}.py",
                size=1,
                mtime_ns=1,
                hash=str(n),
                status="indexed",
            )
            chunk = Chunk(1, 1, kind, lang, None, text, text)
            s.insert_chunks(file_id, f"f{n}.py", [NewChunk(chunk, f"h{n}")])
    yield s
    s.close()


def _full(store, clauses, limit, **filters):
    return store.lexical(" OR ".join(clauses), limit, **filters)


def test_under_the_budget_the_full_query_runs(store):
    clauses = query_clauses("backoff jitter return value", prefix_last=False)
    assert rank_clauses(store, clauses, 20, store.match_count) == _full(store, clauses, 20)


def test_over_the_budget_candidates_keep_their_full_query_scores(store, monkeypatch):
    monkeypatch.setattr(lexical_ranking, "ROW_BUDGET", 10)
    clauses = query_clauses("backoff jitter return value", prefix_last=False)
    counted: list[str] = []

    def count(clause):
        counted.append(clause)
        return store.match_count(clause)

    got = rank_clauses(store, clauses, 5, count)
    assert sorted(counted) == sorted(clauses)
    full_scores = dict(_full(store, clauses, 1000))
    rare_rows = {cid for cid, _ in store.lexical('"backoff" OR "jitter"', 1000)}
    assert got and {cid for cid, _ in got} <= rare_rows
    for cid, score in got:
        assert score == pytest.approx(full_scores[cid], rel=1e-9)
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    # The best chunk holding a rare word is found, exactly as the full query ranks it.
    best_rare = max(rare_rows, key=full_scores.__getitem__)
    assert got[0][0] == best_rare
    # What is given up: the chunk of common words only, which the full query also returns.
    only_common = 301  # the last chunk inserted
    assert only_common in full_scores and only_common not in {cid for cid, _ in got}


def test_over_the_budget_filters_apply_and_a_short_page_is_filled(store, monkeypatch):
    monkeypatch.setattr(lexical_ranking, "ROW_BUDGET", 10)
    clauses = query_clauses("backoff return", prefix_last=False)
    # Every "backoff" chunk is code: the candidates hold nothing for a text filter, so the
    # page is filled from the full query rather than left empty.
    got = rank_clauses(store, clauses, 20, store.match_count, kind="text")
    assert got == _full(store, clauses, 20, kind="text") and len(got) == 20
    code = rank_clauses(store, clauses, 3, store.match_count, kind="code")
    assert len(code) == 3
    assert {cid for cid, _ in code} <= {cid for cid, _ in store.lexical('"backoff"', 100)}


def test_a_single_word_is_ranked_whole(store, monkeypatch):
    monkeypatch.setattr(lexical_ranking, "ROW_BUDGET", 1)
    clauses = query_clauses("return", prefix_last=False)
    assert rank_clauses(store, clauses, 20, store.match_count) == _full(store, clauses, 20)
