"""How long the first index of some folders will take with each model on this machine.

A first index embeds every chunk once, so its time is about the folders' tokens over the
model's tokens per second. The tokens are estimated from a sample: discovery walks the
folders (for a few seconds at most) counting files and bytes, a seeded sample of the files
is read and counted, and the tokens per byte of the sample scale the total. The model's
speed is measured with a short timed run when that is cheap (the bundled e5-small: about a
second), else taken from measurements stored here (``STORED_RATES``).

Figures are "about": a user choosing between a 20-minute and a 3-hour first index needs the
order of magnitude, not the minute.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.types import Embedder
from indexer.chunking import approx_count_tokens
from indexer.discovery import DiscoveryOptions, RootUnavailableError, discover

logger = logging.getLogger(__name__)

SAMPLE_FILES = 120
SCAN_BUDGET_S = 4.0
READ_LIMIT_BYTES = 256 * 1024  # a sampled file is read this far; its rate stands for the rest
# Chunk headers (file and symbol) and the model's special tokens on top of the text itself:
# measured on this repository, the pipeline embeds ~1.15 tokens per token of file text.
CHUNK_OVERHEAD = 1.15
# PDF and DOCX are compressed: their text is a small share of their bytes.
PACKED_SUFFIXES = frozenset({".pdf", ".docx"})
PACKED_TOKENS_PER_BYTE = 0.05

# Tokens per second per CPU core. MiniLM's is docs/BENCHMARKS.md section 1 (1,062-2,050 tok/s
# on 2 cores); e5-small's and Qwen3-0.6B's follow from their ratio to MiniLM measured in one
# run on the same texts (section 7: e5 0.34x, Qwen3-0.6B-sized 0.023x). The GPU rate is an
# assumption, not a measurement (no GPU was lent to this work): a 0.6B encoder runs at several
# thousand tokens/s on a mid-range card.
STORED_RATES: dict[str, dict[str, float]] = {
    "e5-small": {"cpu_per_core": 220.0},
    "minilm": {"cpu_per_core": 650.0},
    "qwen3": {"cpu_per_core": 15.0, "gpu": 8000.0},
}
_MEASURE_TEXT = (
    "def upload_with_retries(session, url, payload, attempts=5):\n"
    '    """Send the payload, retrying failed uploads with exponential backoff."""\n'
    "    for attempt in range(attempts):\n"
    "        if session.post(url, data=payload).ok:\n"
    "            return True\n"
    "    return False\n"
)


@dataclass(frozen=True, slots=True)
class CorpusEstimate:
    files: int
    total_bytes: int
    tokens: int
    complete: bool  # False when the scan stopped early: the folders hold at least this much


@dataclass(frozen=True, slots=True)
class Throughput:
    tokens_per_s: float
    device: str  # "CPU" or "GPU", for the sentence the user reads
    measured: bool  # a timed run here, not a stored figure


def estimate_corpus(
    folders: Iterable[Path | str],
    *,
    options: DiscoveryOptions | None = None,
    sample_files: int = SAMPLE_FILES,
    scan_budget_s: float = SCAN_BUDGET_S,
    count_tokens: Callable[[list[str]], list[int]] = approx_count_tokens,
    clock: Callable[[], float] = time.monotonic,
) -> CorpusEstimate:
    """Files, bytes and estimated embedded tokens under ``folders`` (see the module doc)."""
    found: list[tuple[Path, int]] = []
    total = 0
    complete = True
    started = clock()
    for folder in folders:
        try:
            for item in discover(Path(folder), options):
                found.append((item.path, item.size))
                total += item.size
                if clock() - started > scan_budget_s:
                    complete = False
                    break
        except RootUnavailableError as exc:
            logger.info("Not estimating %s: %s", folder, exc)
        if not complete:
            break
    if not found:
        return CorpusEstimate(0, 0, 0, complete)
    sample = random.Random(0).sample(found, min(sample_files, len(found)))
    sampled_bytes = 0
    sampled_tokens = 0.0
    for path, size in sample:
        read, tokens = _sample_tokens(path, size, count_tokens)
        sampled_bytes += read
        sampled_tokens += tokens
    rate = sampled_tokens / sampled_bytes if sampled_bytes else 0.0
    return CorpusEstimate(len(found), total, round(total * rate * CHUNK_OVERHEAD), complete)


def _sample_tokens(
    path: Path, size: int, count_tokens: Callable[[list[str]], list[int]]
) -> tuple[int, float]:
    """(bytes the estimate stands for, tokens in them) for one sampled file."""
    if path.suffix.lower() in PACKED_SUFFIXES:
        return size, size * PACKED_TOKENS_PER_BYTE
    try:
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT_BYTES)
    except OSError:
        return 0, 0.0
    if b"\0" in data[:8192]:
        return 0, 0.0  # binary: the indexer skips it
    text = data.decode("utf-8", errors="replace")
    return len(data), float(count_tokens([text])[0])


def measure_throughput(embedder: Embedder, *, texts: int = 24) -> Throughput:
    """Tokens per second of ``embedder.embed_documents`` over a fixed sample, timed here."""
    sample = [f"{_MEASURE_TEXT}# variant {i}\n" for i in range(texts)]
    embedder.embed_documents(sample[:2])  # the first call pays for loading
    tokens = sum(embedder.count_tokens(sample))
    started = time.perf_counter()
    embedder.embed_documents(sample)
    seconds = max(time.perf_counter() - started, 1e-6)
    device = "GPU" if embedder.device not in ("cpu", "remote") else "CPU"
    return Throughput(tokens / seconds, device, measured=True)


def stored_throughput(model: str, *, gpu: bool, cores: int | None = None) -> Throughput:
    """The stored rate of ``model`` (``e5-small``, ``minilm``, ``qwen3``) on this machine."""
    rates = STORED_RATES[model]
    if gpu and "gpu" in rates:
        return Throughput(rates["gpu"], "GPU", measured=False)
    cores = cores or os.cpu_count() or 1
    return Throughput(rates["cpu_per_core"] * cores, "CPU", measured=False)


def model_speeds(
    devices: Iterable[str], *, e5: Throughput | None = None, cores: int | None = None
) -> dict[str, Throughput]:
    """Each model's expected speed here.

    ``e5`` is e5-small timed on this machine; it also calibrates the stored CPU rates of the
    other models (a CPU that runs e5 at half its stored rate, being slower or busy, runs
    Qwen3 at about half its stored rate too), so the choices compare like for like.
    """
    gpu = any(d.split(":", 1)[0].lower() in ("cuda", "mps") for d in devices)
    stored_e5 = stored_throughput("e5-small", gpu=False, cores=cores)
    factor = e5.tokens_per_s / stored_e5.tokens_per_s if e5 is not None else 1.0

    def on_this_cpu(model: str) -> Throughput:
        speed = stored_throughput(model, gpu=gpu, cores=cores)
        if speed.device == "CPU":
            return Throughput(speed.tokens_per_s * factor, "CPU", measured=e5 is not None)
        return speed

    return {
        "e5-small": e5 or stored_e5,
        "minilm": on_this_cpu("minilm"),
        "qwen3": on_this_cpu("qwen3"),
    }


def first_index_seconds(corpus: CorpusEstimate, speed: Throughput) -> float:
    return corpus.tokens / max(speed.tokens_per_s, 1e-6)


def describe(corpus: CorpusEstimate, speed: Throughput) -> str:
    """One phrase for the user: "about 3 h on this CPU"."""
    where = f"on this {speed.device}"
    if corpus.files == 0:
        return "nothing to index yet"
    seconds = first_index_seconds(corpus, speed)
    prefix = "" if corpus.complete else "at least "
    return f"{prefix}{_duration(seconds)} {where}"


def duration_parts(seconds: float) -> tuple[str, str]:
    """The rounded duration as (unit, number): ("", "") under a minute, else "min", "h" or
    "days" with the number to show; the desktop builds its translated phrase from these."""
    if seconds < 60:
        return "", ""
    minutes = seconds / 60
    if minutes < 10:
        return "min", str(round(minutes))
    if minutes < 55:
        return "min", str(5 * round(minutes / 5))
    hours = minutes / 60
    if hours < 10:
        return "h", f"{round(hours * 2) / 2:g}"
    if hours < 48:
        return "h", str(round(hours))
    return "days", str(round(hours / 24))


def _duration(seconds: float) -> str:
    unit, number = duration_parts(seconds)
    return f"about {number} {unit}" if unit else "under a minute"
