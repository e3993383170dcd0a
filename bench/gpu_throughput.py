"""GPU throughput: Kenning's LocalEmbedder against sentence-transformers on one CUDA device.

    python -m bench.gpu_throughput                  # on CUDA: the real 0.6B shapes, a few min
    python -m bench.gpu_throughput --smoke          # on the CPU, tiny shapes (the CI test)
    python -m bench.gpu_throughput --cpu-reranker   # the real-size reranker's CPU latency
    ... --json results.json                         # also write the figures as JSON

Nothing is downloaded: the models are built here with the **architecture of
Qwen3-Embedding-0.6B and Qwen3-Reranker-0.6B and random weights** (28 layers, hidden 1024,
16 query / 8 key-value heads of 128, MLP 3072, vocabulary 151,669). Speed does not depend
on the weights' values. The tokenizer is the tests' small byte-level BPE (the real one is
not on disk), so a text costs more tokens than with Qwen's; every rate below is per token
the model actually reads, which is what the hardware sees.

Measured, same texts (real chunks of the eval corpus, cut by Kenning's chunkers), same
process, alternating order, in float16 and bfloat16:

- tokens/s of ``LocalEmbedder.embed_documents`` and of ``SentenceTransformer.encode``
  (its defaults: batch 32, its own length sorting), real tokens and padded tokens;
- peak GPU memory of each;
- the share of the device's dense FLOP limit reached. FLOPs per real token = 2 x the
  parameters of the linear layers (per layer q 1024x2048, k and v 1024x1024, o 2048x1024,
  gate/up/down 3 x 1024x3072: 15.73 M; x 28 layers = 440 M, so 0.881 GFLOP) + attention
  (QK^T and AV: 2 x 2 x heads x head_dim = 8,192 FLOP per attended position per layer; a
  causal token attends on average to half its sequence, so 8,192 x 28 x L/2 for length L:
  +0.034 GFLOP at 300 tokens). Padding is not counted: it is wasted work;
- one query's latency (p50/p95) through each;
- Qwen3-Reranker-0.6B's latency for 30 candidates of ~300 tokens;
- two processes (the app and ``kenning serve``) embedding on the same GPU at once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, machine, median, out, percentile, real_chunks, timed

# Qwen3-Embedding-0.6B / Qwen3-Reranker-0.6B (their config.json).
QWEN3_06B: dict[str, Any] = {
    "vocab_size": 151_669,
    "hidden_size": 1024,
    "intermediate_size": 3072,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "max_position_embeddings": 32_768,
    "rope_theta": 1_000_000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}
# Enough shape to run every step in seconds on a CPU.
SMOKE: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
}
# Dense half-precision tensor-core peaks (no sparsity), from the vendors' data sheets.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0}
RERANK_CANDIDATES = 30
RERANK_TOKENS = 300
QUERY = "retry failed uploads with exponential backoff"


def flops_per_token(config: dict[str, Any], mean_length: float) -> tuple[float, float]:
    """(linear, attention) FLOPs per real token for a Qwen3 of ``config``'s shape."""
    hidden = config["hidden_size"]
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim, mlp = config["head_dim"], config["intermediate_size"]
    per_layer = (
        hidden * heads * head_dim  # q
        + 2 * hidden * kv_heads * head_dim  # k, v
        + heads * head_dim * hidden  # o
        + 3 * hidden * mlp  # gate, up, down
    )
    layers = config["num_hidden_layers"]
    linear = 2.0 * per_layer * layers
    attention = 2.0 * 2.0 * heads * head_dim * layers * (mean_length / 2.0)
    return linear, attention


def build_models(
    folder: Path, shape: dict[str, Any], *, embedder_too: bool = True
) -> tuple[Path, Path]:
    """An embedding folder (sentence-transformers layout) and a reranker folder."""
    sys.path.insert(0, str(REPO))
    from tests.model_fixtures import build_tiny_qwen3, build_tiny_qwen3_reranker

    started = time.perf_counter()
    embedder = folder / "embedding"
    if embedder_too:
        embedder = build_tiny_qwen3(embedder, max_seq_length=1024, **shape)
    reranker = build_tiny_qwen3_reranker(folder / "reranker", **shape)
    out(f"built random-weight models in {time.perf_counter() - started:.0f} s")
    return embedder, reranker


