"""Pipeline efficiency: indexing end to end against the embedder alone on the same chunks.

    python -m bench.pipeline_overhead
    python -m bench.pipeline_overhead --subset all     # the whole eval corpus (slower)

One process, one loaded model, alternating rounds:
- ``pipeline``: ``Pipeline(fresh data dir, embedder).index([root])``: discovery, reading,
  chunking, token counting, embedding, SQLite + FTS5 writes, hnsw inserts, saving.
- ``embedder alone``: ``embed_documents`` on the very chunk texts the pipeline embeds
  (cut beforehand by the same chunkers, outside the timing), in one call;
- ``embedder in groups``: the same texts in the pipeline's groups (whole files, flushed at
  ``IndexOptions.group_chunks`` chunks), one call per group: the model-side cost of
  committing in groups, separated from everything else.

The pipeline's embedder is wrapped to clock the time spent inside ``embed_documents``, so
each pipeline round also splits itself into "model" and "everything else" without relying
on two separate timings. Target: everything else <= 10% of the end-to-end time.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

from bench.common import (
    EVAL_CORPUS,
    WORK,
    corpus_files,
    load_kenning_embedder,
    machine,
    median,
    out,
    real_chunks,
)

# A bounded slice of the eval corpus (~1/3 of it): code in two languages and Markdown docs.
SUBSET = ("cpython/json", "cpython/email", "cpython/logging", "cpython/csv.py", "npm")


class ClockedEmbedder:
    """Forwards to an embedder and adds up the seconds spent in ``embed_documents``."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self.inner.instruction_aware

    @property
    def device(self) -> str:
        return self.inner.device

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def embed_queries(self, texts: list[str], task: str = "code") -> np.ndarray:
        return self.inner.embed_queries(texts, task)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


def make_root(subset: str) -> Path:
    root = WORK / f"pipeline-corpus-{subset}"
    if root.exists():
        return root
    parts = [EVAL_CORPUS] if subset == "all" else [EVAL_CORPUS / p for p in SUBSET]
    for part in parts:
        target = root / part.relative_to(EVAL_CORPUS)
        if part.is_dir():
            shutil.copytree(part, target, ignore=shutil.ignore_patterns("ruff.toml", ".ruff_cache"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(part, target)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", choices=("small", "all"), default="small")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from indexer.pipeline import IndexOptions, Pipeline

    embedder = load_kenning_embedder()
    root = make_root(args.subset)
    groups: list[list[str]] = [[]]
    for path in corpus_files(root):
        file_chunks = real_chunks(embedder, root=root, only=path)
        if len(groups[-1]) >= IndexOptions().group_chunks:
            groups.append([])
        groups[-1].extend(c.embed_text for c in file_chunks)
    texts = [t for group in groups for t in group]
    tokens = sum(min(n, embedder.max_tokens) for n in embedder.count_tokens(texts))
    out(f"machine: {machine()}")
    out(
        f"corpus: {root.name}: {sum(1 for p in root.rglob('*') if p.is_file())} files, "
        f"{len(texts)} chunks, {tokens} tokens"
    )
    embedder.embed_documents(texts[:16])  # warm-up

    totals, inside, alone, grouped = [], [], [], []
    for r in range(args.rounds):
        steps = ["pipeline", "alone", "grouped"]
        steps = steps[r % 3 :] + steps[: r % 3]
        for step in steps:
            if step == "alone":
                started = time.perf_counter()
                embedder.embed_documents(texts)
                alone.append(time.perf_counter() - started)
                continue
            if step == "grouped":
                started = time.perf_counter()
                for group in groups:
                    embedder.embed_documents(group)
                grouped.append(time.perf_counter() - started)
                continue
            data_dir = WORK / "pipeline-data"
            shutil.rmtree(data_dir, ignore_errors=True)
            clocked = ClockedEmbedder(embedder)
            started = time.perf_counter()
            pipeline = Pipeline(data_dir, clocked)  # type: ignore[arg-type]
            report = pipeline.index([root])
            pipeline.close()
            totals.append(time.perf_counter() - started)
            inside.append(clocked.seconds)
            if clocked.texts != len(texts):
                out(
                    f"  note: the pipeline embedded {clocked.texts} texts, the bench {len(texts)}"
                    f" (report: {report.chunks_added} chunks, {report.chunks_embedded} embedded)"
                )
        out(
            f"  round {r + 1}: pipeline {totals[-1]:.1f} s (model {inside[-1]:.1f} s, "
            f"rest {totals[-1] - inside[-1]:.1f} s = {(totals[-1] - inside[-1]) / totals[-1]:.1%})"
            f" | embedder alone {alone[-1]:.1f} s, in {len(groups)} groups {grouped[-1]:.1f} s"
            f" | pipeline/alone {totals[-1] / alone[-1]:.2f}x"
        )
    rest = [(t - i) / t for t, i in zip(totals, inside, strict=True)]
    ratio = median([t / a for t, a in zip(totals, alone, strict=True)])
    group_cost = median([g / a for g, a in zip(grouped, alone, strict=True)])
    out(f"median: embedder in the pipeline's groups / in one call: {group_cost:.2f}x")
    out(
        f"median: pipeline/embedder-alone {ratio:.2f}x; "
        f"non-model share of the pipeline {median(rest):.1%} (target <= 10%)"
    )


if __name__ == "__main__":
    main()
