"""``eval.run_eval --rerank``: the reranked system's ranker and table row, and a clear failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.reranker import RerankPolicy
from eval.metrics import Span
from eval.run_eval import RERANKED, Query, kenning_ranker, table
from tests.engine.test_reranker import QUERY, index  # noqa: F401 - the index fixture
from tests.fake_embedder import HashingEmbedder
from tests.fake_reranker import WordOverlapReranker

REPO = Path(__file__).resolve().parents[1]


def test_reranked_ranker_and_its_table_row(index: Path):  # noqa: F811
    root = index.parent / "project"
    target = Span("docs/answer.md", 1, 3)
    plain = kenning_ranker(root, index, HashingEmbedder(), "hybrid")
    reranked = kenning_ranker(
        root,
        index,
        HashingEmbedder(),
        "hybrid",
        reranker=WordOverlapReranker(device="cuda"),
        rerank_policy=RerankPolicy(kinds=frozenset({"text"})),
    )
    try:
        plain_paths = [s.path for s in plain(QUERY)]
        reranked_paths = [s.path for s in reranked(QUERY)]
    finally:
        plain.close()
        reranked.close()
    assert reranked_paths.index(target.path) < plain_paths.index(target.path)
    query = Query("q1", "doc", "tune", "en", QUERY, (target,))
    ranks = {"hybrid": {"q1": 5}, RERANKED: {"q1": 1}}
    text, rows = table({"documents": [query]}, ranks)
    assert "| documents | 1 | hybrid+rerank | 1.000 |" in text
    assert [r["system"] for r in rows] == ["hybrid", RERANKED]


def test_a_reranker_that_cannot_be_had_fails_before_indexing(tmp_path: Path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "eval.run_eval",
            "--rerank",
            str(tmp_path / "missing"),
            "--work",
            str(tmp_path / "work"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert "error: Model not found" in done.stderr
    assert not (tmp_path / "work" / "data-plain").exists()
