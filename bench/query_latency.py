"""Query latency at 10k and 100k chunks, beside raw FTS5 and exact numpy search.

    python -m bench.query_latency                  # 10k and 100k chunks
    python -m bench.query_latency --sizes 10000    # one size

Indexes come from ``bench.synthetic_index`` (real corpus texts, synthetic clustered vectors,
written with Kenning's Store/VectorIndex). Queries are the eval's query texts (English and
Chinese), embedded by the real bundled model. Every query runs once untimed (warm-up), then
once per system in a rotating order; limit 20 (the window's page).

Systems:
- ``kenning lexical``: ``Searcher.lexical`` (FTS5 + joins + rows + snippets)
- ``raw FTS5``: the full OR of the query's words straight on ``chunks_fts``, every match
  scored by bm25 with Kenning's column weights (exact ranking), ids and scores only
- ``kenning semantic``: ``Searcher.semantic`` on an already embedded query (hnsw + rows)
- ``exact numpy``: ``matrix @ q`` + argpartition over the same vectors, ids only
- ``kenning hybrid``: ``Searcher.search(mode="hybrid")`` end to end, query embedding included
- ``query embedding``: ``Searcher.embed_query`` alone

hnsw recall@10 is measured against the exact top 10 over the same (float16-rounded) vectors,
at the shipped ``ef`` and at larger ones (``engine.vector_index._EF_SEARCH`` patched), with
the semantic phase's p95 at each.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from bench.common import REPO, load_kenning_embedder, machine, out, percentile, rss_mib
from bench.synthetic_index import DIM, MODEL_ID, build

LIMIT = 20


def eval_queries(n: int) -> list[str]:
    texts = []
    for name in ("behaviour", "csn"):
        path = REPO / "eval" / "queries" / f"{name}.jsonl"
        texts.extend(json.loads(line)["query"] for line in path.read_text("utf-8").splitlines())
    return texts[:n]


def run_size(n_chunks: int, embedder: object, queries: list[str]) -> None:
    from engine.lexical_tokens import query_expression
    from engine.search import Searcher
    from engine.store import DB_NAME, FTS_WEIGHTS, Store

    data_dir = build(n_chunks)
    rss_before = rss_mib()
    searcher = Searcher(data_dir, embedder)  # type: ignore[arg-type]
    searcher.refresh()  # loads the vector index
    rss_loaded = rss_mib()

    raw = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True)
    store = Store.open(data_dir, readonly=True)
    ids, matrix = [], []
    for batch_ids, batch_vecs in store.iter_chunk_vectors(MODEL_ID, DIM):
        ids.append(batch_ids)
        matrix.append(batch_vecs)
    store.close()
    all_ids = np.concatenate(ids)
    matrix_np = np.ascontiguousarray(np.concatenate(matrix))

    qvs = {q: searcher.embed_query(q) for q in queries}

    weights = ", ".join(str(w) for w in FTS_WEIGHTS)

    def raw_fts(q: str) -> list[tuple[int, float]]:
        match = query_expression(q)
        if match is None:
            return []
        return raw.execute(
            f"SELECT rowid, bm25(chunks_fts, {weights}) AS r FROM chunks_fts "
            "WHERE chunks_fts MATCH ? ORDER BY r LIMIT ?",
            (match, LIMIT),
        ).fetchall()

    def exact(q: str) -> np.ndarray:
        scores = matrix_np @ qvs[q].code
        top = np.argpartition(-scores, LIMIT)[:LIMIT]
        return all_ids[top[np.argsort(-scores[top])]]

    systems: dict[str, Callable[[str], object]] = {
        "kenning lexical": lambda q: searcher.lexical(q, limit=LIMIT),
        "raw FTS5": raw_fts,
        "kenning semantic": lambda q: searcher.semantic(qvs[q], limit=LIMIT),
        "exact numpy": exact,
        "kenning hybrid": lambda q: searcher.search(q, mode="hybrid", limit=LIMIT),
        "query embedding": lambda q: searcher.embed_query(q),
    }
    for q in queries:  # warm-up: page cache, FTS structures, hnsw graph, model
        for fn in systems.values():
            fn(q)
    times: dict[str, list[float]] = {name: [] for name in systems}
    names = list(systems)
    for i, q in enumerate(queries):
        rotated = names[i % len(names) :] + names[: i % len(names)]
        for name in rotated:
            started = time.perf_counter()
            systems[name](q)
            times[name].append((time.perf_counter() - started) * 1000)

    # How much of the exact bm25 ranking (every matching chunk scored) Kenning's budgeted
    # lexical ranking keeps: shared top-10 scores (ties make ids an unfair comparison).
    kept = []
    for q in queries:
        exact_top = Counter(round(-score, 6) for _, score in raw_fts(q)[:10])
        got = Counter(round(r.score, 6) for r in searcher.lexical(q, limit=LIMIT)[:10])
        if exact_top:
            kept.append(sum((exact_top & got).values()) / sum(exact_top.values()))

    import engine.vector_index as vector_index_module

    shipped_ef = vector_index_module._EF_SEARCH
    recall_by_ef: dict[int, tuple[float, float, float]] = {}
    for ef in sorted({shipped_ef, 200, 400}):
        vector_index_module._EF_SEARCH = ef
        recalls, lat = [], []
        for q in queries:
            started = time.perf_counter()
            hits = searcher.semantic(qvs[q], limit=10)
            lat.append((time.perf_counter() - started) * 1000)
            truth = set(exact(q)[:10].tolist())
            recalls.append(len({h.chunk_id for h in hits} & truth) / 10)
        recall_by_ef[ef] = (float(np.mean(recalls)), min(recalls), percentile(lat, 95))
    vector_index_module._EF_SEARCH = shipped_ef

    out(f"\n{n_chunks} chunks ({len(queries)} queries, limit {LIMIT}, warm):")
    out("| system | p50 ms | p95 ms | mean ms |")
    out("|---|---:|---:|---:|")
    for name in names:
        t = times[name]
        out(f"| {name} | {percentile(t, 50):.2f} | {percentile(t, 95):.2f} | {np.mean(t):.2f} |")
    lex, fts = percentile(times["kenning lexical"], 95), percentile(times["raw FTS5"], 95)
    sem, ex = percentile(times["kenning semantic"], 95), percentile(times["exact numpy"], 95)
    out(f"p95 ratios: lexical/raw FTS5 {lex / fts:.2f}x, semantic/exact numpy {sem / ex:.2f}x")
    out(
        f"lexical top-10 vs exact bm25 (raw FTS5): {np.mean(kept):.4f} of the scores kept, "
        f"{sum(k == 1.0 for k in kept)}/{len(kept)} queries identical"
    )
    for ef, (mean_recall, min_recall, p95) in recall_by_ef.items():
        mark = " (shipped)" if ef == shipped_ef else ""
        out(
            f"hnsw recall@10 vs exact, ef {ef}{mark}: mean {mean_recall:.4f}, "
            f"min {min_recall:.2f}; semantic p95 {p95:.2f} ms"
        )
    out(
        f"RSS: +{rss_loaded - rss_before:.0f} MiB to open the index and load its vectors "
        f"(model already loaded); +{rss_mib() - rss_before:.0f} MiB after the queries"
    )
    searcher.close()
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    embedder = load_kenning_embedder()
    out(f"machine: {machine()}")
    queries = eval_queries(args.queries)
    for size in (int(s) for s in args.sizes.split(",")):
        run_size(size, embedder, queries)


if __name__ == "__main__":
    main()
