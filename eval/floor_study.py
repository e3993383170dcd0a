"""Where to cut the junk tail: similarity of real hits relative to the best result.

    python -m eval.floor_study --model offline          # tune split only, writes a table

For every tune-split query (behaviour + CodeSearchNet-style) a hybrid search with
``limit=50`` runs over the eval indexes (built as ``eval.run_eval`` builds them). For each
relative floor ``f`` it reports how many first hits in the top 10 a floor of
``similarity >= f * best_similarity`` would drop, and how many results stay on average.
Off-topic queries (nothing in the corpus is about them) give the best similarity a search
reaches when there is no good match, beside the best similarity of real queries.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path

from engine.relevance import WORD_RANK_KEPT
from eval.metrics import Span
from eval.run_eval import build_index, load_queries, prepare_corpora

WEAK_THRESHOLDS = (0.2, 0.25, 0.3, 0.35)
FLOORS = (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
# Nothing in CPython's stdlib slice or npm's CLI is about these.
OFF_TOPIC = (
    "chocolate cake recipe with strawberries",
    "best hiking trails in patagonia",
    "how to train a puppy to sit",
    "symptoms of the common cold in children",
    "history of the roman empire",
    "football world cup final score",
    "knitting a wool scarf for beginners",
    "wedding dress shopping tips",
    "growing tomatoes on a balcony",
    "baroque painting techniques",
    "番茄炒蛋的做法",
    "如何学习弹钢琴",
)


def _hit(result_path: str, start: int, end: int, base: Path, targets: tuple[Span, ...]) -> bool:
    rel = Path(result_path).resolve().relative_to(base).as_posix()
    return any(t.path == rel and start <= t.end_line and t.start_line <= end for t in targets)


def _indexed_paths(data_dir: Path, base: Path) -> set[str]:
    from engine.store import Store

    store = Store.open(data_dir, readonly=True)
    try:
        rows = store.conn.execute("SELECT path FROM files").fetchall()
    finally:
        store.close()
    return {Path(r[0]).resolve().relative_to(base).as_posix() for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline")
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--out", type=Path, help="per-query rows as JSON lines")
    parser.add_argument(
        "--indexed-only",
        action="store_true",
        help="search the index as it is (no indexing); only queries whose targets it holds",
    )
    parser.add_argument(
        "--sets", default="plain,nodoc", help="plain (behaviour queries), nodoc (CSN-style)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    from engine.embedders import load_embedder
    from engine.search import Searcher

    work = args.work.resolve()
    roots = prepare_corpora(work, fresh=False)
    embedder = load_embedder(args.model)
    rows = []
    sets = [("plain", "behaviour"), ("nodoc", "csn")]
    for name, query_file in [(n, q) for n, q in sets if n in args.sets.split(",")]:
        queries = load_queries(query_file)
        data_dir = work / f"data-{name}"
        if not args.indexed_only:
            build_index(roots[name], data_dir, embedder)
        searcher = Searcher(data_dir, embedder)  # type: ignore[arg-type]
        base = roots[name].resolve()
        chosen = [q for q in queries if q.split == "tune"]
        if args.indexed_only:
            held = _indexed_paths(data_dir, base)
            chosen = [q for q in chosen if all(t.path in held for t in q.targets)]
            print(f"{name}: {len(held)} files indexed, {len(chosen)} tune queries on them")
        off = (
            [(f"off-{i}", text, ()) for i, text in enumerate(OFF_TOPIC)] if name == "plain" else []
        )
        for qid, text, targets in [(q.id, q.query, q.targets) for q in chosen] + off:
            results = searcher.search(text, mode="hybrid", limit=50)
            sims = [r.similarity for r in results if r.similarity is not None]
            best = max(sims) if sims else None
            first = None
            for rank, r in enumerate(results[:10], 1):
                if _hit(r.path, r.start_line, r.end_line, base, targets):
                    first = (rank, r.similarity, r.lexical_rank)
                    break
            rows.append(
                {
                    "id": qid,
                    "off_topic": not targets,
                    "best": best,
                    "first_hit": first,
                    "sims": sims,
                    "lexical_only": sum(r.similarity is None for r in results),
                    "lexical_hits": sum(r.lexical_rank is not None for r in results),
                    "parts": [(r.similarity, r.lexical_rank) for r in results],
                }
            )
        searcher.close()
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    real = [r for r in rows if not r["off_topic"]]
    hits = [r for r in real if r["first_hit"] is not None]
    print(f"model {embedder.model_id}: {len(real)} tune queries, {len(hits)} with a top-10 hit")
    print(
        f"floor  first hits dropped  mean results kept of 50 (word rank <= {WORD_RANK_KEPT} "
        "kept | similarity only)"
    )
    for floor in FLOORS:

        def keep(sim: float | None, lex: int | None, best: float, f: float = floor) -> bool:
            # engine.relevance.trim_tail's rule
            return (lex is not None and lex <= WORD_RANK_KEPT) or sim is None or sim >= f * best

        dropped = sum(1 for r in hits if not keep(r["first_hit"][1], r["first_hit"][2], r["best"]))
        kept = [sum(keep(sim, lex, r["best"]) for sim, lex in r["parts"]) for r in real]
        plain = [sum(s >= floor * r["best"] for s in r["sims"]) for r in real]
        mean_kept, mean_plain = statistics.mean(kept), statistics.mean(plain)
        print(f"{floor:5.2f}  {dropped:18d}  {mean_kept:8.1f} | {mean_plain:.1f}")
    ratios = sorted(r["first_hit"][1] / r["best"] for r in hits if r["first_hit"][1] is not None)
    print(
        f"first-hit similarity / best: min {ratios[0]:.3f}, 5th pct {ratios[len(ratios) // 20]:.3f}"
    )
    best_real = sorted(r["best"] for r in real if r["best"] is not None)
    best_off = sorted(r["best"] for r in rows if r["off_topic"] and r["best"] is not None)
    fifth, median = best_real[len(best_real) // 20], statistics.median(best_real)
    print(
        f"best similarity: real queries min {best_real[0]:.3f} / 5th pct {fifth:.3f} / "
        f"median {median:.3f}; off-topic max {best_off[-1]:.3f} / "
        f"median {statistics.median(best_off):.3f}"
    )
    print("weak threshold: real flagged / off-topic flagged (any | only without word matches)")
    off_rows = [r for r in rows if r["off_topic"]]
    for threshold in WEAK_THRESHOLDS:

        def flagged(group: list[dict], words: bool, t: float = threshold) -> int:
            return sum(
                1
                for r in group
                if r["best"] is not None and r["best"] < t and (words or not r["lexical_hits"])
            )

        print(
            f"{threshold:5.2f}  real {flagged(real, True)}/{len(real)} | "
            f"{flagged(real, False)}/{len(real)}  off-topic {flagged(off_rows, True)}/"
            f"{len(off_rows)} | {flagged(off_rows, False)}/{len(off_rows)}"
        )
    # Off-topic queries that still match some word of the corpus (lexical hits).
    worded = sum(1 for r in rows if r["off_topic"] and r["lexical_hits"])
    print(f"off-topic queries with a lexical hit: {worded} of {len(OFF_TOPIC)}")


if __name__ == "__main__":
    main()
