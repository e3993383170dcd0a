"""Rank chunks for a lexical query by FTS5's bm25 without scoring every chunk that matches.

FTS5 computes bm25 for every row a MATCH expression selects before it can sort them, and a
query OR-ing its words selects every chunk holding any of them: at 100k chunks a question with
a few common code words ("return", "value", "name") matches tens of thousands of rows and
takes 50-100 ms, nearly all of it in bm25 (counting the same rows takes 2 ms).

So when the words together select more than ``ROW_BUDGET`` rows, only chunks holding one of
the rarest words (as many as fit the budget) are candidates, and they are scored by bm25 over
*every* word: ``(rare) AND (common)`` and ``(rare) NOT (common)`` have the same phrases as
the full OR, so each candidate gets exactly the score the full query would give it. What is
given up are chunks holding only common words; they score low (bm25's idf of a word in many
chunks is small), and on the 100k-chunk benchmark the top 10 keeps 98.4% of the exact
ranking's scores, 183 of 186 queries identical (docs/BENCHMARKS.md). Below the budget, or
when the candidates do not fill the page, the full query runs as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# Rows bm25 is computed for, at most (beyond the rows of a single word, which are scored
# whole). At 100k chunks: 6,000 -> p95 18.8 ms, 98.4% of the exact top-10 scores kept;
# 8,000 -> 20.5 ms, 99.5% (bench.query_latency).
ROW_BUDGET = 6000


class LexicalStore(Protocol):
    def lexical(
        self,
        match: str,
        limit: int,
        *,
        path_glob: str | None = None,
        language: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
    ) -> list[tuple[int, float]]: ...


def rank_clauses(
    store: LexicalStore,
    clauses: list[str],
    limit: int,
    count: Callable[[str], int],
    **filters: str | None,
) -> list[tuple[int, float]]:
    """(chunk id, score) best first for the OR of ``clauses``; ``count(clause)`` = its rows."""
    if len(clauses) == 1:
        return store.lexical(clauses[0], limit, **filters)
    rows = [count(c) for c in clauses]
    if sum(rows) <= ROW_BUDGET:
        return store.lexical(" OR ".join(clauses), limit, **filters)
    order = sorted(range(len(clauses)), key=lambda i: rows[i])
    rare: list[int] = []
    spent = 0
    for i in order:
        if rare and spent + rows[i] > ROW_BUDGET:
            break
        rare.append(i)
        spent += rows[i]
    rare_expr = " OR ".join(clauses[i] for i in sorted(rare))
    common_expr = " OR ".join(clauses[i] for i in order if i not in rare)
    with_common = store.lexical(f"({rare_expr}) AND ({common_expr})", limit, **filters)
    without = store.lexical(f"({rare_expr}) NOT ({common_expr})", limit, **filters)
    hits = sorted(with_common + without, key=lambda hit: -hit[1])[:limit]
    if len(hits) < limit:
        # Too few candidates (a filter kept few of them): the page would be short, so rank
        # every match. With a filter, bm25 runs only for the rows the filter keeps.
        return store.lexical(" OR ".join(clauses), limit, **filters)
    return hits
