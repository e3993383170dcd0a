"""``kenning mcp`` and ``kenning serve`` keep the index they serve fresh (``--no-watch`` off)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from desktop.keep_fresh import FreshIndex
from desktop.serve_cli import register_cli
from engine.errors import KenningError

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 240.0

OLD_CODE = '''\
def upload_with_retries(session, url, payload, attempts=5):
    """Send the payload, retrying failed uploads with exponential backoff."""
    for attempt in range(attempts):
        if session.post(url, payload).ok:
            return True
    return False
'''
NEW_CODE = (
    OLD_CODE
    + '''

def rotate_signing_keys(keyring, grace_days=7):
    """Replace every signing key older than the grace period with a fresh one."""
    return [key.renewed() if key.age_days > grace_days else key for key in keyring]
'''
)


@pytest.fixture
def indexed_project(tmp_path: Path, tiny_qwen3_dir: Path) -> tuple[Path, Path]:
    from engine.local_embedder import LocalEmbedder
    from indexer.pipeline import Pipeline

    root, data_dir = tmp_path / "project", tmp_path / "data"
    root.mkdir()
    (root / "uploads.py").write_text(OLD_CODE)
    embedder = LocalEmbedder(tiny_qwen3_dir, model_id=str(tiny_qwen3_dir), device="cpu")
    pipeline = Pipeline(data_dir, embedder)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    return root, data_dir


def _mcp_params(data_dir: Path, model: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "desktop", "mcp", "--data-dir", str(data_dir), "--model", str(model), *extra],
        cwd=str(REPO),
        env=dict(os.environ),  # the test's isolated XDG dirs and offline switches
    )


def _symbols(answer: object) -> list[str | None]:
    content = answer.structured_content  # type: ignore[attr-defined]
    return [hit["symbol"] for hit in content["results"]]


def test_mcp_search_after_an_edit_returns_the_new_code(
    indexed_project: tuple[Path, Path], tiny_qwen3_dir: Path
) -> None:
    root, data_dir = indexed_project

    async def session() -> tuple[list, list, list]:
        async with Client(
            _mcp_params(data_dir, tiny_qwen3_dir), read_timeout_seconds=DEADLINE_S
        ) as client:
            before = _symbols(await client.call_tool("search", {"query": "signing keys"}))
            (root / "uploads.py").write_text(NEW_CODE)
            deadline = time.monotonic() + DEADLINE_S
            while True:  # the watcher debounces, then the indexer embeds: poll, bounded
                args = {"query": "rotate signing keys", "mode": "lexical"}
                after = _symbols(await client.call_tool("search", args))
                if "rotate_signing_keys" in after or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.5)
            # Semantic search answers from the indexer's live vectors, new chunk included.
            semantic = await client.call_tool(
                "search", {"query": "rotate signing keys", "mode": "semantic", "limit": 50}
            )
            return before, after, _symbols(semantic)

    before, after, semantic = anyio.run(session)
    assert "rotate_signing_keys" not in before
    assert "rotate_signing_keys" in after
    assert "rotate_signing_keys" in semantic


def test_mcp_with_no_watch_serves_the_index_as_it_was(
    indexed_project: tuple[Path, Path], tiny_qwen3_dir: Path
) -> None:
    root, data_dir = indexed_project
    from engine.store import Store

    store = Store.open(data_dir, readonly=True)
    generation = store.generation
    store.close()

    async def session() -> list:
        params = _mcp_params(data_dir, tiny_qwen3_dir, "--no-watch")
        async with Client(params, read_timeout_seconds=DEADLINE_S) as client:
            (root / "uploads.py").write_text(NEW_CODE)
            args = {"query": "rotate signing keys", "mode": "lexical"}
            return _symbols(await client.call_tool("search", args))

    assert "rotate_signing_keys" not in anyio.run(session)
    store = Store.open(data_dir, readonly=True)
    try:
        assert store.generation == generation  # nothing wrote the index
    finally:
        store.close()


def test_fresh_index_refuses_another_model_instead_of_re_embedding(
    indexed_project: tuple[Path, Path],
) -> None:
    _, data_dir = indexed_project
    said: list[str] = []

    class OtherModel:
        model_id, dim = "other/model", 8

    fresh = FreshIndex(data_dir, lambda: OtherModel(), said.append)  # type: ignore[arg-type, return-value]
    with pytest.raises(KenningError, match=r"the index was built with .* not other/model"):
        fresh._checked_embedder()


def test_fresh_index_says_when_there_is_nothing_to_watch(tmp_path: Path) -> None:
    said: list[str] = []
    fresh = FreshIndex(tmp_path / "no-index", lambda: None, said.append)  # type: ignore[arg-type, return-value]
    assert fresh.start() is False
    assert said == [f"not watching for changes: no folders are indexed in {tmp_path}/no-index"]
    assert fresh.vectors is None


def test_serve_and_mcp_offer_no_watch() -> None:
    parser = argparse.ArgumentParser(prog="kenning")
    register_cli(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["serve", "--no-watch"]).no_watch is True
    assert parser.parse_args(["mcp"]).no_watch is False
    assert parser.parse_args(["mcp", "--no-watch"]).no_watch is True


def test_serve_search_after_an_edit_returns_the_new_code(
    indexed_project: tuple[Path, Path], tiny_qwen3_dir: Path
) -> None:
    import signal
    import subprocess

    import httpx

    from tests.desktop.stderr_lines import StderrLines

    root, data_dir = indexed_project
    token = "keep-fresh-token-0123456789"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "serve",
            "--port",
            "0",
            "--token",
            token,
            "--data-dir",
            str(data_dir),
            "--model",
            str(tiny_qwen3_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    lines = StderrLines(proc.stderr)  # type: ignore[arg-type]
    try:
        url = lines.wait_for(r"OpenAI base URL: (http://\S+)/v1").group(1)
        lines.wait_for(r"keeping the index fresh: watching " + str(root))
        lines.wait_for(r"up to date: 0 files indexed")  # the catch-up found nothing new
        (root / "uploads.py").write_text(NEW_CODE)
        lines.wait_for(r"\d\d:\d\d:\d\d updated 1 file")
        answer = httpx.post(
            f"{url}/v1/search",
            json={"query": "rotate signing keys", "mode": "semantic", "limit": 50},
            headers={"Authorization": f"Bearer {token}"},
            timeout=DEADLINE_S,
        )
        assert answer.status_code == 200, answer.text
        assert "rotate_signing_keys" in [hit["symbol"] for hit in answer.json()["results"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(120) == 0, lines.rest()
