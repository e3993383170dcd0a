"""The ``kenning search`` options for the second stage, and the reranker they ask for."""

from __future__ import annotations

import argparse
import os
import sys

from engine.errors import KenningError
from engine.reranker import DEFAULT_TOP_N, Reranker, RerankPolicy, automatic_kinds, parse_kinds

DEFAULT_RERANKER = "Qwen/Qwen3-Reranker-0.6B"  # engine.rerankers.DEFAULT_RERANKER (a test checks)


def add_rerank_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reranking (a second stage over the top results)")
    group.add_argument(
        "--rerank",
        nargs="?",
        const=DEFAULT_RERANKER,
        metavar="MODEL",
        help=f"rerank with this Qwen3-Reranker folder or id (default {DEFAULT_RERANKER}); "
        "with --rerank-url, the name the server knows it by",
    )
    group.add_argument(
        "--rerank-url",
        metavar="URL",
        help="a /rerank server (vLLM, SGLang, TEI, infinity), e.g. http://127.0.0.1:7997",
    )
    group.add_argument(
        "--rerank-top-n",
        type=int,
        default=DEFAULT_TOP_N,
        metavar="N",
        help=f"how many fused results are reranked (default {DEFAULT_TOP_N})",
    )
    group.add_argument(
        "--rerank-kinds",
        default="auto",
        choices=["auto", "text", "code", "all"],
        help="which results are reranked: auto = documents on a GPU or server, code too with "
        "a 4B+ reranker, nothing on a CPU (default auto)",
    )


def reranker_from(args: argparse.Namespace) -> tuple[Reranker | None, RerankPolicy | None]:
    """The reranker and policy the options ask for, or ``(None, None)`` for none."""
    if not (args.rerank or args.rerank_url):
        return None, None
    if args.rerank_top_n < 1:
        raise KenningError("--rerank-top-n must be at least 1")
    from engine.rerankers import cpu_notice, load_reranker, local_device

    kinds = parse_kinds(args.rerank_kinds)
    if not args.rerank_url and kinds is None and local_device(args.device) == "cpu":
        # Loading a 1.2 GB model only to leave it unused would cost seconds for nothing.
        print(f"kenning: {cpu_notice()}", file=sys.stderr)
        return None, None
    api_key = getattr(args, "api_key", None) or os.environ.get("KENNING_API_KEY")
    reranker = load_reranker(args.rerank, url=args.rerank_url, device=args.device, api_key=api_key)
    if kinds is None and not automatic_kinds(reranker):
        print(f"kenning: {cpu_notice()}", file=sys.stderr)
    return reranker, RerankPolicy(top_n=args.rerank_top_n, kinds=kinds)
