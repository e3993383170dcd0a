"""Source files into chunks along their definitions, using tree-sitter.

Each function, method and class becomes a chunk whose symbol is its path through the
enclosing classes, modules, namespaces and impl blocks (``ArgumentParser.parse_args``,
``Server.Start`` for a Go method, ``Foo.bar`` for a C++ ``Foo::bar`` or a Rust ``impl Foo``
method). Comments, attributes and decorators directly above a definition belong to it.

A class that fits the token budget stays one chunk. A larger one becomes its header (the
lines before its first member definition: signature, docstring, fields) plus a chunk per
member, recursively for nested classes. Lines outside any definition (imports, constants,
top-level statements) are grouped into one chunk per contiguous run, with the enclosing
class (or ``None`` at top level) as symbol, so every non-blank line of the file is in some
chunk. Anything still over the budget is split by ``chunk_lines.BudgetFitter``.

Chunking works on whole lines, so definitions sharing a line are chunked together; a
minified file (long lines on average) skips the parse and goes straight to line windows. A
file that does not parse cleanly is chunked from whatever tree-sitter recovered (it is
error-tolerant) rather than skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from engine.types import Chunk
from indexer.chunk_header import embed_text_for
from indexer.chunk_lines import BudgetFitter, CountTokens, Span, chunk_lines, split_lines
from indexer.code_rules import RULES, LanguageRules, supported_languages
from indexer.languages import get_parser

__all__ = ["chunk_code", "supported_languages"]

logger = logging.getLogger(__name__)

_COMMENT_TYPES = frozenset(
    {"comment", "line_comment", "block_comment", "multiline_comment", "haddock", "attribute_item"}
)
# At most this many nodes outside definitions are walked in search of more definitions: the
# walk is Python-speed, and only generated files (data tables, bundles) come near it.
_MAX_DESCENT_NODES = 200_000
# Files whose lines average more characters than this are minified or data: they have no line
# structure for definitions to follow, and parsing them is slow, so they go to line windows.
_MINIFIED_LINE_LENGTH = 400
_MINIFIED_MIN_CHARS = 20_000
# A run of lines outside definitions that only closes what came before (``}``, ``end``,
# ``});``) joins the chunk above it rather than becoming a chunk of its own.
_CLOSING_LINE = re.compile(
    r"^\s*(?:[()\[\]{}<>;,]+|end|fi|done|esac|@end|#\s*endif\b.*|end(?:if|while|for|foreach|function))"
    r"\s*[)\];,]*\s*(?://.*|/\*.*\*/|#.*|--.*)?$"
)
_MAX_CLOSING_LINES = 3


# -- finding definitions ------------------------------------------------------------------


@dataclass(slots=True)
class _Definition:
    symbol: str | None
    start: int  # 0-based rows, inclusive; start includes attached comments and decorators
    end: int
    node: Node | None  # None once merged with a neighbour: then it is never expanded
    container: bool


@dataclass(slots=True)
class _Piece:
    """A run of rows planned as one chunk (before the budget is applied)."""

    start: int
    end: int
    symbol: str | None
    definition: _Definition | None = None


def _end_row(node: Node, source: bytes) -> int:
    """The last row holding text of ``node``.

    Some grammars end a node after the whitespace that follows it (Scala's indented blocks
    reach into the next definition's indentation); that whitespace is not part of it.
    """
    end = node.end_byte
    start = node.start_byte
    trailing = end
    while trailing > start and source[trailing - 1] in b" \t\n\r\f\v":
        trailing -= 1
    return node.end_point.row - source.count(b"\n", trailing, end)


def _join(scope: str | None, name: str) -> str:
    return f"{scope}.{name}" if scope else name


class _DefinitionFinder:
    def __init__(self, rules: LanguageRules, source: bytes) -> None:
        self._rules = rules
        self._source = source

    def find(self, root: Node, scope: str | None) -> list[_Definition]:
        """Definitions below ``root`` that are not inside another definition, in file order.

        Walks with an explicit stack: deeply nested expressions would overflow recursion.
        """
        found: list[_Definition] = []
        definitions = self._rules.definitions
        wrappers = self._rules.wrappers
        scope_statements = self._rules.scope_statements
        covered_to = -1  # the last row of the last definition found
        visits_left = _MAX_DESCENT_NODES
        stack: list[tuple[Iterator[Node], str | None]] = [(iter(root.children), scope)]
        while stack:
            siblings, current_scope = stack[-1]
            node = next(siblings, None)
            if node is None:
                stack.pop()
                continue
            if not node.is_named:
                continue
            first_row, last_row = node.start_point.row, node.end_point.row
            if last_row <= covered_to:
                continue  # on rows a definition already holds: nothing more to find there
            if node.type in definitions:
                definition = self._definition(node, root, current_scope)
                if definition is not None:
                    found.append(definition)
                    covered_to = definition.end
                    continue
            if node.type in scope_statements:
                scope_name = scope_statements[node.type](node)
                if scope_name is not None:
                    stack[-1] = (siblings, _join(current_scope, scope_name))
                    continue
            # A one-line node can only hold one-line definitions, which are worth finding
            # only through wrappers (``export const f = () => 1;``); skipping the rest keeps
            # big one-line literals (data tables) cheap. The visit cap bounds generated files.
            if node.child_count and (last_row > first_row or node.type in wrappers):
                visits_left -= node.child_count
                if visits_left < 0:
                    logger.debug(
                        "Stopped looking for definitions after %d nodes", _MAX_DESCENT_NODES
                    )
                    break
                stack.append((iter(node.children), current_scope))
        return found

    def _definition(self, node: Node, root: Node, scope: str | None) -> _Definition | None:
        for rule in self._rules.definitions.get(node.type, ()):
            name = rule.name(node)
            if name:
                outer = self._outermost_wrapper(node, root)
                return _Definition(
                    symbol=_join(scope, name),
                    start=self._start_with_leading(outer),
                    end=_end_row(outer, self._source),
                    node=node,
                    container=rule.container,
                )
        return None

    def _outermost_wrapper(self, node: Node, root: Node) -> Node:
        while (
            node.parent is not None
            and node.parent != root
            and node.parent.type in self._rules.wrappers
        ):
            node = node.parent
        return node

    def _is_leading(self, node: Node) -> bool:
        if node.type in _COMMENT_TYPES:
            return True
        return self._rules.leading is not None and self._rules.leading(node)

    def _start_with_leading(self, node: Node) -> int:
        """The first row of ``node`` with the comments/attributes directly above it."""
        start = node.start_point.row
        previous = node.prev_named_sibling
        while previous is not None and self._is_leading(previous):
            if _end_row(previous, self._source) < start - 1:
                break  # a blank line between: it is not about this definition
            before = previous.prev_sibling
            if (
                before is not None
                and before.end_point.row == previous.start_point.row
                and not self._is_leading(before)
            ):
                break  # a comment trailing code on its line belongs to that code
            start = previous.start_point.row
            previous = previous.prev_named_sibling
        return start


# -- planning chunks ----------------------------------------------------------------------


def _is_closing_run(lines: Sequence[str], start: int, end: int) -> bool:
    content = [line for line in lines[start : end + 1] if line.strip()]
    return 0 < len(content) <= _MAX_CLOSING_LINES and all(
        _CLOSING_LINE.match(line) for line in content
    )


def _merge_neighbours(
    definitions: list[_Definition], lines: Sequence[str], scope: str | None
) -> list[_Definition]:
    """Merge definitions that share a row, and consecutive clauses of one name.

    Line-based chunks cannot separate definitions on one row. Consecutive same-named
    definitions separated only by blank lines are clauses or overloads of one thing (Haskell
    and Elixir equations, a TypeScript overload list, a Python property and its setter).
    """
    merged: list[_Definition] = []
    for definition in sorted(definitions, key=lambda d: (d.start, d.end)):
        if merged:
            last = merged[-1]
            shares_row = definition.start <= last.end
            same_name = (
                definition.symbol == last.symbol
                and not definition.container
                and not last.container
                and not any(line.strip() for line in lines[last.end + 1 : definition.start])
            )
            if shares_row or same_name:
                symbol = last.symbol if last.symbol == definition.symbol else scope
                merged[-1] = _Definition(
                    symbol, last.start, max(last.end, definition.end), None, False
                )
                continue
        merged.append(definition)
    return merged


def _plan(
    start: int,
    end: int,
    definitions: list[_Definition],
    scope: str | None,
    lines: Sequence[str],
) -> list[_Piece]:
    """Pieces covering rows ``start``..``end``: one per definition, one per run between."""
    pieces: list[_Piece] = []
    pending_closing: tuple[int, int] | None = None

    def add_run(first: int, last: int) -> None:
        nonlocal pending_closing
        while first <= last and not lines[first].strip():
            first += 1
        while last >= first and not lines[last].strip():
            last -= 1
        if first > last:
            return
        if _is_closing_run(lines, first, last):
            if pieces:
                pieces[-1].end = last
            else:
                pending_closing = (first, last)
            return
        pieces.append(_Piece(first, last, scope))

    cursor = start
    for definition in _merge_neighbours(definitions, lines, scope):
        add_run(cursor, definition.start - 1)
        piece = _Piece(definition.start, definition.end, definition.symbol, definition)
        if pending_closing is not None:
            piece.start, pending_closing = pending_closing[0], None
        pieces.append(piece)
        cursor = definition.end + 1
    add_run(cursor, end)
    if pending_closing is not None:
        pieces.append(_Piece(pending_closing[0], pending_closing[1], scope))
    return pieces


class _CodeChunker:
    def __init__(
        self,
        lines: Sequence[str],
        source: bytes,
        rules: LanguageRules,
        fitter: BudgetFitter,
        *,
        rel_path: str,
        max_tokens: int,
        count_tokens: CountTokens,
    ) -> None:
        self._lines = lines
        self._finder = _DefinitionFinder(rules, source)
        self._fitter = fitter
        self._rel_path = rel_path
        self._max_tokens = max_tokens
        self._count_tokens = count_tokens

    def chunk(self, root: Node) -> list[Chunk]:
        pieces = _plan(0, len(self._lines) - 1, self._finder.find(root, None), None, self._lines)
        spans: list[Span] = []
        counts: list[int] = []
        # Count a whole level in one call; only oversized classes open up into the next level.
        while pieces:
            texts = [
                embed_text_for(
                    self._rel_path, p.symbol, self._fitter.body(Span(p.start, p.end, p.symbol))
                )
                for p in pieces
            ]
            opened: list[_Piece] = []
            for piece, tokens in zip(pieces, self._count_tokens(texts), strict=True):
                members = self._open(piece) if tokens > self._max_tokens else None
                if members:
                    opened.extend(members)
                else:
                    spans.append(Span(piece.start, piece.end, piece.symbol))
                    counts.append(tokens)
            pieces = opened
        return self._fitter.fit(spans, counts)

    def _open(self, piece: _Piece) -> list[_Piece] | None:
        """An oversized class as its header plus its members; ``None`` if it has none."""
        definition = piece.definition
        if definition is None or not definition.container or definition.node is None:
            return None
        members = self._finder.find(definition.node, definition.symbol)
        if not members:
            return None
        first = min(member.start for member in members)
        if first <= piece.start:
            return None  # a member on the header's own row: no header to split off
        header = _Piece(piece.start, first - 1, piece.symbol)
        return [header, *_plan(first, piece.end, members, piece.symbol, self._lines)]


def _looks_minified(text: str) -> bool:
    return (
        len(text) >= _MINIFIED_MIN_CHARS
        and len(text) / (text.count("\n") + 1) > _MINIFIED_LINE_LENGTH
    )


def chunk_code(
    text: str,
    language: str,
    rel_path: str,
    *,
    max_tokens: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Chunk a source file along its definitions; languages without rules fall back to lines.

    Chunks are in file order, ``kind="code"``, with 1-based inclusive line spans, and each
    ``count_tokens([chunk.embed_text])[0] <= max_tokens``.
    """
    rules = RULES.get(language)
    parser = get_parser(language) if rules is not None else None
    if rules is None or parser is None or _looks_minified(text):
        return chunk_lines(
            text, language, rel_path, max_tokens=max_tokens, count_tokens=count_tokens
        )
    lines = split_lines(text)
    # Surrogates (from lenient decoding) cannot be encoded; replacing them keeps rows intact.
    source = text.encode("utf-8", "replace")
    tree = parser.parse(source)
    if tree.root_node.has_error:
        logger.debug("%s has syntax errors; chunking what tree-sitter recovered", rel_path)
    fitter = BudgetFitter(
        lines,
        rel_path=rel_path,
        language=language,
        kind="code",
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    chunker = _CodeChunker(
        lines,
        source,
        rules,
        fitter,
        rel_path=rel_path,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    return chunker.chunk(tree.root_node)
