"""The folders to index are one list: the index's own ``folders`` table.

``kenning index PATH`` adds to it, ``kenning folders remove`` and the app's Settings take from
it, and every front end reads it, so a folder indexed from the terminal shows in the app (its
first-run wizard included) and is never dropped because the app's settings did not name it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from engine.errors import KenningError
from engine.store import DB_NAME, Store

log = logging.getLogger(__name__)


def indexed_folders(data_dir: Path) -> list[Path]:
    """The folders the index at ``data_dir`` holds; [] when there is no (readable) index."""
    if not (Path(data_dir) / DB_NAME).exists():
        return []
    try:
        store = Store.open(data_dir, readonly=True)
    except (KenningError, sqlite3.Error, OSError) as exc:
        log.info("cannot read the indexed folders: %s", exc)
        return []
    try:
        return [Path(p) for _, p in store.folders()]
    except sqlite3.Error as exc:
        log.info("cannot read the indexed folders: %s", exc)
        return []
    finally:
        store.close()


def merged_folders(chosen: Iterable[str | Path], indexed: Iterable[Path]) -> list[str]:
    """``chosen`` (in its order), then every indexed folder it lacks."""
    out = [str(p) for p in chosen]
    seen = {str(Path(p).expanduser().resolve()) for p in out}
    for folder in indexed:
        key = str(Path(folder).resolve())
        if key not in seen:
            seen.add(key)
            out.append(str(folder))
    return out
