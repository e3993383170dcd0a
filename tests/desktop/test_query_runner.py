"""Search-as-you-type on the real searcher and the bundled model.

The gate below wraps the real model so a test decides when a query's embedding may finish;
everything else (store, FTS5, hnsw, fusion) is the real engine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.query_runner import QueryOutcome, QueryRunner
from engine.search import Searcher
from engine.types import SearchFilters

pytestmark = [pytest.mark.gui, pytest.mark.model]


class GatedEmbedder:
    """The real model, but ``embed_queries`` for a held query waits until released."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.held: dict[str, threading.Event] = {}
        self.started: list[str] = []
        self.lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def hold(self, query: str) -> threading.Event:
        self.held[query] = threading.Event()
        return self.held[query]

    def embed_queries(self, texts, task="code"):
        with self.lock:
            self.started.extend(texts)
        for text in texts:
            gate = self.held.get(text)
            if gate is not None:
                assert gate.wait(60), f"test never released {text!r}"
        return self._inner.embed_queries(texts, task=task)


@pytest.fixture
def runner(qtbot, indexed_corpus, minilm):
    _, data_dir = indexed_corpus
    gated = GatedEmbedder(minilm)
    searcher = Searcher(data_dir, gated)
    runner = QueryRunner(debounce_ms=10)
    runner.set_searcher(searcher, semantic=True)
    outcomes: list[QueryOutcome] = []
    runner.results_ready.connect(outcomes.append)
    yield runner, gated, outcomes
    for gate in gated.held.values():
        gate.set()
    runner.shutdown()
    searcher.close()


def paths(outcome: QueryOutcome) -> list[str]:
    return [Path(r.path).name for r in outcome.results]


def test_lexical_first_then_semantic_merged(qtbot, runner):
    runner, _, outcomes = runner
    runner.submit("retry the network call with backoff", SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=60000)
    first, last = outcomes[0], outcomes[-1]
    assert not first.final and paths(first)[0] == "retry.py"  # words, before the model
    assert last.final and paths(last)[0] == "retry.py"
    assert any("semantic" in r.sources for r in last.results)


def test_semantic_mode_finds_by_meaning(qtbot, runner):
    runner, _, outcomes = runner
    runner.submit("load a spreadsheet file", SearchFilters(), "semantic")
    qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=60000)
    assert paths(outcomes[-1])[0] == "spreadsheet.py"
    assert all(o.final for o in outcomes)  # semantic mode shows nothing half-done


def test_a_stale_query_never_overwrites_a_newer_one(qtbot, runner):
    runner, gated, outcomes = runner
    old, new = "mountain hiking holiday", "comma separated values rows"
    release_old = gated.hold(old)
    runner.submit(old, SearchFilters(), "hybrid")
    runner.run_now()
    qtbot.waitUntil(lambda: old in gated.started, timeout=30000)  # the old one is running
    runner.submit(new, SearchFilters(), "hybrid")
    runner.run_now()
    new_generation = runner.generation
    qtbot.waitUntil(lambda: outcomes[-1].request.text == new)  # its lexical phase is shown
    release_old.set()  # the old embedding finishes *after* the new query started
    qtbot.waitUntil(lambda: outcomes[-1].final and outcomes[-1].request.text == new, timeout=60000)
    qtbot.waitUntil(lambda: runner._executor._work_queue.empty())
    after_new = [o for o in outcomes if o.generation >= new_generation]
    assert all(o.request.text == new for o in after_new)
    assert [o.generation for o in outcomes] == sorted(o.generation for o in outcomes)
    assert not any(o.request.text == old and o.final for o in outcomes)
    assert paths(outcomes[-1])[0] == "spreadsheet.py"


def test_pending_embeddings_of_superseded_queries_are_cancelled(qtbot, runner):
    runner, gated, outcomes = runner
    first = "first query that blocks"
    release = gated.hold(first)
    runner.submit(first, SearchFilters(), "semantic")
    runner.run_now()
    qtbot.waitUntil(lambda: first in gated.started, timeout=30000)
    runner.submit("second query never embedded", SearchFilters(), "semantic")
    runner.run_now()  # queued behind the first...
    runner.submit("hiking in the mountains", SearchFilters(), "semantic")
    runner.run_now()  # ...and cancelled by this one before it started
    release.set()
    qtbot.waitUntil(lambda: bool(outcomes) and outcomes[-1].final, timeout=60000)
    assert "second query never embedded" not in gated.started
    assert [o.request.text for o in outcomes] == ["hiking in the mountains"]
    assert paths(outcomes[-1])[0] == "notes.md"


def test_filters_and_words_mode(qtbot, runner):
    runner, _, outcomes = runner
    runner.submit("checksum", SearchFilters(kind="text"), "lexical")
    qtbot.waitUntil(lambda: bool(outcomes))
    assert outcomes[-1].final and outcomes[-1].results == []
    runner.submit("checksum", SearchFilters(language="python"), "lexical")
    qtbot.waitUntil(lambda: len(outcomes) == 2)
    assert paths(outcomes[-1]) == [Path(outcomes[-1].results[0].path).name]
    assert "checksum" in outcomes[-1].results[0].snippet


def test_empty_query_and_no_searcher(qtbot):
    runner = QueryRunner(debounce_ms=10)
    outcomes: list[QueryOutcome] = []
    runner.results_ready.connect(outcomes.append)
    runner.submit("   ", SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: bool(outcomes))
    assert outcomes[-1].results == [] and outcomes[-1].final
    runner.submit("anything", SearchFilters(), "hybrid")
    qtbot.waitUntil(lambda: len(outcomes) == 2)
    assert outcomes[-1].note == "no index yet"
    runner.shutdown()
