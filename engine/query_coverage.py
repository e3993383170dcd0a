"""How much of a query a lexically matched chunk actually holds.

FTS5 ranks by bm25 over the OR of the query's words, so a chunk that holds one common word of
a long question still "matches". For the fusion that is the difference between a real lexical
hit and noise: a Chinese question over English code ("把对象序列化成 JSON 字符串") matches
every chunk that says "json", and nothing else of it. ``coverage`` is the share of the query's
words (weighted, see ``word_weight``) that a chunk holds, with the same matching rules as the
FTS5 expression: the words are taken from ``query_clauses``, so the two cannot disagree.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from engine.lexical_tokens import document_tokens, is_cjk_run, query_clauses

_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of the query: it is held when every term of any alternative is."""

    alternatives: tuple[tuple[_Term, ...], ...]
    weight: float


class ChunkTerms:
    """The FTS5 tokens of one chunk (symbol, path, body), for exact and prefix look-ups."""

    def __init__(self, symbol: str | None, rel_path: str, text: str) -> None:
        # No token spans whitespace, so tokenising each distinct whitespace-separated piece
        # once gives the same set at a fraction of the cost (code repeats its words).
        pieces = " ".join({*text.split(), *(symbol or "").split(), rel_path})
        tokens = set(document_tokens(pieces).split())
        self._tokens = tokens
        self._sorted = sorted(tokens)

    def has(self, term: _Term) -> bool:
        if not term.prefix:
            return term.text in self._tokens
        i = bisect.bisect_left(self._sorted, term.text)
        return i < len(self._sorted) and self._sorted[i].startswith(term.text)


def query_words(query: str) -> list[QueryWord]:
    """The query's words as ``query_clauses`` builds them, each with its weight."""
    words = []
    for clause in query_clauses(query):
        alternatives = _alternatives(clause)
        if alternatives:
            words.append(QueryWord(alternatives, word_weight(alternatives)))
    return words


def word_weight(alternatives: tuple[tuple[_Term, ...], ...]) -> float:
    """1 per word; a run of Chinese/Japanese/Korean characters counts one per two characters.

    The query tokenizer keeps a CJK run whole ("把对象序列化成" is one clause of six bigrams):
    counted as one word it would weigh as little as "JSON" next to it, though it says most
    of what is asked.
    """
    first = alternatives[0]
    if all(is_cjk_run(t.text) for t in first):
        characters = len(first) + 1 if all(len(t.text) == 2 for t in first) else len(first)
        return max(1.0, characters / 2)
    return 1.0


def coverage(words: list[QueryWord], chunk: ChunkTerms) -> float:
    """The weighted share of ``words`` that ``chunk`` holds, in [0, 1] (1 for no words)."""
    total = sum(w.weight for w in words)
    if total <= 0:
        return 1.0
    held = sum(
        w.weight for w in words if any(all(chunk.has(t) for t in alt) for alt in w.alternatives)
    )
    return held / total


def _alternatives(clause: str) -> tuple[tuple[_Term, ...], ...]:
    """Parse one clause of ``query_clauses``: ``"t"``, ``"t"*``, ``("a" AND "b")``,
    ``("whole" OR ("p1" AND "p2"))`` or a cross-language ``(("解析") OR "pars"* OR ...)``:
    the OR-ed alternatives at the top level, each the AND of its terms."""
    body = clause[1:-1] if _wrapped(clause) else clause
    alternatives = tuple(terms for part in _top_level_or(body) if (terms := _terms(part)))
    return alternatives


def _wrapped(expression: str) -> bool:
    """Whether the whole expression is one parenthesised group."""
    if not expression.startswith("("):
        return False
    depth = 0
    for i, ch, quoted in _scan(expression):
        if quoted:
            continue
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(expression) - 1
    return False


def _top_level_or(expression: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch, quoted in _scan(expression):
        if quoted:
            continue
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and expression.startswith(" OR ", i):
            parts.append(expression[start:i])
            start = i + 4
    parts.append(expression[start:])
    return parts


def _scan(expression: str) -> list[tuple[int, str, bool]]:
    """(index, character, inside a quoted term) for each character; ``""`` is an escape."""
    out: list[tuple[int, str, bool]] = []
    quoted = False
    for i, ch in enumerate(expression):
        if ch == '"':
            quoted = not quoted  # an escaped "" toggles twice, leaving it quoted
            out.append((i, ch, True))
            continue
        out.append((i, ch, quoted))
    return out


def _terms(expression: str) -> tuple[_Term, ...]:
    return tuple(
        _Term(m.group(1).replace('""', '"'), m.group(2) == "*") for m in _TERM.finditer(expression)
    )
