"""The second search stage: a cross-encoder re-orders the top of the fused ranking.

A reranker reads the query and one candidate together, so it judges relevance better than
comparing two separately made vectors, at the price of one forward pass per candidate. It
therefore only sees the top ``top_n`` fused results, and only the kinds it helps:

- documents (``text``) always: Qwen3-Reranker-0.6B lifts long-document and multilingual
  retrieval a lot (MLDR 50.3 -> 67.3, CMTEB-R 66.3 -> 71.3 over Qwen3-Embedding-0.6B's top 100);
- code only with a 4B+ reranker: the 0.6B one *lowers* code retrieval (MTEB-Code 75.4 ->
  73.4) while the 4B one raises it (81.2), figures from the Qwen3-Embedding report;
- nothing on a CPU unless asked: 30 candidates of ~300 tokens through the 0.6B reranker cost
  ~230 CPU-seconds (~2 min on 2 cores, ~30 s on 8; docs/BENCHMARKS.md, "Reranker on CPU"),
  far beyond search-as-you-type.

The reranker is a query-time choice: nothing about it is recorded in the index, so it can be
switched or turned off freely. Implementations: ``engine.local_reranker.LocalReranker``
(Qwen3-Reranker through transformers) and ``engine.remote_reranker.RemoteReranker``
(``/rerank`` servers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from engine.types import ChunkKind, QueryTask, SearchResult

log = logging.getLogger(__name__)

DEFAULT_TOP_N = 30
ALL_KINDS: frozenset[ChunkKind] = frozenset({"code", "text"})
# Parameter count from which a reranker is trusted with code (Qwen3-Reranker-4B has 4.0 B;
# the 0.6B one hurts code retrieval, see the module docstring).
STRONG_ON_CODE_PARAMS = 3_000_000_000
_SIZE_IN_NAME = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")

# One instruction per chunk kind, worded like the embedder's query tasks. Qwen3-Reranker's
# model card: a task-specific instruction gains 1-5 % over its generic one.
RERANK_INSTRUCTIONS: dict[QueryTask, str] = {
    "code": "Given a code search query, judge whether the code snippet implements or answers it",
    "text": "Given a search query, judge whether the document passage answers it",
}

CancelCheck = Callable[[], bool]


class RerankCancelled(Exception):
    """A newer query made this reranking pointless; raised between batches."""


class Reranker(Protocol):
    """Scores query-document pairs; a higher score means more relevant.

    Scores come back in the order of ``documents``; only their order within one call means
    anything (a remote server's scale may differ from the local model's).
    """

    @property
    def model_id(self) -> str: ...

    @property
    def device(self) -> str:
        """``cpu``, ``cuda``, ``mps`` or ``remote``."""
        ...

    @property
    def strong_on_code(self) -> bool:
        """True for a reranker big enough (4B+) to improve code retrieval."""
        ...

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        task: QueryTask = "text",
        cancelled: CancelCheck | None = None,
    ) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class RerankPolicy:
    """How many fused results are reranked, and which kinds (``None``: decided by hardware)."""

    top_n: int = DEFAULT_TOP_N
    kinds: frozenset[ChunkKind] | None = None

    def kinds_for(self, reranker: Reranker) -> frozenset[ChunkKind]:
        if self.kinds is not None:
            return self.kinds
        return automatic_kinds(reranker)


def automatic_kinds(reranker: Reranker) -> frozenset[ChunkKind]:
    """Documents on a GPU or a server; code too for a 4B+ model; nothing on a CPU."""
    if reranker.device == "cpu":
        return frozenset()
    if reranker.strong_on_code:
        return ALL_KINDS
    return frozenset({"text"})


def parse_kinds(value: str) -> frozenset[ChunkKind] | None:
    """``auto`` -> None; ``text``, ``code``, ``all`` or ``none`` -> that set of kinds."""
    table: dict[str, frozenset[ChunkKind] | None] = {
        "auto": None,
        "text": frozenset({"text"}),
        "code": frozenset({"code"}),
        "all": ALL_KINDS,
        "none": frozenset(),
    }
    try:
        return table[value.strip().lower()]
    except KeyError:
        raise ValueError(f"rerank kinds must be one of {', '.join(table)}: {value!r}") from None


def parameters_in_name(model_id: str) -> float | None:
    """``Qwen/Qwen3-Reranker-4B`` -> 4e9; None when the name gives no size."""
    sizes = [float(m) for m in _SIZE_IN_NAME.findall(model_id.rsplit("/", 1)[-1])]
    return max(sizes) * 1e9 if sizes else None


def document_text(path: str, folder: str, symbol: str | None, body: str) -> str:
    """What the reranker reads for a chunk: the embedder's header (file, symbol), then the text.

    Same shape as ``indexer.chunk_header.embed_text_for`` (the engine may not import the
    indexer): a method body alone rarely says what it belongs to.
    """
    rel = path[len(folder) :].lstrip("/\\") if folder and path.startswith(folder) else path
    header = f"File: {rel}"
    if symbol:
        header += f"\nSymbol: {symbol}"
    return f"{header}\n\n{body}"


def rerank_results(
    reranker: Reranker,
    query: str,
    results: list[SearchResult],
    documents: Mapping[int, str],
    *,
    policy: RerankPolicy,
    cancelled: CancelCheck | None = None,
) -> list[SearchResult]:
    """Re-order the first ``policy.top_n`` results, kind by kind, with the reranker.

    Each kind's results keep the positions that kind held in the fused list and are sorted
    among them, so a code hit never displaces a document the reranker did not judge (their
    scores are not comparable). Results keep the score of the position they move into, so the
    list stays sorted by score, and gain ``"rerank"`` in ``sources``. ``documents`` maps chunk
    ids to the text the reranker reads; a result without one stays where it is.
    """
    kinds = policy.kinds_for(reranker)
    if not kinds or policy.top_n < 1 or not results:
        return results
    head, tail = list(results[: policy.top_n]), results[policy.top_n :]
    for kind in sorted(kinds):
        slots = [i for i, r in enumerate(head) if r.kind == kind and r.chunk_id in documents]
        if len(slots) < 2:
            continue
        candidates = [head[i] for i in slots]
        scores = reranker.rerank(
            query, [documents[r.chunk_id] for r in candidates], task=kind, cancelled=cancelled
        )
        # Stable sort: equal scores keep their fused order.
        order = sorted(range(len(candidates)), key=lambda j: -scores[j])
        slot_scores = [head[i].score for i in slots]
        for slot, j, score in zip(slots, order, slot_scores, strict=True):
            moved = candidates[j]
            sources = tuple(sorted({*moved.sources, "rerank"}))
            head[slot] = replace(moved, score=score, sources=sources)
        log.debug("reranked %d %s results with %s", len(slots), kind, reranker.model_id)
    return head + list(tail)
