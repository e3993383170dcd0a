from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engine.embedders import DEFAULT_MODEL, OFFLINE_MODEL_ID, load_embedder
from engine.errors import KenningError
from engine.local_embedder import LocalEmbedder


@pytest.fixture(autouse=True)
def _empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default model must not be found in a real cache on the developer's machine.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)


def test_local_folder(tiny_qwen3_dir: Path):
    emb = load_embedder(str(tiny_qwen3_dir), device="cpu", dimensions=32)
    assert isinstance(emb, LocalEmbedder)
    assert emb.model_id == str(tiny_qwen3_dir.resolve())
    assert emb.dim == 32 and emb.instruction_aware
    vectors = emb.embed_documents(["def f(): pass"])
    assert vectors.shape == (1, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_default_offline_falls_back_and_tells_once():
    notices: list[str] = []
    emb = load_embedder(on_notice=notices.append)
    assert emb.model_id == OFFLINE_MODEL_ID and emb.dim == 384
    assert len(notices) == 1
    assert OFFLINE_MODEL_ID in notices[0] and DEFAULT_MODEL in notices[0]


@pytest.mark.model
def test_fallback_notice_is_logged_without_a_callback(caplog):
    with caplog.at_level(logging.WARNING, logger="engine.embedders"):
        load_embedder(None)
    assert [r.getMessage() for r in caplog.records if OFFLINE_MODEL_ID in r.getMessage()]


@pytest.mark.model
def test_a_dimension_chosen_for_qwen3_is_dropped_for_the_fallback():
    # 512 suits Qwen3 (1024) but not the 384-wide MiniLM, which is not trained for truncation.
    assert load_embedder(dimensions=512, on_notice=lambda _: None).dim == 384
    assert load_embedder(dimensions=128, on_notice=lambda _: None).dim == 384
    # Asked for by name, the same model does honour it.
    assert load_embedder("offline", dimensions=128).dim == 128


def test_explicit_model_that_cannot_be_had_is_an_error():
    with pytest.raises(KenningError, match="someone/missing"):
        load_embedder("someone/missing")


def test_server_url_builds_a_checked_remote_embedder(monkeypatch: pytest.MonkeyPatch):
    from engine.remote_embedder import RemoteEmbedder
    from tests.engine.test_remote_embedder import FakeServer

    monkeypatch.setenv("KENNING_API_KEY", "from-env")
    server = FakeServer()
    server.thread.start()
    try:
        emb = load_embedder(server_url=server.url, server_model="served-model")
        assert isinstance(emb, RemoteEmbedder)
        assert emb.model_id == "served-model" and emb.device == "remote"
        assert emb._client.headers["Authorization"] == "Bearer from-env"
        # The connect-time check already talked to the server, with the key.
        assert server.headers and server.headers[0]["Authorization"] == "Bearer from-env"
        explicit = load_embedder(server_url=server.url, api_key="given")
        assert explicit.model_id == DEFAULT_MODEL
        assert explicit._client.headers["Authorization"] == "Bearer given"
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_a_dead_server_fails_at_load_time_naming_it():
    from engine.errors import EmbeddingServerError

    with pytest.raises(EmbeddingServerError, match=r"127\.0\.0\.1:9"):
        load_embedder(server_url="http://127.0.0.1:9/v1", server_model="served-model")
