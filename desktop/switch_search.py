"""Search in the window while the index moves to another model.

The service loads the model the settings name and builds that model's index beside the one
in place (see ``indexer.pipeline.Pipeline._prepare_model``). Until it is complete, the index
in place answers, and its vectors only make sense against queries embedded by *its* model:
:func:`searcher_for_index_model` makes a searcher with that model, loaded lazily (on the
first query, in the query runner's worker thread, never on the GUI thread).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from engine.errors import KenningError

log = logging.getLogger(__name__)


def index_model(data_dir: Path) -> tuple[str, int] | None:
    """The (model id, dim) of the index in place, if there is one."""
    from engine.store import DB_NAME, Store

    if not (Path(data_dir) / DB_NAME).exists():
        return None
    store = Store.open(data_dir, readonly=True)
    try:
        return store.model_info()
    finally:
        store.close()


def searcher_for_index_model(data_dir: Path, vectors: Any) -> Any | None:
    """A searcher whose queries are embedded by the index's own model, or None when that
    model cannot be had here (e.g. it was a server's): the window then searches by words."""
    from engine.lazy_embedder import LazyLocalEmbedder
    from engine.model_resolution import resolve_model
    from engine.search import Searcher

    recorded = index_model(data_dir)
    if recorded is None:
        return None
    model, dim = recorded
    try:
        # Only a model already on disk: nothing is downloaded on the GUI thread.
        resolved = resolve_model(model, allow_download=False)
        embedder = LazyLocalEmbedder(Path(resolved.path), model_id=model, dimensions=dim)
        if embedder.dim != dim:
            return None
        return Searcher(data_dir, embedder, vectors=vectors)
    except (KenningError, OSError, ValueError) as exc:
        log.info("semantic search waits for the model switch: %s cannot be loaded (%s)", model, exc)
        return None


def switch_progress_text(model_id: str, done: int, total: int) -> str:
    percent = int(100 * done / total) if total else 0
    return QCoreApplication.translate("KenningApp", "Re-embedding for {model}: {percent} %").format(
        model=model_id, percent=percent
    )
