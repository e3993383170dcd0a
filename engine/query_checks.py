"""What a query and its filters must be before a search runs, with one clear line if not.

Every front end (CLI, HTTP, MCP, the window) reaches the searcher with text a user typed or a
program sent, so the checks live here once: a query SQLite can store and bounded in size, and
a folder filter that names a folder of the index (or one inside it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.errors import KenningError

# Longer queries are refused. A question or a pasted function fits with room to spare, and
# the semantic side reads only the model's first few hundred tokens anyway; without a bound a
# 100 kB paste cost seconds of lexical work (docs/BENCHMARKS.md, "Long queries").
MAX_QUERY_CHARS = 10_000


def check_query(query: str | None) -> str:
    """``query`` stripped; :class:`KenningError` when it is empty, too long or not text."""
    query = (query or "").strip()
    if not query:
        raise KenningError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise KenningError(
            f"the query is {len(query):,} characters long; at most {MAX_QUERY_CHARS:,} are "
            "accepted: shorten it to the words or the lines that matter"
        )
    check_text(query, "the query")
    return query


def check_text(value: str, name: str) -> None:
    """Refuse text SQLite and a JSON answer cannot carry: NUL characters, lone surrogates."""
    if "\x00" in value:
        raise KenningError(f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # JSON's \ud800 escapes and undecodable command-line bytes (surrogateescape) both
        # arrive as lone surrogates, which are no characters at all.
        raise KenningError(
            f"{name} is not valid Unicode (a lone surrogate at position {exc.start})"
        ) from None


def folder_in_index(folder: str, indexed: Iterable[str]) -> str:
    """``folder`` (absolute, resolved) if it is an indexed folder or inside one.

    Raises :class:`KenningError` naming the indexed folders otherwise, so a typo or a folder
    never indexed is not answered with a silent "No results.".
    """
    check_text(folder, "the folder")
    roots = sorted(indexed)
    path = Path(folder)
    for root in roots:
        if path == Path(root) or Path(root) in path.parents:
            return str(path)
    listed = ", ".join(roots) if roots else "none yet"
    raise KenningError(f"not indexed: {folder} (indexed folders: {listed})")
