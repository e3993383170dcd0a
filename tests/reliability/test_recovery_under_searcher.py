"""A searcher made once (as the window makes it) and kept across a recovery from a damaged
store answers from the new index at once: new files are found and no result comes from an
old label (the damaged store's point ids, which the new store hands out again)."""

from __future__ import annotations

from engine.search import Searcher
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import hashing_pipeline
from tests.reliability.corpus import corpus_files
from tests.reliability.test_damaged_store import _damage_fts_under, _edit_some, indexed  # noqa: F401

QUERIES = ["retry failed uploads", "parse the configuration file", "merge ledger records"]


def _answers(searcher: Searcher) -> list[list[tuple[str, int, int, str]]]:
    return [
        [(r.path, r.start_line, r.end_line, r.snippet) for r in searcher.search(q, mode="semantic")]
        for q in QUERIES
    ]


def test_a_window_style_searcher_follows_a_recovery(indexed):  # noqa: F811
    tree, data = indexed
    notices: list[str] = []
    pipeline = hashing_pipeline(data, on_notice=notices.append)
    embedder = pipeline.embedder
    window = Searcher(data, embedder, vectors=pipeline.files)
    try:
        assert any(_answers(window)), "the window answers before the damage"
        # The new index differs from the old: files gone (ids shift) and one new file.
        for path in corpus_files(tree)[:10]:
            path.unlink()
        (tree / "ledger.py").write_text(
            "def merge_ledger_records(ledger, records):\n    return ledger + records\n"
        )
        _damage_fts_under(pipeline, data)
        _edit_some(tree)

        pipeline.index([tree])

        assert len(notices) == 1 and "damaged" in notices[0]
        found = window.search("merge ledger records", mode="semantic", limit=3)
        assert found and found[0].path == str(tree / "ledger.py")
        fresh = Searcher(data, HashingEmbedder(dim=embedder.dim))
        try:
            assert _answers(window) == _answers(fresh)
        finally:
            fresh.close()
    finally:
        window.close()
        pipeline.close()
