"""``kenning serve`` and ``kenning mcp`` as a user runs them: real subprocesses."""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import openai
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from desktop.serve_cli import register_cli
from engine.search import Searcher
from tests.engine.serve.conftest import TOKEN

REPO = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 180.0


def kenning(*args: str) -> list[str]:
    return [sys.executable, "-m", "desktop", *args]


class Lines:
    """Reads a process's stderr on a thread, so waiting for a line has a deadline."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line == "":
                break  # the process closed stderr: it exited
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        pytest.fail(f"no line matching {pattern!r}; stderr was:\n{''.join(self.seen)}")


def start_serve(*args: str) -> tuple[subprocess.Popen, Lines, str]:
    proc = subprocess.Popen(
        kenning("serve", "--port", "0", *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    lines = Lines(proc.stderr)
    url = lines.wait_for(r"OpenAI base URL: (http://\S+)/v1").group(1)
    return proc, lines, url


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_register_cli_adds_both_commands_with_the_shared_options():
    parser = argparse.ArgumentParser(prog="kenning")
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--port", "0", "--allow-host", "box.lan", "--data-dir", "d"])
    assert args.port == 0 and args.allow_host == ["box.lan"] and args.data_dir == Path("d")
    assert callable(args.func)
    args = parser.parse_args(["mcp", "--model", "offline", "--data-dir", "d"])
    assert callable(args.func) and args.model == "offline" and args.data_dir == Path("d")


def test_serve_subprocess_with_the_openai_client(tiny_qwen3_dir, indexed_data_dir, tiny_embedder):
    proc, lines, url = start_serve(
        "--data-dir", str(indexed_data_dir), "--model", str(tiny_qwen3_dir), "--token", TOKEN
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0)
        answer = client.embeddings.create(model=tiny_embedder.model_id, input=["hello"])
        assert len(answer.data[0].embedding) == tiny_embedder.dim
        hits = client.post(
            "/search", body={"query": "retry failed uploads", "limit": 2}, cast_to=object
        )
        assert [h["path"] for h in hits["results"]]
        lines.wait_for(r"token \(given on the command line\)")
    finally:
        assert stop(proc) == 0


def test_serve_generates_a_private_token_and_prints_it(tiny_qwen3_dir, tmp_path):
    proc, lines, url = start_serve(
        "--data-dir", str(tmp_path / "no-index"), "--model", str(tiny_qwen3_dir), "--no-search"
    )
    try:
        token_line = lines.wait_for(r"token \(stored in (\S+)\): (\S+)")
        path, token = Path(token_line.group(1)), token_line.group(2)
        assert path == Path(os.environ["XDG_CONFIG_HOME"]) / "kenning" / "serve-token"
        assert path.read_text().strip() == token
        assert path.stat().st_mode & 0o777 == 0o600
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0)
        assert client.models.list().data
    finally:
        assert stop(proc) == 0


def test_serve_refuses_a_port_in_use_before_loading_a_model(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            kenning(
                "serve",
                "--port",
                str(port),
                "--model",
                str(tmp_path / "never-loaded"),
                "--data-dir",
                str(tmp_path),
                "--token",
                TOKEN,
            ),
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=START_TIMEOUT_S,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_rejects_a_short_token(tmp_path):
    result = subprocess.run(
        kenning("serve", "--token", "short", "--data-dir", str(tmp_path)),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=START_TIMEOUT_S,
    )
    assert result.returncode != 0
    assert "at least 16 characters" in result.stderr


def test_mcp_stdio_search_tool(tiny_qwen3_dir, indexed_data_dir, tiny_embedder):
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "desktop",
            "mcp",
            "--data-dir",
            str(indexed_data_dir),
            "--model",
            str(tiny_qwen3_dir),
        ],
        cwd=str(REPO),
        env=dict(os.environ),  # the test's isolated XDG dirs and offline switches
    )

    async def session() -> tuple[list[str], object, object]:
        async with Client(params, read_timeout_seconds=START_TIMEOUT_S) as client:
            tools = await client.list_tools()
            found = await client.call_tool(
                "search", {"query": "retry failed uploads", "limit": 3, "kind": "code"}
            )
            failed = await client.call_tool("search", {"query": "x", "mode": "fuzzy"})
            return [t.name for t in tools.tools], found, failed

    names, found, failed = anyio.run(session)
    assert names == ["search"]
    assert not found.is_error
    searcher = Searcher(indexed_data_dir, tiny_embedder)
    try:
        want = searcher.search("retry failed uploads", limit=3, filters=_code())
    finally:
        searcher.close()
    assert found.structured_content == {
        "query": "retry failed uploads",
        "results": [r.to_json() for r in want],
    }
    assert failed.is_error


def _code():
    from engine.types import SearchFilters

    return SearchFilters(kind="code")
