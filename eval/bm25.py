"""An independent BM25 baseline over whole functions (and document sections).

What a user would otherwise reach for: a plain Okapi BM25 (k1=1.2, b=0.75, Lucene's idf)
over function-level units cut with ``ast``/tree-sitter (``eval.units``), not over Kenning's
chunks, with its own tokenizer. Nothing here imports Kenning.

Units: every function and method as a whole (nested functions stay inside their parent),
a class's lines before its first method, module-level runs of statements, and document
sections from one heading to the next; a file with none of those is one unit.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eval.units import Unit, file_units, python_top_level_runs

_WORD = re.compile(r"\w+", re.UNICODE)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased words; identifiers also yield their snake_case/camelCase parts; CJK runs
    become single characters (a standard analyser's behaviour for Han script)."""
    tokens: list[str] = []
    for word in _WORD.findall(text):
        if _CJK_RUN.fullmatch(word):
            tokens.extend(word)
            continue
        lowered = word.lower()
        tokens.append(lowered)
        parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
        if len(parts) > 1:
            tokens.extend(parts)
    return tokens


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    start_line: int
    end_line: int
    score: float


def baseline_units(corpus_root: Path, rel_path: str) -> list[Unit]:
    """The non-overlapping units of one file (see the module docstring)."""
    source = (corpus_root / rel_path).read_text(encoding="utf-8")
    n_lines = max(1, len(source.splitlines()))
    units = file_units(corpus_root, rel_path)
    if not units:
        return [Unit(rel_path, "<file>", 1, n_lines, "module")]
    if units[0].kind == "section":
        starts = sorted({u.start_line for u in units})
        pieces = [(1, starts[0] - 1)] if starts[0] > 1 else []
        pieces += [(s, e - 1) for s, e in zip(starts, [*starts[1:], n_lines + 1], strict=True)]
        return [Unit(rel_path, "<section>", s, e, "section") for s, e in pieces if e >= s]
    out: list[Unit] = []
    functions = [u for u in units if u.kind == "function"]
    # Outermost functions only: a method is outermost when no other function encloses it.
    for unit in functions:
        enclosed = any(
            other is not unit
            and other.start_line <= unit.start_line
            and unit.end_line <= other.end_line
            and (other.start_line, other.end_line) != (unit.start_line, unit.end_line)
            for other in functions
        )
        if not enclosed:
            out.append(unit)
    for unit in units:
        if unit.kind != "class":
            continue
        inner = [f.start_line for f in functions if unit.start_line < f.start_line <= unit.end_line]
        head_end = min(inner) - 1 if inner else unit.end_line
        out.append(Unit(rel_path, unit.symbol, unit.start_line, head_end, "class"))
    if rel_path.endswith(".py"):
        out.extend(python_top_level_runs(rel_path, source))
    return out


class BM25Index:
    def __init__(self, corpus_root: Path, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.units: list[Unit] = []
        self._tf: list[Counter[str]] = []
        self._len: list[int] = []
        for path in sorted(p for p in corpus_root.rglob("*") if p.is_file()):
            rel_path = path.relative_to(corpus_root).as_posix()
            lines = path.read_text(encoding="utf-8").splitlines()
            for unit in baseline_units(corpus_root, rel_path):
                body = "\n".join(lines[unit.start_line - 1 : unit.end_line])
                tokens = tokenize(f"{rel_path}\n{body}")
                self.units.append(unit)
                self._tf.append(Counter(tokens))
                self._len.append(len(tokens))
        self._avg_len = sum(self._len) / max(1, len(self._len))
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(self.units)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._postings: dict[str, list[int]] = {}
        for index, tf in enumerate(self._tf):
            for term in tf:
                self._postings.setdefault(term, []).append(index)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        scores: dict[int, float] = {}
        for term in set(tokenize(query)):
            idf = self._idf.get(term)
            if idf is None:
                continue
            for index in self._postings[term]:
                tf = self._tf[index][term]
                norm = self.k1 * (1 - self.b + self.b * self._len[index] / self._avg_len)
                scores[index] = scores.get(index, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [
            Hit(self.units[i].path, self.units[i].start_line, self.units[i].end_line, s)
            for i, s in best
        ]
