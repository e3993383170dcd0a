"""Plain data shared by the indexer, the engine and the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # only annotations here; importing numpy costs start-up time
    import numpy as np

ChunkKind = Literal["code", "text"]
SearchMode = Literal["hybrid", "semantic", "lexical"]
QueryTask = Literal["code", "text"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a file.

    ``text`` is what the user sees (the lines ``start_line``..``end_line`` of the file, 1-based
    and inclusive); ``embed_text`` is what the model reads: ``text`` behind a short header that
    names the file and symbol, so a bare method body still says where it lives.

    ``tokens`` is the model's token count of ``embed_text`` as the chunker measured it to fit
    the budget, so nothing downstream tokenizes the text again to plan its batches; None when
    the chunk was built without counting. Derived from ``embed_text``, so not compared.
    """

    start_line: int
    end_line: int
    kind: ChunkKind
    language: str
    symbol: str | None
    text: str
    embed_text: str
    tokens: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions applied to every search mode. ``None`` means "no restriction"."""

    path_glob: str | None = None  # fnmatch-style, matched against the absolute path
    language: str | None = None
    kind: ChunkKind | None = None
    folder: str | None = None  # absolute: an indexed folder or a folder inside one


@dataclass(frozen=True, slots=True)
class SearchResult:
    chunk_id: int
    path: str  # absolute
    start_line: int  # 1-based, inclusive
    end_line: int
    score: float
    kind: ChunkKind
    language: str
    symbol: str | None
    snippet: str
    sources: tuple[str, ...] = field(default=())  # which rankers found it: "lexical"/"semantic"
    # Lexical hits on their way into the fusion: the weighted share of the query's words the
    # chunk holds (0..1), which the fusion trusts it for (Searcher.with_coverage, fusion.py).
    coverage: float | None = None
    # The raw parts behind ``score``: cosine similarity to the query (None when only the
    # lexical ranker found it) and the 1-based rank in each ranking (None when absent).
    similarity: float | None = None
    lexical_rank: int | None = None
    semantic_rank: int | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "score": round(float(self.score), 6),
            "kind": self.kind,
            "language": self.language,
            "symbol": self.symbol,
            "snippet": self.snippet,
            "similarity": None if self.similarity is None else round(float(self.similarity), 6),
            "lexical_rank": self.lexical_rank,
            "semantic_rank": self.semantic_rank,
        }


class Embedder(Protocol):
    """What the indexer and search need from a model, local or remote.

    Vectors come back as float32, shape ``(len(texts), dim)``, L2-normalised.
    """

    @property
    def model_id(self) -> str:
        """Stable name recorded in the index, e.g. ``Qwen/Qwen3-Embedding-0.6B``."""
        ...

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """The longest input (in the model's tokens) that is embedded without truncation."""
        ...

    @property
    def instruction_aware(self) -> bool:
        """True when queries get a task instruction (Qwen3); then code and text tasks differ."""
        ...

    @property
    def device(self) -> str: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray: ...
