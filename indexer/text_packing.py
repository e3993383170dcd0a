"""Pack paragraphs into chunks that fit the model's token budget; split the ones that don't.

Shared by the Markdown/text/rst, PDF and DOCX chunkers. Each of them turns its document into
one ``source`` string, a list of ``Section`` (a symbol such as a heading path, plus the
offsets of its paragraphs in ``source``) and a function mapping an offset to the 1-based
"line" the user sees (a real line for text files, a page or paragraph number otherwise).

Packing never crosses a section boundary, so a chunk has exactly one symbol. Every chunk's
``embed_text`` (header + body) is checked with the real ``count_tokens`` before it is
returned, and re-split until it fits: the contract is that nothing is ever truncated.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.types import Chunk
from indexer.chunk_header import embed_text_for, header_only
from indexer.chunking import CountTokens, SkipFile

LineAt = Callable[[int], int]

# Tokens kept free for what summing separate counts misses (joins, merged word pieces).
_SAFETY_TOKENS = 2
_MIN_BODY_TOKENS = 8
_MAX_VERIFY_ROUNDS = 12

# Ever finer places to cut a span that is too long: lines, sentences, words, characters.
_LEVEL_LINES, _LEVEL_SENTENCES, _LEVEL_WORDS, _LEVEL_CHARS = range(4)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|(?<=[。！？；])")
_WHITESPACE = re.compile(r"\s+")
_NEWLINE = re.compile(r"\n")


@dataclass(slots=True)
class Section:
    """Paragraphs that share a symbol, as ``(start, end)`` offsets into the source, in order."""

    symbol: str | None
    blocks: list[tuple[int, int]] = field(default_factory=list)


HEADING_SEPARATOR = " > "


@dataclass(slots=True)
class _HeadedSection:
    level: int  # 0 for the text before the first heading
    heading_only: bool
    section: Section


class SectionCollector:
    """Builds sections from a stream of paragraphs and headings, tracking the heading path.

    A heading of level ``n`` closes every open heading of level ``>= n``; the symbol of
    the section it opens is the path of open headings joined by ``" > "``.
    """

    def __init__(self) -> None:
        self._path: list[tuple[int, str]] = []
        self._sections = [_HeadedSection(0, False, Section(None))]

    def add(self, span: tuple[int, int]) -> None:
        current = self._sections[-1]
        current.section.blocks.append(span)
        current.heading_only = False

    def heading(self, level: int, title: str, span: tuple[int, int]) -> None:
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, title or "(untitled)"))
        symbol = HEADING_SEPARATOR.join(t for _, t in self._path)
        self._sections.append(_HeadedSection(level, True, Section(symbol, [span])))

    def finish(self) -> list[Section]:
        """The sections, a heading with no text of its own given to the subsection below it.

        ``# Install`` directly followed by ``## Linux`` would otherwise be a chunk holding
        one word; the subsection's symbol already names it (``Install > Linux``).
        """
        result: list[Section] = []
        carried: list[tuple[int, int]] = []
        sections = self._sections
        for index, headed in enumerate(sections):
            blocks = carried + headed.section.blocks
            carried = []
            following = sections[index + 1] if index + 1 < len(sections) else None
            if headed.heading_only and following is not None and following.level > headed.level:
                carried = blocks
                continue
            result.append(Section(headed.section.symbol, blocks))
        return result


def newline_line_map(source: str) -> LineAt:
    """Offset -> 1-based line number, for sources that are the file's own text."""
    newlines = [m.start() for m in _NEWLINE.finditer(source)]
    return lambda offset: bisect_left(newlines, offset) + 1


def block_line_map(starts: list[int], lines: list[int]) -> LineAt:
    """Offset -> the line number of the block starting at or before it (pages, paragraphs)."""
    return lambda offset: lines[max(0, bisect_right(starts, offset) - 1)]


@dataclass(slots=True)
class _Span:
    symbol: str | None
    start: int
    end: int


