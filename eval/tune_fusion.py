"""Sweep the hybrid fusion's settings (RRF k, lexical weight, depth) on the TUNE split only.

    python -m eval.tune_fusion                  # after eval.run_eval has built the indexes
    python -m eval.tune_fusion --report-heldout # also score the chosen setting on held-out

Each tune query's lexical and semantic rankings (top 50 each, as ``Searcher.search`` fetches
for hybrid) are computed once; ``Searcher.fuse`` is then re-run under each setting by
changing ``engine.search``'s module constants (and cutting both rankings to the depth), so
the sweep scores exactly the shipped fusion code. The held-out split is scored only for the
shipped setting and the one chosen on tune.
"""

from __future__ import annotations

import argparse
import itertools
import logging
from pathlib import Path

from eval.metrics import Span, first_hit_rank, score_ranks
from eval.run_eval import K, index_dir, load_queries, prepare_corpora

logger = logging.getLogger(__name__)

RRF_KS = (5, 10, 20, 30, 60, 100)
LEXICAL_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
DEPTHS = (10, 20, 50)  # how many results of each ranker are fused
FETCH = 50
SHOWN = 12


def _rankings(searcher: object, queries: list, base: Path) -> dict[str, tuple[list, list]]:
    out = {}
    for q in queries:
        lex = searcher.lexical(q.query, limit=FETCH)
        sem = searcher.semantic(searcher.embed_query(q.query), limit=FETCH)
        out[q.id] = (lex, sem)
    return out


def _score(searcher: object, queries: list, rankings: dict, base: Path, depth: int) -> float:
    ranks = []
    for q in queries:
        lex, sem = rankings[q.id]
        fused = searcher.fuse(lex[:depth], sem[:depth], limit=K)
        spans = [
            Span(Path(r.path).resolve().relative_to(base).as_posix(), r.start_line, r.end_line)
            for r in fused
        ]
        ranks.append(first_hit_rank(spans, q.targets, K))
    return score_ranks(ranks, K).mrr_at_10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline")
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--report-heldout", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")

    import engine.fusion as fusion_module
    from engine.embedders import load_embedder
    from engine.search import Searcher

    work = args.work.resolve()
    roots = prepare_corpora(work, fresh=False)
    embedder = load_embedder(args.model)
    sets = {"plain": load_queries("behaviour"), "nodoc": load_queries("csn")}
    searchers, tune, held, cache = {}, {}, {}, {}
    for name, queries in sets.items():
        searchers[name] = Searcher(index_dir(work, name, "", embedder.model_id), embedder)
        tune[name] = [q for q in queries if q.split == "tune"]
        held[name] = [q for q in queries if q.split == "heldout"]
        cache[(name, "tune")] = _rankings(searchers[name], tune[name], roots[name].resolve())

    default = (fusion_module.RRF_K, fusion_module.LEXICAL_WEIGHT, fusion_module.SEMANTIC_WEIGHT)
    results = []
    for rrf_k, lex_w, depth in itertools.product(RRF_KS, LEXICAL_WEIGHTS, DEPTHS):
        fusion_module.RRF_K, fusion_module.LEXICAL_WEIGHT = rrf_k, lex_w
        fusion_module.SEMANTIC_WEIGHT = 1.0
        per = {
            name: _score(
                searchers[name], tune[name], cache[(name, "tune")], roots[name].resolve(), depth
            )
            for name in sets
        }
        macro = sum(per.values()) / len(per)
        results.append((macro, rrf_k, lex_w, depth, per))
    fusion_module.RRF_K, fusion_module.LEXICAL_WEIGHT, fusion_module.SEMANTIC_WEIGHT = default

    shipped = next(r for r in results if (r[1], r[2], r[3]) == (*default[:2], FETCH))
    ranked = sorted(results, key=lambda r: -r[0])
    print(f"{len(results)} settings scored on the tune split; the best {SHOWN} and the shipped:")
    print("| RRF k | lexical weight | depth | behaviour MRR@10 | CSN MRR@10 | mean |")
    print("|---:|---:|---:|---:|---:|---:|")
    shown = ranked[:SHOWN] if shipped in ranked[:SHOWN] else [*ranked[:SHOWN], shipped]
    for macro, rrf_k, lex_w, depth, per in shown:
        mark = " (shipped)" if (macro, rrf_k, lex_w, depth) == shipped[:4] else ""
        print(
            f"| {rrf_k}{mark} | {lex_w} | {depth} | {per['plain']:.3f} | {per['nodoc']:.3f} "
            f"| {macro:.3f} |"
        )
    best = ranked[0]
    print(
        f"\nbest on tune: RRF k {best[1]}, lexical weight {best[2]}, depth {best[3]} "
        f"(mean MRR@10 {best[0]:.3f}); shipped: {shipped[0]:.3f}"
    )
    if args.report_heldout:
        for label, (rrf_k, lex_w, depth) in (
            ("shipped", (*default[:2], FETCH)),
            ("best-on-tune", best[1:4]),
        ):
            fusion_module.RRF_K, fusion_module.LEXICAL_WEIGHT = rrf_k, lex_w
            scores = {}
            for name in sets:
                key = (name, "heldout")
                if key not in cache:
                    cache[key] = _rankings(searchers[name], held[name], roots[name].resolve())
                base = roots[name].resolve()
                scores[name] = _score(searchers[name], held[name], cache[key], base, depth)
            print(
                f"held-out, {label} (k {rrf_k}, w {lex_w}, depth {depth}): "
                f"behaviour {scores['plain']:.3f}, CSN {scores['nodoc']:.3f}"
            )
        fusion_module.RRF_K, fusion_module.LEXICAL_WEIGHT, fusion_module.SEMANTIC_WEIGHT = default
    for searcher in searchers.values():
        searcher.close()


if __name__ == "__main__":
    main()
