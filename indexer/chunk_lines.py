"""Line windows with overlap: the chunker for text files no other chunker understands, and the
splitter every line-based chunker uses for a span over the token budget.

The budget rule (docs/INTERNALS.md): every chunk's ``count_tokens([embed_text])[0]`` is at most
``max_tokens``. Counting is the expensive part of chunking, so spans are never counted line by
line: a span's token count gives a tokens-per-character rate, windows are cut from that
estimate a little under the budget, and all windows are then verified in one batched call.
The rare window the estimate got wrong is cut again from its own, measured count. A single
line over the budget (minified code, a data blob) is cut by characters the same way.

Kinds: chunks of prose-like languages (``TEXT_LANGUAGES``: plain text, Markdown, reST,
AsciiDoc, Org, LaTeX) are ``"text"``; everything else chunked here (JSON, YAML, TOML, HTML,
CSS, SQL, Makefiles, Dockerfiles, languages without a grammar, ...) is ``"code"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from engine.types import Chunk, ChunkKind
from indexer.chunk_header import embed_text_for, header_only

logger = logging.getLogger(__name__)

CountTokens = Callable[[list[str]], list[int]]

TEXT_LANGUAGES: frozenset[str] = frozenset({"text", "markdown", "rst", "asciidoc", "org", "latex"})

# Consecutive windows share about this fraction of their lines, so a statement cut at a
# window edge is still whole in one of the two.
OVERLAP_FRACTION = 0.12
# Windows are cut from an estimate; aiming under the budget means the verifying count
# almost never sends a window back to be cut again.
_TARGET_FRACTION = 0.9
# A window may end early at a blank line if that keeps at least this fraction of it.
_BLANK_BREAK_FRACTION = 0.6
# Fewer tokens than this left for the body after the header cannot carry a useful chunk.
_MIN_BODY_TOKENS = 4


def split_lines(text: str) -> list[str]:
    """The file's lines as editors number them (``\\n``-separated, ``\\r`` dropped).

    ``str.splitlines`` is not used because it also breaks at form feeds and Unicode line
    separators, which would put line numbers out of step with editors and tree-sitter.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def kind_for_language(language: str) -> ChunkKind:
    """``"text"`` for prose-like languages, ``"code"`` for everything else."""
    return "text" if language in TEXT_LANGUAGES else "code"


@dataclass(frozen=True, slots=True)
class Span:
    """Rows ``start``..``end`` (0-based, inclusive) of a file, to become one or more chunks.

    ``cols`` narrows a one-row span to a character range of that row (a piece of a line too
    long for one chunk).
    """

    start: int
    end: int
    symbol: str | None
    cols: tuple[int, int] | None = None


