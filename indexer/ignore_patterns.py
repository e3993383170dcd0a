"""Compile ignore-file lines (git semantics) into matchers whose cost stays linear.

Ignore files come from untrusted repositories. pathspec turns every ``*`` of a path segment
into ``[^/]*``, and Python's backtracking ``re`` then takes time to the power of the number of
stars: ``*a*a*a*a*a*a*a*a*b`` against a 60-character name ran for minutes. Two changes bound
the cost without changing what a pattern means:

* In a segment with several stars, every piece between two stars has a fixed length (a
  literal, ``?`` or a bracket expression), and within one path component the leftmost place
  for each piece is always as good as any later one. So each such piece is matched as
  ``(?>[^/]*?piece)``: the leftmost occurrence, never revisited. Only the last star may
  backtrack, once over the component.
* ``**`` segments can also multiply (``.+`` spans components). More than
  ``MAX_DOUBLE_STARS`` of them in one pattern is not something real ignore files need: such a
  pattern is dropped, with a log line naming it (git would honour it; a hang is worse).

The atomic groups need Python's own ``re`` (3.11+): the matcher is pinned to pathspec's
"simple" backend, whatever other engines are installed.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

import pathspec
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

log = logging.getLogger(__name__)

MAX_DOUBLE_STARS = 2


def _split_at_stars(segment: str) -> list[str]:
    """The segment glob cut at its wildcard stars (runs of stars count once).

    Escapes and bracket expressions are kept whole inside the pieces, following pathspec's
    own reading of them, so each piece translates as pathspec would translate it.
    """
    pieces: list[str] = []
    current: list[str] = []
    i, end = 0, len(segment)
    while i < end:
        char = segment[i]
        if char == "\\" and i + 1 < end:
            current.append(segment[i : i + 2])
            i += 2
            continue
        if char == "*":
            pieces.append("".join(current))
            current = []
            while i < end and segment[i] == "*":
                i += 1
            continue
        if char == "[":
            j = i + 1
            if j < end and segment[j] in "!^":
                j += 1
            if j < end and segment[j] == "]":
                j += 1
            while j < end and segment[j] != "]":
                j += 1
            if j < end:  # a complete bracket expression: one fixed-width piece
                current.append(segment[i : j + 1])
                i = j + 1
                continue
        current.append(char)
        i += 1
    pieces.append("".join(current))
    return pieces


class LinearGitIgnorePattern(GitIgnoreSpecPattern):
    """pathspec's gitignore pattern, with the stars of one segment matched without backtracking."""

    @staticmethod
    def _translate_segment_glob(pattern: str, range_error: Literal["literal", "raise"]) -> str:
        translate = GitIgnoreSpecPattern._translate_segment_glob
        pieces = _split_at_stars(pattern)
        if len(pieces) <= 2:  # at most one star: already linear
            return translate(pattern, range_error)
        first, *middle, last = (translate(p, range_error) for p in pieces)
        atomic = "".join(f"(?>[^/]*?{piece})" for piece in middle)
        return f"{first}{atomic}[^/]*{last}"


def _double_stars(line: str) -> int:
    return sum(1 for seg in line.strip().lstrip("!").split("/") if seg == "**")


def _too_costly(line: str) -> bool:
    return _double_stars(line) > MAX_DOUBLE_STARS


def _build(lines: list[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(
        lines, pattern_factory=LinearGitIgnorePattern, backend="simple"
    )


def compile_ignore_lines(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    """One spec for an ignore file's lines; invalid and too costly patterns are left out."""
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    kept = []
    for line in lines:
        if _too_costly(line):
            log.warning(
                "Ignoring the ignore pattern %r: more than %d '**' would make matching it too slow",
                line[:200],
                MAX_DOUBLE_STARS,
            )
        else:
            kept.append(line)
    if not kept:
        return None
    try:
        return _build(kept)
    except Exception:  # one bad pattern must not cost the others (git skips it too)
        good = []
        for line in kept:
            try:
                _build([line])
            except Exception:
                log.info("ignoring invalid ignore pattern %r", line)
                continue
            good.append(line)
        return _build(good) if good else None


def pattern_regex(line: str) -> re.Pattern[str] | None:
    """The compiled regex of one pattern line (for tests and diagnostics)."""
    regex, _ = LinearGitIgnorePattern.pattern_to_regex(line)
    return re.compile(regex) if regex is not None else None
