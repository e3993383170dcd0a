"""RemoteEmbedder against a real third-party OpenAI-compatible server: infinity-emb.

infinity runs from its own virtualenv (``tests/servers/setup_infinity.sh`` makes it) on
127.0.0.1, on the CPU, with the bundled offline MiniLM folder, so nothing is downloaded.
Without that venv the tests skip, except under CI, where a missing server is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from engine.local_embedder import LocalEmbedder
from engine.model_resolution import OFFLINE_MODEL_ID
from engine.remote_embedder import RemoteEmbedder
from engine.search import Searcher
from engine.serve.consistency import check_consistency

REPO = Path(__file__).resolve().parents[3]
INFINITY = REPO / ".venv-infinity" / "bin" / "infinity_emb"
STARTUP_TIMEOUT_S = 240.0

pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def infinity_url(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not INFINITY.exists():
        reason = f"{INFINITY} is missing: run tests/servers/setup_infinity.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("infinity") / "infinity.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "INFINITY_ANONYMOUS_USAGE_STATS": "0",
        "HF_HOME": str(log_path.parent / "hf"),
    }
    command = [
        str(INFINITY),
        "v2",
        "--model-id",
        str(minilm_path),
        "--served-model-name",
        OFFLINE_MODEL_ID,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--url-prefix",
        "/v1",
        "--device",
        "cpu",
        "--engine",
        "torch",
        "--batch-size",
        "16",
        "--no-model-warmup",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        # infinity keeps /health outside the --url-prefix.
        _wait_until_ready(proc, f"http://127.0.0.1:{port}/health", log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _wait_until_ready(proc: subprocess.Popen, health: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"infinity exited with {proc.returncode} while starting:\n{tail}")
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)  # polling an external process's start-up; no assertion on timing
    tail = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"infinity was not ready within {STARTUP_TIMEOUT_S:g} s:\n{tail}")


@pytest.fixture(scope="module")
def minilm(minilm_path: Path) -> LocalEmbedder:
    return LocalEmbedder(minilm_path, model_id=OFFLINE_MODEL_ID, device="cpu")


TEXTS = [
    "def upload_with_retries(session, url, payload): retry failed uploads with backoff",
    "Deploy with the blue green strategy and watch the dashboards.",
    "設定ファイルを読み込む関数",
    "x",
]


def test_infinity_vectors_agree_with_the_local_model(infinity_url, minilm):
    remote = RemoteEmbedder(infinity_url, OFFLINE_MODEL_ID, max_batch=2)
    assert remote.dim == 384
    assert not remote.instruction_aware
    got = remote.embed_documents(TEXTS)
    want = minilm.embed_documents(TEXTS)
    assert got.dtype == np.float32 and got.shape == (4, 384)
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= 0.999, cosines
    # The served name is the bundled model's id: its tokenizer on disk counts exactly.
    assert remote.count_tokens(TEXTS) == minilm.count_tokens(TEXTS)
    assert remote.max_tokens == minilm.max_tokens


def test_consistency_check_against_infinity(infinity_url, tmp_path):
    remote = RemoteEmbedder(infinity_url, OFFLINE_MODEL_ID)
    notices: list[str] = []
    report = check_consistency(remote, cache_path=tmp_path / "c.json", on_notice=notices.append)
    assert report.checked and report.agrees, report
    assert report.min_cosine >= 0.99
    assert notices == []


def test_index_through_infinity_then_search_locally(infinity_url, minilm, tmp_path):
    from indexer.pipeline import Pipeline

    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "net.py").write_text(
        "def upload_with_retries(session, url, payload, attempts=5):\n"
        '    """Send the payload, retrying failed uploads with exponential backoff."""\n'
        "    for attempt in range(attempts):\n"
        "        if session.post(url, payload).ok:\n"
        "            return True\n"
        "    return False\n"
    )
    (root / "src" / "mathx.py").write_text(
        "def mean(values):\n    return sum(values) / len(values)\n"
    )
    (root / "notes.md").write_text("# Deployment\n\nDeploy with the blue green strategy.\n")
    data_dir = tmp_path / "data"
    pipeline = Pipeline(data_dir, RemoteEmbedder(infinity_url, OFFLINE_MODEL_ID))
    try:
        report = pipeline.index([root])
    finally:
        pipeline.close()
    assert report.files_indexed == 3
    # The index records the served name, which is the local model's id: search locally.
    searcher = Searcher(data_dir, minilm)
    try:
        hits = searcher.search("send data again when the upload fails", mode="semantic", limit=3)
    finally:
        searcher.close()
    assert Path(hits[0].path).name == "net.py"
    assert hits[0].symbol == "upload_with_retries"
