"""eval/floor_study.py counts what engine.relevance would drop, per split and per model."""

from __future__ import annotations

from engine.relevance import E5, MINILM, trim_tail
from engine.types import SearchResult
from eval.floor_study import GRIDS, Grid, _queries, report


def _row(best: float, first: tuple | None, parts: list[tuple], off_topic: bool = False) -> dict:
    sims = [s for s, _ in parts if s is not None]
    return {
        "id": "q",
        "off_topic": off_topic,
        "best": best,
        "first_hit": first,
        "sims": sims,
        "lexical_only": 0,
        "lexical_hits": sum(lex is not None for _, lex in parts),
        "parts": parts,
    }


def test_the_report_counts_with_trim_tails_rule():
    # The first hit is third, at 0.84 of the best; a word match far below stays (rank 2).
    parts = [(1.0, None), (0.5, 2), (0.84, None), (0.3, 40)]
    rows = [_row(1.0, (3, 0.84, None), parts), _row(0.2, None, [(0.2, None)], off_topic=True)]
    text = report(rows, "m", "tune", Grid((0.25,), (0.8, 0.9)))
    lines = text.splitlines()
    at_80 = next(line for line in lines if line.startswith("0.800"))
    at_90 = next(line for line in lines if line.startswith("0.900"))
    assert at_80.split()[1] == "0" and at_90.split()[1] == "1"  # first hits dropped
    # Mean kept of the real query's 4 results agrees with engine.relevance.trim_tail.
    results = [
        SearchResult(i, "/p", 1, 1, 0.0, "code", "python", None, "", similarity=s, lexical_rank=lex)
        for i, (s, lex) in enumerate(parts)
    ]
    assert at_80.split()[2] == f"{len(trim_tail(results, 0.8)):.1f}" == "3.0"
    assert at_90.split()[2] == f"{len(trim_tail(results, 0.9)):.1f}" == "2.0"
    assert " 0.25  real 0/1 (0) | 0/1  off-topic 1/1 | 1/1" in lines


def test_splits_and_models():
    tune, held = _queries("plain", "tune"), _queries("plain", "heldout")
    assert tune and held and {q.split for q in tune} == {"tune"}
    assert {q.id for q in tune}.isdisjoint(q.id for q in held)
    assert len(_queries("plain", "all")) == len(tune) + len(held)
    assert {q.split for q in _queries("xheld", "all")} <= {"tune", "heldout"}
    assert max(GRIDS[E5].thresholds) > 0.8 > max(GRIDS[MINILM].thresholds)
