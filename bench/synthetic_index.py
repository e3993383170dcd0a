"""A Kenning data directory with N chunks: real texts, synthetic vectors.

Texts are the function-level units of the eval corpus (CPython stdlib + npm), cycled until
N chunks exist, so FTS5 sees real vocabulary and realistic posting-list lengths. Vectors are
synthetic around real ones: 1,000 real chunks of the corpus are embedded by the bundled
model once (cached), and each synthetic vector mixes two of them (0.75/0.25, random pair)
plus a little Gaussian noise. Real queries then have real, varied neighbourhoods. Uniform
noise, clusters unrelated to the queries, or many noisy copies of each real vector would
all turn every top 10 into a near-tie and understate ANN recall.
The store and the vector index are written with Kenning's own ``Store`` and ``VectorIndex``,
so ``Searcher`` opens the result like any index. Built once per N under ``.bench-data/``.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from bench.common import EVAL_CORPUS, SEED, WORK, out

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
CHUNKS_PER_FILE = 20
N_SOURCES = 1000
MIX = 0.75  # weight of the first source; the second gets 1 - MIX
NOISE_SIGMA = 0.01  # per dimension: |noise| ~ 0.2


def corpus_texts() -> list[tuple[str, str | None, int, int, str]]:
    """(rel_path, symbol, start, end, text) for every BM25-baseline unit of the corpus."""
    from bench.common import corpus_files
    from eval.bm25 import baseline_units

    texts = []
    for path in corpus_files(EVAL_CORPUS):
        rel = path.relative_to(EVAL_CORPUS).as_posix()
        lines = path.read_text("utf-8").splitlines()
        for unit in baseline_units(EVAL_CORPUS, rel):
            body = "\n".join(lines[unit.start_line - 1 : unit.end_line])
            if body.strip():
                symbol = None if unit.symbol.startswith("<") else unit.symbol
                texts.append((rel, symbol, unit.start_line, unit.end_line, body))
    return texts


def source_vectors() -> np.ndarray:
    """Real embeddings of a seeded sample of the corpus's chunks (computed once, cached)."""
    cache = WORK / f"source-vectors-{N_SOURCES}.npy"
    if cache.exists():
        return np.load(cache)
    from bench.common import load_kenning_embedder, real_chunks

    embedder = load_kenning_embedder()
    chunks = real_chunks(embedder, limit=N_SOURCES)
    vectors = embedder.embed_documents([c.embed_text for c in chunks])
    WORK.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def synthetic_vectors(n: int, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sources = source_vectors()
    first = rng.integers(0, len(sources), size=n)
    second = rng.integers(0, len(sources), size=n)
    noise = NOISE_SIGMA * rng.standard_normal((n, DIM)).astype(np.float32)
    vectors = MIX * sources[first] + (1 - MIX) * sources[second] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def build(n_chunks: int, *, fresh: bool = False) -> Path:
    """The data dir for ``n_chunks`` (built if missing); its stored vectors are float16."""
    from engine.store import NewChunk, Store
    from engine.types import Chunk
    from engine.vector_index import VectorIndex

    data_dir = WORK / f"synthetic-v4-{n_chunks}"
    done = data_dir / "built.ok"
    if done.exists() and not fresh:
        return data_dir
    if data_dir.exists():
        for child in data_dir.iterdir():
            child.unlink()
    started = time.perf_counter()
    texts = corpus_texts()
    vectors = synthetic_vectors(n_chunks)
    store = Store.open(data_dir)
    root = data_dir / "synthetic-root"
    folder_id = store.add_folder(root)
    point_ids: list[np.ndarray] = []
    point_vectors: list[np.ndarray] = []
    with store.transaction():
        store.set_meta("model", MODEL_ID)
        store.set_meta("dim", str(DIM))
        for file_no, first in enumerate(range(0, n_chunks, CHUNKS_PER_FILE)):
            count = min(CHUNKS_PER_FILE, n_chunks - first)
            rel_path = f"copy{file_no:05d}/{texts[first % len(texts)][0]}"
            file_id = store.record_file(
                folder_id=folder_id,
                path=str(root / rel_path),
                rel_path=rel_path,
                size=0,
                mtime_ns=0,
                hash=hashlib.sha256(rel_path.encode()).hexdigest(),
                status="indexed",
                language="python",
            )
            news = []
            hashes = {}
            for i in range(first, first + count):
                _, symbol, start, end, body = texts[i % len(texts)]
                kind = "text" if texts[i % len(texts)][0].endswith((".md", ".rst")) else "code"
                chunk = Chunk(start, end, kind, "python", symbol, body, body)
                text_hash = f"synthetic-{i}"
                news.append(NewChunk(chunk, text_hash))
                hashes[text_hash] = vectors[i]
            store.insert_chunks(file_id, rel_path, news)
            ids, stored = store.put_vectors(MODEL_ID, DIM, hashes)
            point_ids.append(ids)
            point_vectors.append(stored)
        store.bump_generation()
    generation = store.points_generation
    # The index holds what the store holds: its points, float16-rounded, as a rebuild does.
    index = VectorIndex(DIM, capacity=n_chunks)
    index.add(np.concatenate(point_ids), np.concatenate(point_vectors))
    index.save(data_dir, model=MODEL_ID, generation=generation)
    store.close()
    done.write_text("ok\n")
    out(f"built {data_dir.name}: {n_chunks} chunks in {time.perf_counter() - started:.0f} s")
    return data_dir
