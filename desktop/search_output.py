"""``kenning search`` answers: the query syntax applied, results grouped by file, colours.

The same steps as the window's: the query's operators become filters, phrases and
excluded words are checked against each chunk's text, the junk tail is cut, and a file
keeps at most ``per_file`` hits. Human output shows one heading per file with its hits
under it; matches are coloured only when stdout is a terminal (and ``NO_COLOR`` is unset).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from engine.query_syntax import ParsedQuery, keep_result, parse_query
from engine.relevance import relevance, trim_tail, weak_match
from engine.reranker import Reranker, RerankPolicy
from engine.result_groups import group_by_file
from engine.search import Searcher
from engine.types import SearchFilters, SearchMode, SearchResult

_BOLD, _DIM, _MATCH, _PATH, _RESET = "\033[1m", "\033[2m", "\033[1;31m", "\033[1;35m", "\033[0m"
_SNIPPET_LINES = 4
_LINE_CHARS = 120


@dataclass(frozen=True, slots=True)
class Answer:
    query: str
    parsed: ParsedQuery
    results: list[SearchResult]
    weak: bool


def answer(
    searcher: Searcher,
    query: str,
    *,
    mode: SearchMode,
    limit: int,
    filters: SearchFilters,
    per_file: int | None = None,
    floor: bool = True,
    reranker: Reranker | None = None,
    rerank_policy: RerankPolicy | None = None,
) -> Answer:
    """Search ``query`` (syntax included) and return at most ``limit`` results."""
    parsed = parse_query(query)
    # Phrases, excluded words and the per-file cap drop results after ranking: fetch more.
    fetch = limit * 3 if (parsed.needs_text_check or per_file) else limit
    results = searcher.search(
        parsed.text,
        mode=mode,
        limit=fetch,
        filters=parsed.filters(filters),
        reranker=reranker,
        rerank_policy=rerank_policy,
    )
    if parsed.needs_text_check:
        texts = searcher.chunk_texts([r.chunk_id for r in results])
        results = [r for r in results if keep_result(texts.get(r.chunk_id, ""), parsed)]
    model_id = searcher.embedder.model_id if searcher.embedder is not None else None
    if floor:
        results = trim_tail(results, model_id=model_id)
    if per_file:
        results = [hit for g in group_by_file(results, per_file) for hit in g.hits]
        # Grouping kept files in rank order; the flat list goes back to rank order.
        order = {id(r): i for i, r in enumerate(results)}
        results.sort(key=lambda r: order[id(r)])
    results = results[:limit]
    weak = mode != "lexical" and weak_match(results, model_id, anchored=parsed.anchored)
    return Answer(query, parsed, results, weak)


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def print_grouped(
    ans: Answer, mode: SearchMode, *, multiple: bool, colour: bool, out: TextIO = sys.stdout
) -> None:
    """One heading per file (best hit first), its hits under it with a few snippet lines."""
    paint = _painter(colour)
    if multiple:
        out.write(f"## {ans.query}\n")
    if not ans.results:
        out.write("No results.\n")
    elif ans.weak:
        out.write("No good match: nothing indexed is close to the query; the nearest are:\n")
    words = _highlight_words(ans.parsed)
    for number, group in enumerate(group_by_file(ans.results), 1):
        best = group.best
        kind = f"[{best.language}/{best.kind}]" if best.language else f"[{best.kind}]"
        out.write(f"{number:>2}. {paint(group.path, _PATH)}  {paint(kind, _DIM)}\n")
        for hit in group.hits:
            symbol = f"  {hit.symbol}" if hit.symbol else ""
            score = relevance(hit, mode)
            out.write(
                f"    {paint(f'{hit.start_line}-{hit.end_line}', _BOLD)}{symbol}"
                f"  {paint(f'relevance {score}', _DIM)}\n"
            )
            for line in hit.snippet.splitlines()[:_SNIPPET_LINES]:
                out.write(f"      {_mark(line[:_LINE_CHARS], words, colour)}\n")
    if multiple:
        out.write("\n")


def _painter(colour: bool) -> Callable[[str, str], str]:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    return paint


def _highlight_words(parsed: ParsedQuery) -> re.Pattern[str] | None:
    words = [w for w in re.findall(r"\w+", parsed.free) if len(w) > 1]
    words += list(parsed.phrases)
    if not words:
        return None
    alternatives = sorted({re.escape(w) for w in words}, key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _mark(line: str, words: re.Pattern[str] | None, colour: bool) -> str:
    if not colour or words is None:
        return line
    return words.sub(lambda m: f"{_MATCH}{m.group()}{_RESET}", line)
