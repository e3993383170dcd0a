"""``kenning mcp``: a Model Context Protocol server on stdio with a ``search`` tool.

Coding agents start it as a subprocess and search the user's code and notes through it.
The handshake is answered at once; the embedding model loads at the first search. Nothing
but the protocol may go to stdout, so everything else is logged (to stderr). The ``mcp``
SDK is imported here only, so only ``kenning mcp`` pays for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.stdio import stdio_server
from mcp_types import ToolAnnotations
from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from engine.serve.api_errors import ApiError
from engine.serve.mcp_stdio import checked_stdio
from engine.serve.search_api import DEFAULT_LIMIT, MAX_LIMIT, SearchApi
from engine.types import Embedder

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Kenning searches the user's indexed folders of code and documents by meaning and by "
    "keywords. Describe what the code does or what a note says (e.g. 'retry failed uploads "
    "with backoff'); results give an absolute path, a 1-based line span, the symbol and a "
    "snippet."
)
SEARCH_DESCRIPTION = (
    "Search the user's indexed code and notes. Returns the best matching chunks with path, "
    "start_line/end_line (1-based, inclusive), kind (code or text), language, symbol, "
    "snippet and score; the same fields as `kenning search --json`."
)


class SearchHit(TypedDict):
    path: str
    start_line: int
    end_line: int
    score: float
    kind: Literal["code", "text"]
    language: str
    symbol: str | None
    snippet: str
    similarity: float | None
    lexical_rank: int | None
    semantic_rank: int | None


class SearchAnswer(TypedDict):
    query: str
    results: list[SearchHit]


def build_mcp_server(search: SearchApi) -> MCPServer:
    """An MCP server whose ``search`` tool answers through ``search``."""
    server = MCPServer(name="kenning", instructions=INSTRUCTIONS)

    @server.tool(
        name="search",
        title="Search code and notes",
        description=SEARCH_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    )
    async def search_tool(
        query: Annotated[str, Field(description="what to look for, in words or identifiers")],
        limit: Annotated[
            int, Field(ge=1, le=MAX_LIMIT, description="how many results")
        ] = DEFAULT_LIMIT,
        mode: Annotated[
            Literal["hybrid", "semantic", "lexical"],
            Field(description="hybrid (default), semantic (meaning) or lexical (keywords)"),
        ] = "hybrid",
        path_glob: Annotated[
            str | None, Field(description="only paths matching this glob, e.g. '*.py'")
        ] = None,
        language: Annotated[
            str | None, Field(description="only this language, e.g. python, markdown")
        ] = None,
        kind: Annotated[
            Literal["code", "text"] | None, Field(description="only code or only documents")
        ] = None,
        folder: Annotated[
            str | None, Field(description="only results under this indexed folder")
        ] = None,
    ) -> SearchAnswer:
        body = {
            "query": query,
            "limit": limit,
            "mode": mode,
            "filters": {
                "path_glob": path_glob,
                "language": language,
                "kind": kind,
                "folder": folder,
            },
        }
        try:
            # The model and SQLite block: keep the event loop free for the protocol.
            answer = await anyio.to_thread.run_sync(search.search, body)
        except ApiError as exc:
            raise ToolError(exc.message) from None
        return answer  # type: ignore[return-value]  # to_json() has exactly SearchHit's keys

    return server


def run_stdio(
    data_dir: Path,
    embedder: Callable[[], Embedder | None],
    *,
    vectors: Callable[[], Any] | None = None,
) -> None:
    """Serve MCP on stdin/stdout until the client closes the pipe.

    ``vectors``: the live vector index of an indexer keeping this index fresh (SearchApi).
    """
    search = SearchApi(data_dir, embedder, vectors=vectors)
    try:
        anyio.run(_serve_stdio, build_mcp_server(search))
    finally:
        search.close()


async def _serve_stdio(server: MCPServer) -> None:
    # MCPServer.run("stdio") would use the SDK's transport on the raw stdin, which leaves
    # unparsable lines unanswered; this is its run_stdio_async with checked streams.
    async with (
        checked_stdio() as (stdin, stdout),
        stdio_server(stdin=stdin, stdout=stdout) as (read_stream, write_stream),  # type: ignore[arg-type]
    ):
        lowlevel = server._lowlevel_server
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
