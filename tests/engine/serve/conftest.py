"""Fixtures for the serve tests: a tiny real Qwen3 model, an index built with it, a server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.local_embedder import LocalEmbedder
from engine.serve.http_api import KenningServer, ServeConfig, make_server
from tests.indexer.test_pipeline import UPLOADS  # the same small module, shared
from tests.model_fixtures import build_tiny_qwen3

TOKEN = "test-token-0123456789abcdef"

NOTES = """# Notes

## Deployment

Deploy with the blue green strategy and watch the dashboards.

## Configuration

The settings file is parsed at start; unknown keys are rejected.
"""


@pytest.fixture(scope="session")
def tiny_qwen3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The folder name makes it look like Qwen3-Embedding to clients that go by the name.
    return build_tiny_qwen3(tmp_path_factory.mktemp("models") / "Qwen3-Embedding-tiny")


@pytest.fixture(scope="session")
def tiny_embedder(tiny_qwen3_dir: Path) -> LocalEmbedder:
    # model_id as the embedder factory names a local folder: its absolute path.
    return LocalEmbedder(tiny_qwen3_dir, model_id=str(tiny_qwen3_dir), device="cpu")


@pytest.fixture(scope="session")
def project_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "src").mkdir()
    (root / "src" / "uploads.py").write_text(UPLOADS)
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").write_text(NOTES)
    return root


@pytest.fixture(scope="session")
def indexed_data_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_embedder: LocalEmbedder, project_tree: Path
) -> Path:
    from indexer.pipeline import Pipeline

    data_dir = tmp_path_factory.mktemp("data")
    pipeline = Pipeline(data_dir, tiny_embedder)
    try:
        pipeline.index([project_tree])
    finally:
        pipeline.close()
    return data_dir


@pytest.fixture
def server(tiny_embedder: LocalEmbedder, indexed_data_dir: Path) -> Iterator[KenningServer]:
    srv = make_server(
        ServeConfig(token=TOKEN, port=0, max_batch=8, max_body_bytes=64 * 1024),
        tiny_embedder,
        data_dir=indexed_data_dir,
    )
    srv.start()
    yield srv
    srv.stop()
