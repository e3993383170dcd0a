"""Chunks carry the token count the chunker measured, and the pipeline does not count again.

Counting is tokenizing: before chunks carried their count, every embedded text was tokenized
by the chunker (to fit the budget) and again by the pipeline (to plan the model's batches).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from indexer.chunk_types import approx_count_tokens
from indexer.chunking import ChunkingContext, chunk_file
from indexer.parse_worker import ParseWorker
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.indexer import docs_fixtures

BUDGET = 48  # small: many files are split, many windows are cut again


def _big_class(methods: int) -> str:
    body = "".join(
        f"    def handle_{i}(self, request, retries={i}):\n"
        f'        """Route request {i} to the ledger shard {i % 5} and retry {i} times."""\n'
        f"        shard = self.shards[{i % 5}]\n"
        f"        return shard.submit(request, attempts=retries + {i})\n\n"
        for i in range(methods)
    )
    return f"import os\n\n\nclass LedgerRouter:\n    shards = []\n\n{body}\n"


def write_mixed_tree(root: Path) -> list[Path]:
    """Files that take every chunker and splitting path: code by definitions (an oversized
    class opened into members), a minified line cut by characters, Markdown sections with
    long paragraphs, plain text, TOML, a PDF and a DOCX."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "router.py").write_text(_big_class(12))
    (root / "helpers.py").write_text(
        "".join(f"def helper_{i}(x):\n    return x * {i} + {i * 7}\n\n\n" for i in range(9))
    )
    words = " ".join(f"token{i} value{i * 3}" for i in range(400))
    (root / "bundle.js").write_text(f"var table = [{words}];\n")
    sentences = " ".join(
        f"The nightly merge keeps entry {i} of account {i * 11} and drops the rest."
        for i in range(60)
    )
    (root / "guide.md").write_text(
        f"# Guide\n\n{sentences}\n\n## Install\n\nRun the installer.\n\n"
        f"## Recovery\n\n{sentences}\n"
    )
    (root / "notes.txt").write_text(
        "\n\n".join(f"Note {i}: the backup of shard {i} runs at {i % 24}:00." for i in range(40))
    )
    (root / "settings.toml").write_text(
        "".join(f"[service_{i}]\nport = {8000 + i}\nhost = 'node{i}.local'\n\n" for i in range(30))
    )
    docs_fixtures.make_pdf(
        root / "manual.pdf",
        [
            [f"Page {p} paragraph {i}: {sentences[: 300 + 40 * i]}" for i in range(4)]
            for p in range(3)
        ],
    )
    docs_fixtures.make_docx(
        root / "report.docx",
        [("Heading 1", "Quarterly report")]
        + [("Normal", f"Paragraph {i}: {sentences[: 200 + 60 * i]}") for i in range(8)],
    )
    return sorted(p for p in root.iterdir() if p.is_file())


@pytest.mark.parametrize(
    "count_tokens",
    [HashingEmbedder().count_tokens, approx_count_tokens],
    ids=["hashing-embedder", "approximate"],
)
def test_every_chunk_records_the_count_of_its_embedded_text(tmp_path, count_tokens):
    chunked = 0
    for path in write_mixed_tree(tmp_path / "tree"):
        ctx = ChunkingContext(path.name, BUDGET, count_tokens)
        chunks = chunk_file(path, path.read_bytes(), ctx)
        assert chunks, path.name
        recorded = [chunk.tokens for chunk in chunks]
        assert recorded == count_tokens([chunk.embed_text for chunk in chunks]), path.name
        assert all(tokens <= BUDGET for tokens in recorded), path.name
        chunked += len(chunks)
    assert chunked > 60  # the budget really split files


def test_chunks_from_the_parse_worker_keep_their_counts(tmp_path):
    emb = HashingEmbedder()
    worker = ParseWorker()
    try:
        for path in write_mixed_tree(tmp_path / "tree"):
            ctx = ChunkingContext(path.name, BUDGET, emb.count_tokens)
            chunks = worker.chunk(path, path.read_bytes(), ctx)
            recorded = [chunk.tokens for chunk in chunks]
            assert recorded == emb.count_tokens([c.embed_text for c in chunks]), path.name
    finally:
        worker.close()


class CountingEmbedder(HashingEmbedder):
    """Tallies every text it is asked to count."""

    def __init__(self) -> None:
        super().__init__(max_tokens=BUDGET)
        self.counted: Counter[str] = Counter()

    def count_tokens(self, texts: list[str]) -> list[int]:
        self.counted.update(texts)
        return super().count_tokens(texts)


@pytest.mark.parametrize("isolate_parsers", [True, False], ids=["parse-worker", "in-process"])
def test_the_pipeline_counts_no_text_the_chunkers_did_not(tmp_path, isolate_parsers):
    root = tmp_path / "tree"
    files = write_mixed_tree(root)
    emb = CountingEmbedder()
    options = IndexOptions(isolate_parsers=isolate_parsers, group_chunks=40, embed_slice=8)
    pipeline = Pipeline(tmp_path / "data", emb, options=options)
    try:
        report = pipeline.index([root])
    finally:
        pipeline.close()
    assert report.files_indexed == len(files) and report.files_failed == 0
    assert len(emb.documents_embedded) > 60
    # The same files chunked alone: exactly the counting the chunkers do to fit the budget.
    chunkers = CountingEmbedder()
    for path in files:
        ctx = ChunkingContext(path.name, BUDGET, chunkers.count_tokens)
        chunk_file(path, path.read_bytes(), ctx)
    assert set(emb.documents_embedded) <= set(chunkers.counted)
    # Planning the model's batches reused the chunkers' counts: nothing counted on top.
    extra = emb.counted - chunkers.counted
    assert not extra, [text[:60] for text in extra]
