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

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.types import Chunk
from indexer.chunk_header import embed_text_for, header_only
from indexer.chunk_types import CountTokens, SkipFile

LineAt = Callable[[int], int]

# Tokens kept free for what summing separate counts misses (joins, merged word pieces).
_SAFETY_TOKENS = 2
_MIN_BODY_TOKENS = 8
_MAX_VERIFY_ROUNDS = 12

# Windows are cut from an estimate; aiming under the budget means the verifying count
# rarely sends one back. Neighbours share up to this fraction of a window.
_TARGET_FRACTION = 0.85
_OVERLAP_FRACTION = 0.1
# Blocks longer than this are estimated from samples instead of counted whole.
_EXACT_COUNT_CHARS = 24_000
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

    def pack(self, sections: list[Section]) -> list[tuple[_Span, int]]:
        """The chunks' spans, each with the measured token count of its embedded text."""
        symbols = list(dict.fromkeys(section.symbol for section in sections))
        counts = self.count([header_only(self.rel_path, s) for s in symbols])
        self.header_tokens = dict(zip(symbols, counts, strict=True))

        blocks = [(section, b) for section in sections for b in section.blocks]
        # Huge blocks are not counted whole: they are cut from a sampled rate and only the
        # final chunks are counted, so a 5 MB one-line file is tokenized about once.
        short = [(s, e) for _, (s, e) in blocks if e - s <= _EXACT_COUNT_CHARS]
        short_counts = iter(self.count([self.source[s:e] for s, e in short]))
        spans: list[_Span] = []
        units: list[tuple[int, int, int]] = []
        current: Section | None = None
        for section, (start, end) in blocks:
            if section is not current:
                if current is not None:
                    spans.extend(self._greedy(current.symbol, units))
                current, units = section, []
            budget = self.budget_for(section.symbol)
            tokens = next(short_counts) if end - start <= _EXACT_COUNT_CHARS else None
            if tokens is None or tokens > budget:
                units.extend(self.split(start, end, budget, tokens))
            else:
                units.append((start, end, tokens))
        if current is not None:
            spans.extend(self._greedy(current.symbol, units))
        return self._verified(spans)

    def _greedy(self, symbol: str | None, units: list[tuple[int, int, int]]) -> list[_Span]:
        budget = self.budget_for(symbol)
        return [_Span(symbol, s, e) for s, e, _ in _pack_units(units, budget)]

    def split(
        self, start: int, end: int, budget: int, total: int | None = None
    ) -> list[tuple[int, int, int]]:
        """Cut ``source[start:end]`` into pieces of about ``budget`` tokens, estimated.

        Counting is the expensive part, so the span is never counted word by word: a count
        of the span (or of a sample, for huge spans) gives a tokens-per-character rate, and
        windows are cut a little under the budget at the best boundary near their end (line,
        then sentence, then space, else anywhere). ``_verified`` counts the final chunks and
        sends a window the estimate got wrong back here with its own measured count.
        Neighbouring windows overlap by a line or a sentence when one is close, so a thought
        cut in two is findable from either side.
        """
        length = end - start
        if total is None:
            if length <= _EXACT_COUNT_CHARS:
                total = self.count([self.source[start:end]])[0]
            else:
                total = self._sampled_total(start, end)
        if total <= budget or length <= 1:
            return [(start, end, total)]
        rate = total / length
        return [
            (s, e, math.ceil((e - s) * rate))
            for s, e in _windows(self.source, start, end, budget, total)
        ]

    def _sampled_total(self, start: int, end: int) -> int:
        """Estimate a huge span's tokens from samples at its start, middle and end."""
        size = _EXACT_COUNT_CHARS // 3
        middle = start + (end - start) // 2
        samples = [(start, start + size), (middle, middle + size), (end - size, end)]
        counted = sum(self.count([self.source[s:e] for s, e in samples]))
        return math.ceil(counted / (3 * size) * (end - start))

    def _verified(self, spans: list[_Span]) -> list[tuple[_Span, int]]:
        """Count every final embed text for real; re-split those over the limit until none is.

        Each span comes back with its count, which the chunk records.

        Only spans not yet counted are counted in each round, so a file whose estimate was
        off in one region does not pay for re-counting the rest.
        """
        pending: list[tuple[_Span, int | None]] = [(span, None) for span in spans]
        for _ in range(_MAX_VERIFY_ROUNDS):
            trimmed = [(t, known) for span, known in pending if (t := self._trimmed(span))]
            unknown = [span for span, known in trimmed if known is None]
            counted = iter(self.count([self.embed_text(span) for span in unknown]))
            measured = [
                (span, known if known is not None else next(counted)) for span, known in trimmed
            ]
            if all(tokens <= self.max_tokens for _, tokens in measured):
                return measured
            pending = []
            for span, tokens in measured:
                if tokens <= self.max_tokens:
                    pending.append((span, tokens))
                    continue
                # Cut again from the measured count: the estimate it was cut from was wrong.
                budget = self.budget_for(span.symbol)
                body = max(tokens - self.header_tokens[span.symbol], budget + 1)
                for s, e, _ in self.split(span.start, span.end, budget, body):
                    pending.append((_Span(span.symbol, s, e), None))
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


