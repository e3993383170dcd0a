"""The rerank stage over a real index: which results move, which kinds, and the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.reranker import (
    ALL_KINDS,
    RerankPolicy,
    automatic_kinds,
    document_text,
    parameters_in_name,
    parse_kinds,
    rerank_results,
)
from engine.search import Searcher
from tests.fake_embedder import HashingEmbedder
from tests.fake_reranker import WordOverlapReranker

QUERY = "rotate the log files nightly"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from indexer.pipeline import Pipeline

    base = tmp_path_factory.mktemp("rerank-index")
    root = base / "project"
    notes = root / "docs" / "nightly-files"
    notes.mkdir(parents=True)
    (root / "src").mkdir()
    # Many documents that repeat the query's first words (they win the first stage) and one
    # that answers it with fewer shared words near the top (the reranker lifts it). The notes
    # sit under "nightly-files/" so their paths hold the rest of the query: the fusion weighs
    # lexical hits by query coverage (engine/fusion.py), and notes covering only 3 of the 5
    # words would lose the first stage to the answer. The reranker reads bodies only, where
    # the notes still say just "rotate the log". Six notes, not more: the answer must stay in
    # the top WORD_RANK_KEPT word matches or the desktop's relevance floor
    # (engine.relevance.trim_tail) drops it (the hashing embedder rates it below the floor)
    # before the reranker can see it.
    for i in range(6):
        (notes / f"note{i:02}.md").write_text(
            f"# Note {i}\n\nrotate rotate rotate the the the log log log entry {i}.\n"
        )
    (root / "docs" / "answer.md").write_text(
        "# Operations\n\nA cron job will rotate the log files nightly and gzip old ones.\n"
    )
    (root / "src" / "logs.py").write_text(
        "def rotate(path):\n    '''rotate the log log log'''\n    return path\n"
    )
    (root / "src" / "nightly.py").write_text(
        "def rotate_log_files_nightly():\n    '''rotate the log files nightly'''\n"
    )
    pipeline = Pipeline(base / "data", HashingEmbedder())
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    return base / "data"


@pytest.fixture
def searcher(index: Path):
    s = Searcher(index, HashingEmbedder())
    yield s
    s.close()


def names(results) -> list[str]:
    return [Path(r.path).name for r in results]


def test_the_reranker_lifts_the_answering_document(searcher: Searcher):
    plain = [r for r in searcher.search(QUERY, limit=5) if r.kind == "text"]
    assert names(plain)[0] != "answer.md"  # the first stage alone misses it at the top
    reranker = WordOverlapReranker(device="cuda")
    reranked = searcher.search(QUERY, limit=5, reranker=reranker)
    documents = [r for r in reranked if r.kind == "text"]
    assert names(documents)[0] == "answer.md"
    assert "rerank" in documents[0].sources
    scores = [r.score for r in reranked]
    assert scores == sorted(scores, reverse=True)  # slots keep their fused scores
    # Only documents were judged (a 0.6B-class reranker is not trusted with code).
    assert {task for _, task, _ in reranker.calls} == {"text"}
    assert reranker.calls[0][2] > 5  # the top 30 were reranked, not just the 5 shown


def test_code_keeps_its_slots_unless_the_reranker_is_strong(searcher: Searcher):
    first = searcher.search(QUERY, limit=30)
    code_slots = [i for i, r in enumerate(first) if r.kind == "code"]
    assert code_slots
    weak = searcher.rerank(QUERY, first, WordOverlapReranker(device="cuda"))
    assert [weak[i].chunk_id for i in code_slots] == [first[i].chunk_id for i in code_slots]
    strong = WordOverlapReranker(device="cuda", strong_on_code=True)
    both = searcher.rerank(QUERY, first, strong)
    assert {task for _, task, _ in strong.calls} == {"code", "text"}
    assert [i for i, r in enumerate(both) if r.kind == "code"] == code_slots
    assert names([both[i] for i in code_slots])[0] == "nightly.py"


def test_off_on_cpu_unless_asked(searcher: Searcher):
    first = searcher.search(QUERY, limit=30)
    cpu = WordOverlapReranker(device="cpu")
    assert searcher.rerank(QUERY, first, cpu) == first
    assert cpu.calls == []
    forced = searcher.rerank(QUERY, first, cpu, policy=RerankPolicy(kinds=frozenset({"text"})))
    assert names(r for r in forced if r.kind == "text")[0] == "answer.md"


def test_only_the_top_n_are_reranked(searcher: Searcher):
    first = searcher.search(QUERY, limit=30)
    answer_rank = names(first).index("answer.md")
    assert answer_rank >= 3
    policy = RerankPolicy(top_n=answer_rank)  # the answer is just outside the window
    out = searcher.rerank(QUERY, first, WordOverlapReranker(), policy=policy)
    assert names(out).index("answer.md") == answer_rank
    assert out[answer_rank:] == first[answer_rank:]


def test_stage_without_texts_leaves_results_alone(searcher: Searcher):
    first = searcher.search(QUERY, limit=10)
    assert rerank_results(WordOverlapReranker(), QUERY, first, {}, policy=RerankPolicy()) == first


def test_policy_helpers():
    assert automatic_kinds(WordOverlapReranker(device="cpu")) == frozenset()
    assert automatic_kinds(WordOverlapReranker(device="remote")) == frozenset({"text"})
    assert automatic_kinds(WordOverlapReranker(strong_on_code=True)) == ALL_KINDS
    assert parse_kinds("auto") is None and parse_kinds("ALL") == ALL_KINDS
    assert parse_kinds("none") == frozenset()
    with pytest.raises(ValueError, match="rerank kinds"):
        parse_kinds("docs")
    assert parameters_in_name("Qwen/Qwen3-Reranker-4B") == 4e9
    assert parameters_in_name("Qwen/Qwen3-Reranker-0.6B") == pytest.approx(0.6e9)
    assert parameters_in_name("BAAI/bge-reranker-v2-m3") is None
    assert document_text("/p/src/a.py", "/p", "f", "body") == "File: src/a.py\nSymbol: f\n\nbody"


def test_tiny_qwen3_reranker_orders_the_documents_by_its_scores(
    searcher: Searcher, tiny_reranker_dir: Path
):
    from engine.local_reranker import LocalReranker

    tiny = LocalReranker(tiny_reranker_dir, model_id="tiny", device="cpu")
    first = searcher.search(QUERY, limit=8, filters=None)
    policy = RerankPolicy(top_n=8, kinds=frozenset({"text"}))
    out = searcher.rerank(QUERY, first, tiny, policy=policy)
    slots = [i for i, r in enumerate(first) if r.kind == "text"]
    rows = searcher._store().chunk_rows([first[i].chunk_id for i in slots])
    docs = [
        document_text(
            rows[first[i].chunk_id].path,
            rows[first[i].chunk_id].folder,
            rows[first[i].chunk_id].symbol,
            rows[first[i].chunk_id].text,
        )
        for i in slots
    ]
    scores = tiny.rerank(QUERY, docs, task="text")
    expected = [
        first[slots[j]].chunk_id for j in sorted(range(len(slots)), key=lambda j: -scores[j])
    ]
    assert [out[i].chunk_id for i in slots] == expected
