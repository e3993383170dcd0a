"""``kenning mcp`` answers every line on its stdin, even those that are not JSON-RPC.

A real ``kenning mcp`` subprocess, written to and read from as raw lines, so the test sees
exactly what a client would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.engine.serve.test_cli import REPO, START_TIMEOUT_S

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "wire-test", "version": "1"},
    },
}


def mcp_args(data_dir: Path, model: Path) -> list[str]:
    return ["-m", "desktop", "mcp", "--data-dir", str(data_dir), "--model", str(model)]


def test_every_line_gets_an_answer(tiny_qwen3_dir, indexed_data_dir):
    lines = [
        b"this is not json\n",
        b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"q": "\xff\xfe"}}\n',
        b'{"jsonrpc": "2.0", "id": 2, "method": \n',
        b'{"what": "a JSON object, but no JSON-RPC message", "id": 3}\n',
        b"[1, 2\n",
        json.dumps(INITIALIZE).encode() + b"\n",
    ]
    proc = subprocess.run(
        [sys.executable, *mcp_args(indexed_data_dir, tiny_qwen3_dir)],
        input=b"".join(lines),
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=START_TIMEOUT_S,
    )
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(lines), (answers, proc.stderr.decode(errors="replace"))
    errors = [(a["id"], a["error"]["code"]) for a in answers[:5]]
    assert errors == [(None, -32700), (None, -32700), (None, -32700), (3, -32600), (None, -32700)]
    assert "not UTF-8" in answers[1]["error"]["message"]
    assert answers[5]["id"] == 7 and answers[5]["result"]["serverInfo"]["name"] == "kenning"
    stderr = proc.stderr.decode()
    assert stderr.count("Parse error") == 4, stderr
    assert stderr.count("Invalid Request") == 1, stderr
    assert proc.returncode == 0, stderr


def test_folder_filter_errors_are_clear(tiny_qwen3_dir, indexed_data_dir, project_tree):
    params = StdioServerParameters(
        command=sys.executable,
        args=mcp_args(indexed_data_dir, tiny_qwen3_dir),
        cwd=str(REPO),
        env=dict(os.environ),
    )

    async def session() -> list[object]:
        async with Client(params, read_timeout_seconds=START_TIMEOUT_S) as client:
            calls = [
                {"query": "retry", "mode": "lexical", "folder": "/tmp/a\x00b"},
                {"query": "retry", "mode": "lexical", "folder": "/elsewhere"},
                {"query": "retry upload", "mode": "lexical", "folder": f"{project_tree}/src"},
            ]
            return [await client.call_tool("search", c) for c in calls]

    nul, outside, inside = anyio.run(session)
    # The SDK puts "Error executing tool search: " before the message.
    assert nul.is_error
    assert nul.content[0].text.endswith(": filter 'folder' contains a NUL character")
    assert outside.is_error
    assert outside.content[0].text.endswith(
        f": not indexed: /elsewhere (indexed folders: {project_tree})"
    )
    assert not inside.is_error
    results = inside.structured_content["results"]
    assert results and all(r["path"].startswith(f"{project_tree}/src/") for r in results)
