"""Embedding throughput: Kenning's LocalEmbedder against sentence-transformers' ``encode``.

    python -m bench.embed_throughput                 # the headline comparison
    python -m bench.embed_throughput --explore       # thread counts x token budgets
    python -m bench.embed_throughput --int8          # dynamic int8 quantization, vs fp32

Same model folder (the bundled all-MiniLM-L6-v2), same texts (a seeded sample of real
chunks of the eval corpus, cut by Kenning's chunkers, ``embed_text`` as the pipeline sends
them), same process, alternating order each round. Tokens are what the model reads (special
tokens included, capped at the model's limit) and are the same count for both.
sentence-transformers runs with its defaults (``encode(texts)``: batch_size 32, its own
length sorting); Kenning runs as the pipeline calls it (``embed_documents``).
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import (
    load_kenning_embedder,
    machine,
    median,
    minilm_path,
    out,
    real_chunks,
    timed,
)


def _st_model() -> object:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_path()), device="cpu")


def _compare(
    kenning: object, st: object, texts: list[str], tokens: int, rounds: int
) -> list[float]:
    """Alternating rounds; prints each and returns Kenning/ST throughput ratios."""
    ratios = []
    for r in range(rounds):
        order = [("kenning", kenning.embed_documents), ("st", st.encode)]
        if r % 2:
            order.reverse()
        seconds = {name: timed(lambda f=fn: f(texts)) for name, fn in order}
        k_tps, s_tps = tokens / seconds["kenning"], tokens / seconds["st"]
        ratios.append(k_tps / s_tps)
        out(
            f"  round {r + 1}: kenning {k_tps:8.0f} tok/s ({seconds['kenning']:.1f} s) | "
            f"sentence-transformers {s_tps:8.0f} tok/s ({seconds['st']:.1f} s) | "
            f"ratio {k_tps / s_tps:.2f}x"
        )
    return ratios


def _agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    cos = np.sum(a * b, axis=1)
    return float(cos.min()), float(cos.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200, help="sample size (seeded)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explore", action="store_true", help="threads x token budgets")
    parser.add_argument("--int8", action="store_true", help="dynamic int8 quantization")
    args = parser.parse_args()

    import torch

    kenning = load_kenning_embedder()
    st = _st_model()
    chunks = real_chunks(kenning, limit=args.chunks)
    texts = [c.embed_text for c in chunks]
    limit = kenning.max_tokens
    tokens = sum(min(n, limit) for n in kenning.count_tokens(texts))
    out(f"machine: {machine()}")
    out(
        f"texts: {len(texts)} real chunks of eval/corpus, {tokens} tokens "
        f"(mean {tokens / len(texts):.0f}), model limit {limit}"
    )

    # Warm-up: first calls pay for lazy initialisation in both stacks.
    kenning.embed_documents(texts[:16])
    st.encode(texts[:16])
    k_vec = kenning.embed_documents(texts)
    s_vec = st.encode(texts)
    lo, mean = _agreement(k_vec, np.asarray(s_vec))
    out(f"agreement with sentence-transformers: cosine min {lo:.5f}, mean {mean:.5f}")

    out("\n[1] default settings, alternating")
    ratios = _compare(kenning, st, texts, tokens, args.rounds)
    out(f"  median ratio kenning/sentence-transformers: {median(ratios):.2f}x")

    if args.explore:
        from engine.local_embedder import LocalEmbedder

        out("\n[2] threads x token budget (ratio against sentence-transformers, same threads)")
        default_threads = torch.get_num_threads()
        for threads in sorted({1, default_threads}):
            torch.set_num_threads(threads)
            for budget in (2048, 4096, 8192, 16384):
                variant = load_kenning_embedder(token_budget=budget)
                assert isinstance(variant, LocalEmbedder)
                variant.embed_documents(texts[:16])
                out(f" threads={threads} token_budget={budget}")
                r = _compare(variant, st, texts, tokens, 2)
                out(f"  median ratio {median(r):.2f}x")
        torch.set_num_threads(default_threads)

    if args.int8:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        out("\n[3] dynamic int8 quantization of the Linear layers (torch.ao quantize_dynamic)")
        specs = {
            "per-tensor": {torch.nn.Linear},
            "per-channel": {torch.nn.Linear: per_channel_dynamic_qconfig},
        }
        for label, spec in specs.items():
            quantized = load_kenning_embedder()
            # An experiment on the embedder's private model: if it pays, LocalEmbedder should
            # grow an option for it (see docs/BENCHMARKS.md).
            quantized._model = quantize_dynamic(quantized._model, spec, dtype=torch.qint8)
            q_vec = quantized.embed_documents(texts)
            lo, mean = _agreement(q_vec, k_vec)
            out(f" {label}: int8 vs fp32 cosine min {lo:.4f}, mean {mean:.4f} (target >= 0.99)")
            for r in range(args.rounds):
                order = [("fp32", kenning.embed_documents), ("int8", quantized.embed_documents)]
                if r % 2:
                    order.reverse()
                seconds = {name: timed(lambda f=fn: f(texts)) for name, fn in order}
                out(
                    f"  round {r + 1}: fp32 {tokens / seconds['fp32']:8.0f} tok/s | "
                    f"int8 {tokens / seconds['int8']:8.0f} tok/s | "
                    f"int8/fp32 {seconds['fp32'] / seconds['int8']:.2f}x"
                )


if __name__ == "__main__":
    main()
