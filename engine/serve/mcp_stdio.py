"""The stdio wire of ``kenning mcp``: every line the client sends gets an answer.

The MCP SDK's own stdio transport decodes stdin with ``errors="replace"`` (so a line that is
not UTF-8 is read as other text) and hands lines that are not JSON-RPC to the server as
exceptions, which it drops: the client then waits for its own timeout with nothing said
anywhere. Here each line is checked first; one that is not UTF-8 or not JSON gets JSON-RPC's
``-32700 Parse error`` and one that is JSON but not a JSON-RPC message ``-32600 Invalid
Request`` (with the request's id when it has one, else ``null``), and a line on stderr says
why. Valid lines go on to the SDK's transport unchanged, through its explicit-streams entry.

Like the SDK, the protocol keeps private copies of descriptors 0 and 1 and points them at
the null device and stderr while it serves, so stray output from libraries cannot corrupt
the protocol stream.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import BinaryIO

import anyio
import mcp_types as types

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


class _Output:
    """The protocol's stdout: whole lines, one writer at a time (the SDK's and ours)."""

    def __init__(self, wire: BinaryIO) -> None:
        self._wire = wire
        self._lock = threading.Lock()

    def write_line_now(self, text: str) -> None:
        with self._lock:
            self._wire.write(text.rstrip("\n").encode("utf-8") + b"\n")
            self._wire.flush()

    async def write(self, text: str) -> None:
        # The SDK writes each message as one call ending in a newline, then flushes.
        await anyio.to_thread.run_sync(self._write_locked, text)

    def _write_locked(self, text: str) -> None:
        with self._lock:
            self._wire.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await anyio.to_thread.run_sync(self._flush_locked)

    def _flush_locked(self) -> None:
        with self._lock:
            self._wire.flush()


class _CheckedInput:
    """The protocol's stdin as the SDK iterates it: only lines that are JSON-RPC messages.

    Any other line is answered here with a JSON-RPC error and never reaches the SDK.
    """

    def __init__(self, wire: BinaryIO, output: _Output) -> None:
        self._wire = wire
        self._output = output

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        while True:
            # abandon_on_cancel: a blocked read must not keep the server from shutting down.
            raw = await anyio.to_thread.run_sync(self._wire.readline, abandon_on_cancel=True)
            if not raw:
                return
            if not raw.strip():
                continue  # a blank line between messages is no message at all
            line = self._checked(raw)
            if line is not None:
                yield line

    def _checked(self, raw: bytes) -> str | None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._refuse(PARSE_ERROR, f"Parse error: the line is not UTF-8 (byte {exc.start})")
            return None
        try:
            parsed = json.loads(line)
        except ValueError as exc:
            self._refuse(PARSE_ERROR, f"Parse error: the line is not JSON ({exc})")
            return None
        try:
            types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except Exception:  # pydantic's ValidationError, and whatever else refuses the line
            request_id = parsed.get("id") if isinstance(parsed, dict) else None
            if not isinstance(request_id, str | int) or isinstance(request_id, bool):
                request_id = None
            self._refuse(INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message", request_id)
            return None
        return line

    def _refuse(self, code: int, message: str, request_id: str | int | None = None) -> None:
        log.warning("MCP: %s", message)
        answer = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
        self._output.write_line_now(json.dumps(answer))


@asynccontextmanager
async def checked_stdio() -> AsyncIterator[tuple[_CheckedInput, _Output]]:
    """stdin and stdout for the SDK's ``stdio_server(stdin=..., stdout=...)``."""
    sys.stdout.flush()
    wire_in = os.fdopen(os.dup(0), "rb")
    wire_out = os.fdopen(os.dup(1), "wb")
    saved_in, saved_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
        os.dup2(2, 1)  # a stray print lands on stderr, not in the protocol
    finally:
        os.close(null)
    output = _Output(wire_out)
    try:
        yield _CheckedInput(wire_in, output), output
    finally:
        with suppress(OSError, ValueError):
            wire_out.flush()
        # wire_in is left open: a worker thread may still be blocked reading it.
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        os.close(saved_in)
        os.close(saved_out)