class BudgetFitter:
    """Turns spans of one file's lines into chunks whose embedded text fits ``max_tokens``.

    Spans that fit become one chunk each; longer ones are split into overlapping windows that
    keep the span's symbol. Blank lines at a span's edges are left out of its chunk.
    """

    def __init__(
        self,
        lines: Sequence[str],
        *,
        rel_path: str,
        language: str,
        kind: ChunkKind,
        max_tokens: int,
        count_tokens: CountTokens,
    ) -> None:
        self._lines = lines
        self._rel_path = rel_path
        self._language = language
        self._kind = kind
        self._max_tokens = max_tokens
        self._count_tokens = count_tokens
        self._header_cost: dict[str | None, int] = {}

    def fit(self, spans: Sequence[Span], token_counts: Sequence[int] | None = None) -> list[Chunk]:
        """Chunks for ``spans``, in file order.

        ``token_counts``, when the caller already counted the spans' embedded texts, saves
        counting them again; it must be in step with ``spans``.
        """
        trimmed: list[tuple[Span, int | None]] = []
        for index, span in enumerate(spans):
            kept = self.trim(span)
            if kept is None:
                continue
            # A known count is only valid for the span as counted.
            known = token_counts[index] if token_counts is not None and kept == span else None
            trimmed.append((kept, known))
        unknown = [span for span, known in trimmed if known is None]
        counted = iter(self._count([self._embed_text(span) for span in unknown]))
        measured = [
            (span, known if known is not None else next(counted)) for span, known in trimmed
        ]

        done = [(span, tokens) for span, tokens in measured if tokens <= self._max_tokens]
        oversized = [(span, tokens) for span, tokens in measured if tokens > self._max_tokens]
        if oversized:
            done.extend(self._split(oversized))
        done.sort(key=lambda item: (item[0].start, item[0].end, item[0].cols or (0, 0)))
        return [self._chunk(span, tokens) for span, tokens in done]

    def trim(self, span: Span) -> Span | None:
        """``span`` without blank lines at either edge; ``None`` when nothing is left."""
        if span.cols is not None:
            return span
        start, end = span.start, span.end
        while start <= end and not self._lines[start].strip():
            start += 1
        while end >= start and not self._lines[end].strip():
            end -= 1
        if start > end:
            return None
        if (start, end) == (span.start, span.end):
            return span
        return replace(span, start=start, end=end)

    def body(self, span: Span) -> str:
        """The text of ``span`` as the user sees it."""
        if span.cols is not None:
            first, last = span.cols
            return self._lines[span.start][first:last]
        return "\n".join(self._lines[span.start : span.end + 1])

    # -- splitting -----------------------------------------------------------------------

    def _split(self, oversized: list[tuple[Span, int]]) -> list[tuple[Span, int]]:
        """Windows of oversized spans with their counts, each verified to fit; cut again until
        all do.

        Each round counts the windows of every span in one call.
        """
        self._count_headers({span.symbol for span, _ in oversized} | {None})
        # If a symbol is dropped the count (taken with it) over-estimates: still safe.
        pending = [(self._with_room_for_body(span), tokens) for span, tokens in oversized]
        done: list[tuple[Span, int]] = []
        while pending:
            windows: list[Span] = []
            for span, tokens in pending:
                windows.extend(self._windows(span, tokens))
            counts = self._count([self._embed_text(window) for window in windows])
            pending = []
            for window, tokens in zip(windows, counts, strict=True):
                if tokens <= self._max_tokens:
                    done.append((window, tokens))
                else:
                    pending.append((window, tokens))
        return done

    def _with_room_for_body(self, span: Span) -> Span:
        """Drop the symbol from the header when a very long one leaves no room for text."""
        if self._body_budget(span.symbol) >= _MIN_BODY_TOKENS:
            return span
        if span.symbol is not None and self._body_budget(None) >= _MIN_BODY_TOKENS:
            logger.debug("Symbol %r of %s too long for its header", span.symbol, self._rel_path)
            return replace(span, symbol=None)
        raise ValueError(
            f"max_tokens={self._max_tokens} leaves no room for text after the chunk header "
            f"of {self._rel_path}"
        )

    def _count_headers(self, symbols: set[str | None]) -> None:
        missing = [symbol for symbol in symbols if symbol not in self._header_cost]
        counts = self._count([header_only(self._rel_path, symbol) for symbol in missing])
        self._header_cost.update(zip(missing, counts, strict=True))

    def _body_budget(self, symbol: str | None) -> int:
        if symbol not in self._header_cost:
            self._count_headers({symbol})
        return self._max_tokens - self._header_cost[symbol]

    def _windows(self, span: Span, tokens: int) -> list[Span]:
        """Cut ``span`` (measured at ``tokens``) into windows estimated to fit."""
        budget = self._body_budget(span.symbol)
        body_tokens = max(tokens - (self._max_tokens - budget), 1)
        target = budget * _TARGET_FRACTION
        if span.cols is not None or span.start == span.end:
            return self._char_windows(span, body_tokens, target)

        rows = range(span.start, span.end + 1)
        widths = [len(self._lines[row]) + 1 for row in rows]
        rate = body_tokens / sum(widths)
        estimates = [width * rate for width in widths]
        blank = [not self._lines[row].strip() for row in rows]

        cuts: list[tuple[int, int]] = []
        first, count = 0, len(estimates)
        while True:
            last, total = first, estimates[first]
            while last + 1 < count and total + estimates[last + 1] <= target:
                last += 1
                total += estimates[last]
            if last + 1 < count:
                last = _prefer_blank_break(blank, first, last)
            cuts.append((first, last))
            if last + 1 >= count:
                break
            size = last - first + 1
            # At least a line of overlap once windows are a few lines long, or a short budget
            # would get none at all.
            overlap = max(1, round(size * OVERLAP_FRACTION)) if size >= 3 else 0
            first = max(first + 1, last + 1 - overlap)
        if len(cuts) == 1:
            # The estimate says it fits although the count said it does not: halve it, which
            # always makes progress.
            middle = (count - 1) // 2
            cuts = [(0, middle), (middle + 1, count - 1)]

        windows: list[Span] = []
        for first, last in cuts:
            window = self.trim(Span(span.start + first, span.start + last, span.symbol))
            if window is not None and (not windows or window != windows[-1]):
                windows.append(window)
        return windows

    def _char_windows(self, span: Span, body_tokens: int, target: float) -> list[Span]:
        """Cut one line (or a piece of one) by characters, preferring to end at a space."""
        line_start, line_end = (
            span.cols if span.cols is not None else (0, len(self._lines[span.start]))
        )
        length = line_end - line_start
        if length <= 1:
            raise ValueError(
                f"max_tokens={self._max_tokens} is too small for one character of {self._rel_path}"
            )
        size = int(target * length / body_tokens)
        if size >= length:
            # The estimate says it fits although the count said it does not: halve it.
            size = length // 2
        size = max(1, size)
        line = self._lines[span.start]
        overlap = size // 10
        windows: list[Span] = []
        first = line_start
        while first < line_end:
            last = min(first + size, line_end)
            if last < line_end:
                space = line.rfind(" ", first + int(size * 0.8), last)
                if space > first:
                    last = space + 1
            windows.append(Span(span.start, span.start, span.symbol, (first, last)))
            if last >= line_end:
                break
            first = max(first + 1, last - overlap)
        return windows

    # -- helpers -------------------------------------------------------------------------

    def _count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        counts = self._count_tokens(texts)
        if len(counts) != len(texts):
            raise ValueError(f"count_tokens returned {len(counts)} counts for {len(texts)} texts")
        return list(counts)

    def _embed_text(self, span: Span) -> str:
        return embed_text_for(self._rel_path, span.symbol, self.body(span))

    def _chunk(self, span: Span, tokens: int) -> Chunk:
        """``tokens``: the count of the chunk's embedded text, measured to fit the budget."""
        body = self.body(span)
        return Chunk(
            start_line=span.start + 1,
            end_line=span.end + 1,
            kind=self._kind,
            language=self._language,
            symbol=span.symbol,
            text=body,
            embed_text=embed_text_for(self._rel_path, span.symbol, body),
            tokens=tokens,
        )


def _prefer_blank_break(blank: list[bool], first: int, last: int) -> int:
    """End a full window just before a blank line near its end, if there is one."""
    floor = first + int((last - first) * _BLANK_BREAK_FRACTION)
    for row in range(last, floor, -1):
        if blank[row]:
            return row - 1
    return last


def chunk_lines(
    text: str,
    language: str,
    rel_path: str,
    *,
    max_tokens: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Chunk a text file by line windows: the whole file when it fits, else overlapping windows.

    ``kind`` is ``"text"`` for ``TEXT_LANGUAGES`` and ``"code"`` otherwise.
    """
    lines = split_lines(text)
    fitter = BudgetFitter(
        lines,
        rel_path=rel_path,
        language=language,
        kind=kind_for_language(language),
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    return fitter.fit([Span(0, len(lines) - 1, None)])
