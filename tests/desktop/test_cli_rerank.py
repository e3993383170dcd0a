"""``kenning search --rerank``: the second stage from the command line, as a real process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli_rerank import DEFAULT_RERANKER
from engine.rerankers import DEFAULT_RERANKER as ENGINE_DEFAULT
from tests.desktop.test_cli import kenning
from tests.e2e.corpus import FILES

QUERY = "edit distance between two words"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    data_dir = tmp_path_factory.mktemp("data")
    done = kenning("index", str(root), "--model", "offline", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return root, data_dir


def _results(out) -> list[tuple[str, int]]:
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout.splitlines()[0])
    return [(r["path"], r["start_line"]) for r in obj["results"]]


def test_default_reranker_names_agree():
    assert DEFAULT_RERANKER == ENGINE_DEFAULT


@pytest.mark.model
def test_rerank_reorders_the_fused_top_n(indexed, tiny_reranker_dir: Path):
    _, data_dir = indexed
    args = ("search", QUERY, "--json", "--limit", "8", "--device", "cpu")
    base = _results(kenning(*args, "--limit", "30", data_dir=data_dir))
    out = kenning(
        *args, "--rerank", str(tiny_reranker_dir), "--rerank-kinds", "all", data_dir=data_dir
    )
    reranked = _results(out)
    assert len(reranked) == 8
    assert set(reranked) <= set(base)  # the same candidates, another order
    assert reranked != base[:8]
    assert "reranking is off" not in out.stderr


@pytest.mark.model
def test_auto_on_cpu_says_why_it_is_off(indexed, tiny_reranker_dir: Path):
    _, data_dir = indexed
    args = ("search", QUERY, "--json", "--limit", "5", "--device", "cpu")
    out = kenning(*args, "--rerank", str(tiny_reranker_dir), data_dir=data_dir)
    assert _results(out) == _results(kenning(*args, data_dir=data_dir))
    assert "reranking is off on the CPU by default" in out.stderr
    assert "--rerank-kinds text" in out.stderr


@pytest.mark.model
def test_a_model_that_is_not_a_reranker_is_one_line(indexed, tiny_qwen3_dir: Path):
    _, data_dir = indexed
    out = kenning(
        "search",
        QUERY,
        "--device",
        "cpu",
        "--rerank",
        str(tiny_qwen3_dir),
        "--rerank-kinds",
        "text",
        data_dir=data_dir,
    )
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "not a Qwen3-Reranker-style model" in out.stderr
