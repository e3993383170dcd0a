"""The window's search-as-you-type fuses like the CLI: weak lexical matches do not win."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.query_runner import QueryOutcome, QueryRunner
from engine import cjk_glossary
from engine.search import Searcher
from engine.types import SearchFilters
from indexer.pipeline import Pipeline
from tests.engine.test_fusion import BilingualEmbedder, write_zip_corpus

pytestmark = [pytest.mark.gui]


def test_a_chinese_query_shows_the_english_function_first(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    # Chinese words the glossary does not know: only "zip" matches lexically (noise).
    monkeypatch.setattr(cjk_glossary, "glossary", dict)
    root, data_dir = tmp_path / "code", tmp_path / "data"
    write_zip_corpus(root)
    embedder = BilingualEmbedder()
    pipeline = Pipeline(data_dir, embedder)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    searcher = Searcher(data_dir, embedder)
    runner = QueryRunner(debounce_ms=10)
    runner.set_searcher(searcher, semantic=True)
    outcomes: list[QueryOutcome] = []
    runner.results_ready.connect(outcomes.append)
    try:
        runner.submit("判断文件是不是 zip 压缩包", SearchFilters(), "hybrid")
        qtbot.waitUntil(lambda: any(o.final for o in outcomes), timeout=30000)
        first, last = outcomes[0], outcomes[-1]
        assert Path(first.results[0].path).name.startswith("packer")  # words only, at once
        assert last.final
        assert Path(last.results[0].path).name == "zipcheck.py"
    finally:
        runner.shutdown()
        searcher.close()
