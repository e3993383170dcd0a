"""bench/gpu_throughput.py: its FLOP arithmetic, and its CPU smoke mode run for real (CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.gpu_throughput import QWEN3_06B, SMOKE, flops_per_token, shape_of

REPO = Path(__file__).resolve().parents[1]


def test_qwen3_06b_costs_about_088_gflop_per_token_in_its_linear_layers():
    linear, attention = flops_per_token(QWEN3_06B, mean_length=300)
    # 28 layers x (q 1024x2048 + k,v 1024x1024 + o 2048x1024 + 3 x 1024x3072) x 2 FLOP.
    assert linear == 2 * 28 * (1024 * 2048 * 2 + 2 * 1024 * 1024 + 3 * 1024 * 3072)
    assert linear / 1e9 == pytest.approx(0.881, abs=0.001)
    # A token attends to half its 300-token sequence on average (causal), 8,192 FLOP each.
    assert attention == pytest.approx(8192 * 28 * 150)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_smoke_mode_runs_every_step_on_the_cpu(tmp_path: Path):
    report_path = tmp_path / "smoke.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.gpu_throughput", "--smoke", "--json", str(report_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["smoke"] is True
    runs = {r["dtype"]: r for r in report["embedding"]}
    assert set(runs) == {"float32", "bfloat16"}
    assert runs["bfloat16"]["kenning_dtype"] == "bfloat16"
    for run in runs.values():
        assert run["padded_tokens"]["kenning"] >= run["real_tokens"] > 0
        assert run["padded_tokens"]["st"] >= run["real_tokens"]
        assert run["tokens_per_s"]["kenning"] > 0 and run["tokens_per_s"]["st"] > 0
        # The same model gives the same vectors through both runtimes.
        assert run["agreement_min_cosine"] > 0.99
        p50, p95 = run["query_ms"]["kenning"]
        assert 0 < p50 <= p95
        linear, _ = flops_per_token(shape_of(SMOKE), 1.0)
        assert run["gflop_per_token"]["linear"] == pytest.approx(linear / 1e9)
    assert runs["float32"]["agreement_min_cosine"] > 0.9999
    assert report["reranker"]["candidates"] == 2 and report["reranker"]["ms_p50"] > 0
    assert report["two_processes"]["ok"]
