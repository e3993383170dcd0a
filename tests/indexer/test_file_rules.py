"""Skipped and failed files are decided again when Kenning's file rules change."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.types import Chunk
from indexer import file_rules, file_snapshot
from indexer import pipeline as pipeline_module
from indexer.pipeline import IndexOptions, Pipeline
from indexer.secret_files import PRIVATE_KEY_REASON, content_secret_reason
from tests.fake_embedder import HashingEmbedder
from tests.indexer.test_secret_content import NPM_CONFIG_DOC

NOTES = "# Deployment\n\nDeploy with the blue green strategy and watch the dashboards.\n"
HOUR_AGO_NS = 3600 * 10**9


def _old_secret_rule(data: bytes) -> str | None:
    """The detector before this week: any private key BEGIN line, placeholder or not."""
    return PRIVATE_KEY_REASON if b"BEGIN PRIVATE KEY" in data else content_secret_reason(data)


def _tree(tmp_path: Path, *, settled: bool) -> Path:
    """``settled``: mtimes well before the run (the size/mtime check keeps the record);
    otherwise just written (read again each run, the content hash keeps it)."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "config.md").write_text("# Registry client key\n\n" + NPM_CONFIG_DOC)
    (root / "notes.md").write_text(NOTES)
    if settled:
        for path in root.iterdir():
            mtime = path.stat().st_mtime_ns - HOUR_AGO_NS
            os.utime(path, ns=(mtime, mtime))
    return root


def _index(data: Path, embedder: HashingEmbedder, root: Path) -> dict[str, tuple[str, int]]:
    """Index ``root``; each file's status and mtime afterwards."""
    pipe = Pipeline(data, embedder, options=IndexOptions(isolate_parsers=False))
    try:
        report = pipe.index([root])
        assert not report.cancelled
        out = {}
        for name in ("config.md", "notes.md"):
            record = pipe.store.file_by_path(str(root / name))
            assert record is not None
            out[name] = (record.status, record.mtime_ns)
        return out
    finally:
        pipe.close()


@pytest.mark.parametrize("settled", [True, False], ids=["settled", "just-written"])
def test_a_skip_is_decided_again_when_the_rules_version_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: bool
) -> None:
    root = _tree(tmp_path, settled=settled)
    data = tmp_path / "data"
    embedder = HashingEmbedder(dim=64)
    with monkeypatch.context() as old:
        old.setattr(file_snapshot, "content_secret_reason", _old_secret_rule)
        first = _index(data, embedder, root)
    assert first["config.md"][0] == "skipped" and first["notes.md"][0] == "indexed"
    notes_embedded = len(embedder.documents_embedded)
    assert notes_embedded > 0

    # The detector is fixed, but the rules version was not bumped: the record stands.
    again = _index(data, embedder, root)
    assert again["config.md"][0] == "skipped"
    assert len(embedder.documents_embedded) == notes_embedded

    monkeypatch.setattr(file_rules, "FILE_RULES_VERSION", file_rules.FILE_RULES_VERSION + 1)
    after = _index(data, embedder, root)
    assert after["config.md"] == ("indexed", first["config.md"][1])  # mtime never touched
    new_texts = embedder.documents_embedded[notes_embedded:]
    assert new_texts and all("Deploy with the blue green" not in t for t in new_texts)
    assert any("registry-scoped" in t for t in new_texts)

    # Recorded at the end of that run: the next one reads nothing again.
    embedded = len(embedder.documents_embedded)
    _index(data, embedder, root)
    assert len(embedder.documents_embedded) == embedded


def test_a_parser_failure_is_retried_once_the_rules_version_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path, settled=True)
    data = tmp_path / "data"
    embedder = HashingEmbedder(dim=64)
    real_chunk_file: Callable[..., list[Chunk]] = pipeline_module.chunk_file

    def crashing(path: Path, *args: object, **kwargs: object) -> list[Chunk]:
        if path.name == "config.md":
            raise RuntimeError("chunker bug")
        return real_chunk_file(path, *args, **kwargs)

    with monkeypatch.context() as old:
        old.setattr(pipeline_module, "chunk_file", crashing)
        assert _index(data, embedder, root)["config.md"][0] == "failed"
    assert _index(data, embedder, root)["config.md"][0] == "failed"
    monkeypatch.setattr(file_rules, "FILE_RULES_VERSION", file_rules.FILE_RULES_VERSION + 1)
    assert _index(data, embedder, root)["config.md"][0] == "indexed"


def test_a_cancelled_run_leaves_the_rules_version_unrecorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path, settled=True)
    data = tmp_path / "data"
    cancel = threading.Event()
    cancel.set()
    pipe = Pipeline(data, HashingEmbedder(dim=64), options=IndexOptions(isolate_parsers=False))
    try:
        assert pipe.index([root], cancel=cancel).cancelled
        assert pipe.store.get_meta(file_rules.META_KEY) is None
        assert not pipe.index([root]).cancelled
        assert pipe.store.get_meta(file_rules.META_KEY) == str(file_rules.FILE_RULES_VERSION)
    finally:
        pipe.close()
