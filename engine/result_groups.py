"""Results grouped by file: one entry per file, its best chunk first.

Three hits in one file are one answer to "where is it", so the window shows one row and the
CLI one heading per file. Files keep the order of their best hit, so grouping never moves a
file above one whose best chunk ranked higher.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.types import SearchResult


@dataclass(frozen=True, slots=True)
class FileGroup:
    """The hits of one file, best first; ``hidden`` counts hits cut by a per-file limit."""

    path: str
    hits: tuple[SearchResult, ...]
    hidden: int = 0

    @property
    def best(self) -> SearchResult:
        return self.hits[0]

    @property
    def more(self) -> tuple[SearchResult, ...]:
        return self.hits[1:]


def group_by_file(results: list[SearchResult], per_file: int | None = None) -> list[FileGroup]:
    """Group ``results`` (best first) by path; keep at most ``per_file`` hits of each file."""
    if per_file is not None and per_file < 1:
        raise ValueError("per_file must be at least 1")
    order: dict[str, list[SearchResult]] = {}
    for result in results:
        order.setdefault(result.path, []).append(result)
    groups = []
    for path, hits in order.items():
        kept = hits if per_file is None else hits[:per_file]
        groups.append(FileGroup(path, tuple(kept), len(hits) - len(kept)))
    return groups
