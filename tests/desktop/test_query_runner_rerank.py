"""Search-as-you-type with a second stage: reranked results arrive last, stale ones never.

The searcher, store, FTS5, vectors and fusion are the real engine over a small index made
with the hashing embedder; the reranker is the word-overlap one, with a gate the test opens.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.query_runner import RERANK_NOTE, QueryOutcome, QueryRunner
from engine.errors import KenningError
from engine.reranker import RerankPolicy
from engine.search import Searcher
from engine.types import SearchFilters
from tests.engine.test_reranker import QUERY, index  # noqa: F401 - the index fixture
from tests.fake_embedder import HashingEmbedder
from tests.fake_reranker import WordOverlapReranker

pytestmark = pytest.mark.gui


@pytest.fixture
def setup(qtbot, index: Path):  # noqa: F811 - the imported fixture
    searcher = Searcher(index, HashingEmbedder())
    runner = QueryRunner(debounce_ms=10)
    runner.set_searcher(searcher, semantic=True)
    outcomes: list[QueryOutcome] = []
    runner.results_ready.connect(outcomes.append)
    reranker = WordOverlapReranker(device="cuda")
    yield runner, reranker, outcomes
    if reranker.gate is not None:
        reranker.gate.set()
    runner.shutdown()
    searcher.close()


def first_document(outcome: QueryOutcome) -> str:
    return next(Path(r.path).name for r in outcome.results if r.kind == "text")


def test_fused_results_first_then_the_reranked_ones(qtbot, setup):
    runner, reranker, outcomes = setup
    runner.set_reranker(reranker, RerankPolicy())
    runner.submit(QUERY, SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=30000)
    lexical, fused, final = outcomes
    assert not lexical.final and not fused.final and final.final
    assert fused.note == RERANK_NOTE and final.note == ""
    assert first_document(fused) != "answer.md"
    assert first_document(final) == "answer.md"
    assert any("rerank" in r.sources for r in final.results)


def test_a_newer_query_drops_the_older_reranking(qtbot, setup):
    runner, reranker, outcomes = setup
    reranker.gate = threading.Event()
    runner.set_reranker(reranker, RerankPolicy())
    runner.submit(QUERY, SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: len(reranker.calls) == 1, timeout=30000)  # first one is reranking
    old = runner.generation
    runner.submit("gzip old log files", SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: runner.generation > old, timeout=30000)
    reranker.gate.set()
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=30000)
    qtbot.waitUntil(lambda: len(reranker.calls) >= 2, timeout=30000)
    qtbot.waitUntil(lambda: outcomes[-1].request.text == "gzip old log files", timeout=30000)
    finals = [o for o in outcomes if o.final]
    assert all(o.generation > old for o in finals)
    assert all(o.request.text == "gzip old log files" for o in finals)


def test_a_failing_reranker_keeps_the_fused_list_and_says_why(qtbot, setup):
    runner, _, outcomes = setup

    class Broken(WordOverlapReranker):
        def rerank(self, query, documents, **kwargs):
            raise KenningError("the rerank server at http://x/rerank answered HTTP 500")

    runner.set_reranker(Broken(device="remote"), RerankPolicy())
    runner.submit(QUERY, SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=30000)
    fused, final = outcomes[-2], outcomes[-1]
    assert [r.chunk_id for r in final.results] == [r.chunk_id for r in fused.results]
    assert final.note.startswith("not reranked: the rerank server")


def test_no_second_stage_on_a_cpu_under_the_automatic_policy(qtbot, setup):
    runner, _, outcomes = setup
    cpu = WordOverlapReranker(device="cpu")
    runner.set_reranker(cpu, RerankPolicy())
    runner.submit(QUERY, SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=30000)
    assert [o.final for o in outcomes] == [False, True]
    assert cpu.calls == []