class _Packer:
    def __init__(self, source: str, rel_path: str, max_tokens: int, count: CountTokens) -> None:
        self.source = source
        self.rel_path = rel_path
        self.max_tokens = max_tokens
        self.count = count
        self.header_tokens: dict[str | None, int] = {}

    def budget_for(self, symbol: str | None) -> int:
        budget = self.max_tokens - self.header_tokens[symbol] - _SAFETY_TOKENS
        if budget < _MIN_BODY_TOKENS:
            raise SkipFile(
                f"the file's path is too long to fit the model's {self.max_tokens} tokens"
            )
        return budget

    def pack(self, sections: list[Section]) -> list[_Span]:
        symbols = list(dict.fromkeys(section.symbol for section in sections))
        counts = self.count([header_only(self.rel_path, s) for s in symbols])
        self.header_tokens = dict(zip(symbols, counts, strict=True))

        blocks = [(section, b) for section in sections for b in section.blocks]
        block_tokens = self.count([self.source[s:e] for _, (s, e) in blocks])
        spans: list[_Span] = []
        units: list[tuple[int, int, int]] = []
        current: Section | None = None
        for (section, (start, end)), tokens in zip(blocks, block_tokens, strict=True):
            if section is not current:
                if current is not None:
                    spans.extend(self._greedy(current.symbol, units))
                current, units = section, []
            budget = self.budget_for(section.symbol)
            if tokens > budget:
                units.extend(self.split(start, end, budget, _LEVEL_LINES))
            else:
                units.append((start, end, tokens))
        if current is not None:
            spans.extend(self._greedy(current.symbol, units))
        return self._verified(spans)

    def _greedy(self, symbol: str | None, units: list[tuple[int, int, int]]) -> list[_Span]:
        budget = self.budget_for(symbol)
        return [_Span(symbol, s, e) for s, e, _ in _pack_units(units, budget, overlap=False)]

    def split(self, start: int, end: int, budget: int, level: int) -> list[tuple[int, int, int]]:
        """Cut ``source[start:end]`` into pieces of at most ``budget`` tokens (estimated).

        Neighbouring pieces share one small unit (a line or sentence) so a thought cut in
        two can still be found from either side.
        """
        if level >= _LEVEL_CHARS:
            return self._split_chars(start, end, budget)
        bounds = _cut_points(self.source, start, end, level)
        if len(bounds) <= 2:
            return self.split(start, end, budget, level + 1)
        pieces = list(itertools.pairwise(bounds))
        counts = self.count([self.source[s:e] for s, e in pieces])
        units: list[tuple[int, int, int]] = []
        for (s, e), tokens in zip(pieces, counts, strict=True):
            if tokens > budget:
                units.extend(self.split(s, e, budget, level + 1))
            else:
                units.append((s, e, tokens))
        return _pack_units(units, budget, overlap=True)

    def _split_chars(self, start: int, end: int, budget: int) -> list[tuple[int, int, int]]:
        """Last resort for a run with no spaces or punctuation (minified data, CJK, base64)."""
        total = self.count([self.source[start:end]])[0]
        width = max(1, int((end - start) * budget / max(total, 1) * 0.9))
        while True:
            windows = [(s, min(s + width, end)) for s in range(start, end, width)]
            counts = self.count([self.source[s:e] for s, e in windows])
            worst = max(counts)
            if worst <= budget or width == 1:
                return [(s, e, c) for (s, e), c in zip(windows, counts, strict=True)]
            width = max(1, min(width - 1, int(width * budget / worst * 0.9)))

    def _verified(self, spans: list[_Span]) -> list[_Span]:
        """Count every final embed text for real; re-split those over the limit until none is."""
        for _ in range(_MAX_VERIFY_ROUNDS):
            spans = [span for span in (self._trimmed(span) for span in spans) if span]
            texts = [self.embed_text(span) for span in spans]
            counts = self.count(texts)
            if all(c <= self.max_tokens for c in counts):
                return spans
            fixed: list[_Span] = []
            for span, tokens in zip(spans, counts, strict=True):
                if tokens <= self.max_tokens:
                    fixed.append(span)
                    continue
                budget = self.budget_for(span.symbol)
                tighter = max(1, budget - (tokens - self.max_tokens) - _SAFETY_TOKENS)
                for s, e, _ in self.split(span.start, span.end, tighter, _LEVEL_LINES):
                    fixed.append(_Span(span.symbol, s, e))
            spans = fixed
        raise SkipFile("could not cut the text into pieces that fit the model's input")

    def _trimmed(self, span: _Span) -> _Span | None:
        text = self.source[span.start : span.end]
        stripped = text.strip()
        if not stripped:
            return None
        start = span.start + (len(text) - len(text.lstrip()))
        return _Span(span.symbol, start, start + len(stripped))

    def embed_text(self, span: _Span) -> str:
        return embed_text_for(self.rel_path, span.symbol, self.source[span.start : span.end])


def _cut_points(source: str, start: int, end: int, level: int) -> list[int]:
    """Offsets where ``source[start:end]`` may be cut at this level, including both ends."""
    pattern = {_LEVEL_LINES: _NEWLINE, _LEVEL_SENTENCES: _SENTENCE_END, _LEVEL_WORDS: _WHITESPACE}[
        level
    ]
    points = [start]
    for match in pattern.finditer(source, start, end):
        if start < match.end() < end:
            points.append(match.end())
    points.append(end)
    return points


def _pack_units(
    units: list[tuple[int, int, int]], budget: int, *, overlap: bool
) -> list[tuple[int, int, int]]:
    """Greedily join consecutive ``(start, end, tokens)`` units up to ``budget`` tokens."""
    pieces: list[tuple[int, int, int]] = []
    i, n = 0, len(units)
    while i < n:
        j, total = i, units[i][2]
        while j + 1 < n and total + 1 + units[j + 1][2] <= budget:
            j += 1
            total += 1 + units[j][2]
        pieces.append((units[i][0], units[j][1], total))
        if j + 1 >= n:
            break
        # Repeat the last unit at the start of the next piece when it is small and the next
        # piece still gains a new unit; otherwise no overlap (and always progress).
        repeat = (
            overlap
            and j > i
            and units[j][2] <= budget // 4
            and units[j][2] + 1 + units[j + 1][2] <= budget
        )
        i = j if repeat else j + 1
    return pieces


def pack_sections(
    source: str,
    sections: list[Section],
    line_at: LineAt,
    *,
    language: str,
    rel_path: str,
    max_tokens: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Turn sections of paragraphs into text chunks that each fit ``max_tokens``."""
    sections = [s for s in sections if any(source[a:b].strip() for a, b in s.blocks)]
    if not sections:
        return []
    packer = _Packer(source, rel_path, max_tokens, count_tokens)
    chunks = []
    for span in packer.pack(sections):
        chunks.append(
            Chunk(
                start_line=line_at(span.start),
                end_line=line_at(span.end - 1),
                kind="text",
                language=language,
                symbol=span.symbol,
                text=source[span.start : span.end],
                embed_text=packer.embed_text(span),
            )
        )
    return chunks