def _windows(source: str, start: int, end: int, budget: int, total: int) -> list[tuple[int, int]]:
    """Windows of about ``budget`` tokens at ``total / (end - start)`` tokens per character."""
    width = max(1, min(end - start - 1, int((end - start) * budget / total * _TARGET_FRACTION)))
    overlap = int(width * _OVERLAP_FRACTION)
    windows: list[tuple[int, int]] = []
    position = start
    while position < end:
        limit = position + width
        if limit >= end:
            windows.append((position, end))
            break
        cut = _last_boundary(source, position + width // 2, limit)
        windows.append((position, cut))
        position = _first_boundary(source, max(position + 1, cut - overlap), cut)
    return windows


def _last_boundary(source: str, low: int, high: int) -> int:
    """The offset after the last line end, sentence end or space in ``[low, high)``."""
    newline = source.rfind("\n", low, high)
    if newline >= 0:
        return newline + 1
    last = None
    for last in _SENTENCE_END.finditer(source, low, high):  # noqa: B007 - we want the last
        pass
    if last is not None and last.end() > low:
        return last.end()
    space = max(source.rfind(" ", low, high), source.rfind("\t", low, high))
    return space + 1 if space >= 0 else high


def _first_boundary(source: str, low: int, high: int) -> int:
    """Where the next window starts: the first line, sentence or word start in ``[low, high)``.

    The text from there to ``high`` is repeated (the overlap); ``high`` means none.
    """
    newline = source.find("\n", low, high)
    if 0 <= newline < high - 1:
        return newline + 1
    sentence = _SENTENCE_END.search(source, low, high)
    if sentence is not None and sentence.end() < high:
        return sentence.end()
    space = _WHITESPACE.search(source, low, high)
    if space is not None and space.end() < high:
        return space.end()
    return high


def _pack_units(units: list[tuple[int, int, int]], budget: int) -> list[tuple[int, int, int]]:
    """Greedily join consecutive ``(start, end, tokens)`` units up to ``budget`` tokens."""
    pieces: list[tuple[int, int, int]] = []
    i, n = 0, len(units)
    while i < n:
        j, total = i, units[i][2]
        while j + 1 < n and total + 1 + units[j + 1][2] <= budget:
            j += 1
            total += 1 + units[j][2]
        pieces.append((units[i][0], units[j][1], total))
        i = j + 1
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
    for span, tokens in packer.pack(sections):
        chunks.append(
            Chunk(
                start_line=line_at(span.start),
                end_line=line_at(span.end - 1),
                kind="text",
                language=language,
                symbol=span.symbol,
                text=source[span.start : span.end],
                embed_text=packer.embed_text(span),
                tokens=tokens,
            )
        )
    return chunks
