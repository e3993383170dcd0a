"""The first-index time estimate: tokens from a sample of the folders, over a model's speed."""

from __future__ import annotations

import pytest

from indexer.index_estimate import (
    CHUNK_OVERHEAD,
    CorpusEstimate,
    Throughput,
    describe,
    estimate_corpus,
    measure_throughput,
    model_speeds,
    stored_throughput,
)
from tests.fake_embedder import HashingEmbedder

CPU_300 = Throughput(300.0, "CPU", measured=True)


def _tree(root, files: int, text: str):
    for i in range(files):
        (root / f"m{i}.py").write_text(text)
    return root


def words(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def test_tokens_scale_from_the_sample_to_every_file(tmp_path):
    text = "alpha beta gamma delta\n" * 50  # 200 words, 1,150 bytes
    _tree(tmp_path, 40, text)
    corpus = estimate_corpus([tmp_path], sample_files=5, count_tokens=words)
    assert corpus.files == 40 and corpus.total_bytes == 40 * len(text)
    assert corpus.complete
    assert corpus.tokens == round(40 * 200 * CHUNK_OVERHEAD)


def test_ignored_files_do_not_count_and_binary_ones_add_no_tokens(tmp_path):
    _tree(tmp_path, 3, "word " * 100)
    (tmp_path / "blob.txt").write_bytes(b"\0\1\2" * 1000)
    (tmp_path / ".gitignore").write_text("skipped/\n")
    (tmp_path / "skipped").mkdir()
    _tree(tmp_path / "skipped", 50, "word " * 100)
    corpus = estimate_corpus([tmp_path], count_tokens=words)
    assert corpus.files == 5  # three modules, blob.txt and .gitignore; skipped/ is ignored
    text_bytes, text_tokens = 3 * 500 + 9, 300 + 1
    total = text_bytes + 3000
    assert corpus.total_bytes == total
    # The binary sample stands for no bytes of the rate: only text files set tokens per byte.
    assert corpus.tokens == round(total * text_tokens / text_bytes * CHUNK_OVERHEAD)


def test_a_slow_scan_stops_and_says_at_least(tmp_path):
    _tree(tmp_path, 30, "x y z\n")
    ticks = iter(range(1000))
    corpus = estimate_corpus(
        [tmp_path], scan_budget_s=10, count_tokens=words, clock=lambda: float(next(ticks))
    )
    assert not corpus.complete and corpus.files == 11
    assert describe(corpus, CPU_300).startswith("at least ")


def test_missing_folders_and_empty_ones(tmp_path):
    corpus = estimate_corpus([tmp_path / "gone", tmp_path])
    assert corpus == CorpusEstimate(0, 0, 0, True)
    assert describe(corpus, CPU_300) == "nothing to index yet"


@pytest.mark.parametrize(
    ("tokens", "rate", "device", "phrase"),
    [
        (10_000, 300.0, "CPU", "under a minute on this CPU"),
        (300 * 60 * 7, 300.0, "CPU", "about 7 min on this CPU"),
        (300 * 60 * 23, 300.0, "CPU", "about 25 min on this CPU"),
        (300 * 3600 * 3, 300.0, "CPU", "about 3 h on this CPU"),
        (300 * 3600 * 2.3, 300.0, "CPU", "about 2.5 h on this CPU"),
        (300 * 3600 * 20, 300.0, "CPU", "about 20 h on this CPU"),
        (300 * 3600 * 24 * 4, 300.0, "CPU", "about 4 days on this CPU"),
        (8000 * 60 * 4, 8000.0, "GPU", "about 4 min on this GPU"),
    ],
)
def test_describe_with_a_fake_throughput(tokens, rate, device, phrase):
    corpus = CorpusEstimate(files=10, total_bytes=1, tokens=int(tokens), complete=True)
    assert describe(corpus, Throughput(rate, device, measured=False)) == phrase


def test_model_speeds_by_hardware():
    cpu = model_speeds(["cpu"], cores=8)
    assert cpu["qwen3"] == stored_throughput("qwen3", gpu=False, cores=8)
    assert cpu["qwen3"].device == "CPU" and cpu["e5-small"].device == "CPU"
    # The same machine's e5 is an order of magnitude faster than Qwen3 on its CPU.
    assert cpu["e5-small"].tokens_per_s > 10 * cpu["qwen3"].tokens_per_s
    gpu = model_speeds(["cpu", "cuda:0"], cores=8, e5=CPU_300)
    assert gpu["qwen3"].device == "GPU" and gpu["e5-small"] is CPU_300


def test_measure_throughput_times_the_embedder():
    speed = measure_throughput(HashingEmbedder(), texts=8)
    assert speed.measured and speed.device == "CPU" and speed.tokens_per_s > 0