def _sync(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _peak_reset(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_mib(torch: Any, device: str) -> float | None:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return None


def _st_padded_tokens(lengths: list[int], texts: list[str], batch_size: int = 32) -> int:
    # sentence-transformers sorts by character length, longest first, then cuts batches.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    padded = 0
    for start in range(0, len(order), batch_size):
        batch = [lengths[i] for i in order[start : start + batch_size]]
        padded += max(batch) * len(batch)
    return padded


def _kenning_padded_tokens(lengths: list[int], budget: int) -> int:
    from engine.local_embedder import MAX_BATCH_SIZE
    from engine.token_batches import plan_batches

    batches = plan_batches(lengths, budget, max_batch_size=MAX_BATCH_SIZE)
    return sum(max(lengths[i] for i in b) * len(b) for b in batches)


def _latencies(fn: Any, runs: int) -> tuple[float, float]:
    """p50 and p95 of ``runs`` calls, in milliseconds, after one warm-up call."""
    fn()  # warm
    times = [timed(fn) * 1000 for _ in range(runs)]
    return percentile(times, 50), percentile(times, 95)


def compare_dtype(
    folder: Path,
    texts: list[str],
    device: str,
    dtype: str,
    shape: dict[str, Any],
    rounds: int,
    peak_tflops: float | None,
    query_runs: int = 50,
) -> dict[str, Any]:
    import torch
    from sentence_transformers import SentenceTransformer

    from engine.local_embedder import LocalEmbedder

    kenning = LocalEmbedder(folder, model_id="qwen3-0.6b-random", device=device, dtype=dtype)
    st = SentenceTransformer(
        str(folder), device=device, model_kwargs={"dtype": getattr(torch, dtype)}
    )
    lengths = [min(n, kenning.max_tokens) for n in kenning.count_tokens(texts)]
    real = sum(lengths)
    padded = {
        "kenning": _kenning_padded_tokens(lengths, kenning.token_budget),
        "st": _st_padded_tokens(lengths, texts),
    }
    # Warm both (CUDA kernels, allocator) on a slice, and check they agree.
    sample = texts[:64]
    ours = kenning.embed_documents(sample)
    theirs = st.encode(sample, normalize_embeddings=True, convert_to_numpy=True)
    agreement = float(np.min(np.sum(ours * theirs.astype(np.float32), axis=1)))

    seconds: dict[str, list[float]] = {"kenning": [], "st": []}
    peaks: dict[str, float | None] = {}
    runs = {
        "kenning": lambda: kenning.embed_documents(texts),
        "st": lambda: st.encode(texts, normalize_embeddings=True, convert_to_numpy=True),
    }
    for r in range(rounds):
        order = ["kenning", "st"] if r % 2 == 0 else ["st", "kenning"]
        for name in order:
            _peak_reset(torch, device)
            _sync(torch, device)
            seconds[name].append(timed(lambda f=runs[name]: (f(), _sync(torch, device))))
            peaks[name] = max(peaks.get(name) or 0.0, _peak_mib(torch, device) or 0.0) or None
    tps = {name: real / median(s) for name, s in seconds.items()}

    linear, attention = flops_per_token(shape_of(shape), float(np.mean(lengths)))
    flops = {name: tps[name] * (linear + attention) for name in tps}
    share = {name: flops[name] / (peak_tflops * 1e12) for name in flops} if peak_tflops else None
    p50, p95 = _latencies(lambda: kenning.embed_queries([QUERY], task="code"), query_runs)
    st_p50, st_p95 = _latencies(
        lambda: st.encode([QUERY], normalize_embeddings=True, convert_to_numpy=True), query_runs
    )
    result = {
        "dtype": dtype,
        "kenning_dtype": kenning.dtype,
        "texts": len(texts),
        "real_tokens": real,
        "padded_tokens": padded,
        "tokens_per_s": tps,
        "ratio": tps["kenning"] / tps["st"],
        "peak_gpu_mib": peaks if device.startswith("cuda") else None,
        "gflop_per_token": {"linear": linear / 1e9, "attention": attention / 1e9},
        "flop_limit_share": share,
        "query_ms": {"kenning": [p50, p95], "st": [st_p50, st_p95]},
        "agreement_min_cosine": agreement,
    }
    out(
        f"{dtype}: kenning {tps['kenning']:,.0f} tok/s | sentence-transformers "
        f"{tps['st']:,.0f} tok/s | {result['ratio']:.2f}x | padded/real kenning "
        f"{padded['kenning'] / real:.2f} st {padded['st'] / real:.2f}"
    )
    if share:
        out(
            f"  share of the {peak_tflops:g} TFLOP/s limit: kenning {share['kenning']:.1%}, "
            f"st {share['st']:.1%}"
        )
    if device.startswith("cuda"):
        out(f"  peak GPU memory MiB: kenning {peaks['kenning']:.0f}, st {peaks['st']:.0f}")
    out(f"  one query ms p50/p95: kenning {p50:.1f}/{p95:.1f}, st {st_p50:.1f}/{st_p95:.1f}")
    out(f"  min cosine kenning vs st: {agreement:.4f}")
    return result


def shape_of(overrides: dict[str, Any]) -> dict[str, Any]:
    return {**QWEN3_06B, **overrides}


def rerank_latency(folder: Path, device: str, runs: int, candidates: int) -> dict[str, Any]:
    from engine.local_reranker import LocalReranker
    from engine.reranker import RERANK_INSTRUCTIONS

    reranker = LocalReranker(folder, model_id="qwen3-reranker-0.6b-random", device=device)
    sentence = (
        "the indexer walks every folder reads each file and splits code into functions "
        "search a query against the vector index then fuse both rankings"
    )
    words = sentence.split(" ")
    # ~RERANK_TOKENS tokens of the reranker's own tokenizer per document, template included.
    per_word = len(reranker.pair_ids(QUERY, [sentence], "")[0]) / len(words)
    count = max(1, int(RERANK_TOKENS / per_word))
    docs = [" ".join(words[(i + j) % len(words)] for j in range(count)) for i in range(candidates)]
    lengths = [len(ids) for ids in reranker.pair_ids(QUERY, docs, RERANK_INSTRUCTIONS["text"])]
    times, cpu = [], []
    reranker.rerank(QUERY, docs[:2])  # warm
    for _ in range(runs):
        # CPU time too: on a shared machine it says what an idle one would take.
        started = time.process_time()
        times.append(timed(lambda: reranker.rerank(QUERY, docs)) * 1000)
        cpu.append(time.process_time() - started)
    result = {
        "candidates": candidates,
        "mean_tokens": float(np.mean(lengths)),
        "ms_p50": percentile(times, 50),
        "ms_p95": percentile(times, 95),
        "device": reranker.device,
        "dtype": reranker.dtype,
        "cpu_s_median": median(cpu),
    }
    out(
        f"reranker: {candidates} candidates x {result['mean_tokens']:.0f} tokens on "
        f"{reranker.device} ({reranker.dtype}): p50 {result['ms_p50']:.0f} ms, "
        f"p95 {result['ms_p95']:.0f} ms, {result['cpu_s_median']:.1f} CPU-s per run"
    )
    return result


def two_processes(folder: Path, device: str, texts_file: Path) -> dict[str, Any]:
    """The app and ``kenning serve`` both embedding on one GPU: both must finish."""
    code = (
        "import sys, json; from engine.local_embedder import LocalEmbedder; "
        f"e = LocalEmbedder(__import__('pathlib').Path({str(folder)!r}), model_id='m', "
        f"device={device!r}); t = json.load(open({str(texts_file)!r})); "
        "[e.embed_documents(t) for _ in range(3)]; print('ok')"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    codes = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        codes.append(proc.returncode)
        if proc.returncode != 0:
            out(f"  second-process run failed: {stderr.strip().splitlines()[-1:]}")
    ok = all(c == 0 for c in codes)
    out(f"two processes on one {device}: {'both finished' if ok else 'FAILED'} ({codes})")
    return {"exit_codes": codes, "ok": ok}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny shapes on the CPU")
    parser.add_argument(
        "--cpu-reranker", action="store_true", help="only the real-size reranker, on the CPU"
    )
    parser.add_argument("--texts", type=int, default=2000, help="chunks embedded per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--candidates", type=int, default=RERANK_CANDIDATES)
    parser.add_argument("--peak-tflops", type=float, help="the device's dense bf16 limit")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    import torch

    device = "cpu" if (args.smoke or args.cpu_reranker) else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        out("no CUDA device here: run with --smoke for the CPU check, or on a GPU machine")
        return 2
    shape = SMOKE if args.smoke else QWEN3_06B
    torch.set_num_threads(max(1, torch.get_num_threads()))
    name = torch.cuda.get_device_name(0) if device == "cuda" else machine()
    peak = args.peak_tflops
    if peak is None and device == "cuda":
        peak = next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    out(f"device: {name}")
    report: dict[str, Any] = {"device": name, "smoke": args.smoke, "torch": torch.__version__}
    with tempfile.TemporaryDirectory(prefix="kenning-gpu-bench-") as tmp:
        embed_dir, rerank_dir = build_models(Path(tmp), shape, embedder_too=not args.cpu_reranker)
        if args.cpu_reranker:
            report["reranker"] = rerank_latency(rerank_dir, "cpu", 1, args.candidates)
        else:
            from engine.local_embedder import LocalEmbedder

            probe = LocalEmbedder(embed_dir, model_id="probe", device=device)
            count = 16 if args.smoke else args.texts
            rounds = 1 if args.smoke else args.rounds
            # Each timed call starts with a full garbage collection (a heap holding torch):
            # the smoke run times only as many as its p50/p95 need.
            query_runs = 3 if args.smoke else 50
            texts = [
                c.embed_text
                for c in real_chunks(probe, limit=count, files=6 if args.smoke else None)
            ]
            del probe
            dtypes = ["float32", "bfloat16"] if args.smoke else ["float16", "bfloat16"]
            report["embedding"] = []
            for dtype in dtypes:
                report["embedding"].append(
                    compare_dtype(embed_dir, texts, device, dtype, shape, rounds, peak, query_runs)
                )
                if device == "cuda":
                    torch.cuda.empty_cache()  # that call's models are gone now
            report["reranker"] = rerank_latency(
                rerank_dir, device, 1 if args.smoke else 10, 2 if args.smoke else args.candidates
            )
            texts_file = Path(tmp) / "texts.json"
            texts_file.write_text(json.dumps(texts[: 4 if args.smoke else 512]))
            report["two_processes"] = two_processes(embed_dir, device, texts_file)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
