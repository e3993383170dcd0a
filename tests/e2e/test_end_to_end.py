"""Index a generated multi-language tree with the bundled model, then ask in plain words."""

from pathlib import Path

import pytest

from engine.embedders import load_embedder
from engine.search import Searcher
from indexer.pipeline import Pipeline
from tests.e2e.corpus import QUERIES, build_corpus

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = build_corpus(tmp_path_factory.mktemp("corpus"))
    data_dir = tmp_path_factory.mktemp("data")
    embedder = load_embedder("offline")
    pipeline = Pipeline(data_dir, embedder)
    report = pipeline.index([root])
    pipeline.close()
    assert report.files_failed == 0 and report.files_skipped == 0
    searcher = Searcher(data_dir, embedder)
    yield root, searcher
    searcher.close()


def _rank(results, root: Path, rel: str, symbol: str | None) -> int | None:
    for rank, r in enumerate(results, 1):
        if r.path == str(root / rel) and (symbol is None or r.symbol == symbol):
            return rank
    return None


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_plain_language_queries_rank_the_intended_chunk_first(indexed, mode):
    root, searcher = indexed
    ranks = {}
    for query, rel, symbol in QUERIES:
        results = searcher.search(query, mode=mode, limit=10)
        ranks[query] = _rank(results, root, rel, symbol)
    missing = [q for q, r in ranks.items() if r is None]
    assert not missing, f"not in the top 10: {missing}"
    first = sum(1 for r in ranks.values() if r == 1)
    # MiniLM is small and English-only; most, not all, must be first, and all in the top 3.
    assert first >= len(QUERIES) - 3, ranks
    assert all(r <= 3 for r in ranks.values()), ranks


def test_pdf_and_docx_results_point_at_page_and_paragraph(indexed):
    root, searcher = indexed
    pdf = searcher.search("revenue in Europe", mode="lexical", limit=1)[0]
    assert pdf.path == str(root / "reports/q3.pdf") and pdf.start_line == 2
    docx = searcher.search("paid leave per year", mode="lexical", limit=1)[0]
    assert docx.path == str(root / "handbook/policies.docx") and "Vacation" in (docx.symbol or "")


def test_lexical_finds_identifiers_by_their_parts(indexed):
    _, searcher = indexed
    for query in [
        "send_with_retries",
        "sendWithRetries",
        "send retries",
        "formatBytes",
        "format_bytes",
    ]:
        top = searcher.search(query, mode="lexical", limit=1)
        assert top, query
        assert top[0].symbol in ("UploadClient", "formatBytes"), query
