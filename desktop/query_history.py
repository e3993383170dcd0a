"""Recent queries, newest first, kept in a small JSON file beside the index.

The file is read on every call rather than cached, so clearing it from the Settings dialog
(or another window of the same data directory) takes effect at once; at most
:data:`MAX_ENTRIES` short strings, so reading it costs nothing a person could notice.
No Qt here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

MAX_ENTRIES = 100
MAX_QUERY_CHARS = 500  # longer "queries" are pasted text, not something to recall
HISTORY_FILE = "query_history.json"


class QueryHistory:
    """The recent queries of one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def entries(self) -> list[str]:
        """Newest first; an unreadable file is treated as empty (and logged)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable query history %s: %s", self.path, exc)
            return []
        if not isinstance(data, dict) or not isinstance(data.get("queries"), list):
            log.warning("ignoring query history %s: unexpected content", self.path)
            return []
        return [q for q in data["queries"] if isinstance(q, str) and q][:MAX_ENTRIES]

    def add(self, query: str) -> None:
        """Put ``query`` first (moving it if it was there already)."""
        query = " ".join(query.split())
        if not query or len(query) > MAX_QUERY_CHARS:
            return
        entries = [q for q in self.entries() if q != query]
        self._write([query, *entries][:MAX_ENTRIES])

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        log.info("query history cleared")

    def _write(self, entries: list[str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            # Private: queries can say more about a person than their file names do.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "queries": entries}, fh, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError as exc:  # history is a convenience: never let it break searching
            log.warning("cannot save query history %s: %s", self.path, exc)


class HistoryCursor:
    """Up/Down through the history while the query field is empty or shows a recalled entry.

    ``older()``/``newer()`` return the text to show, or ``None`` when there is nothing to
    move to; ``reset()`` forgets the position (the user typed something).
    """

    def __init__(self, history: QueryHistory) -> None:
        self.history = history
        self._entries: list[str] = []
        self._pos = -1  # -1: the empty field, before the newest entry

    @property
    def active(self) -> bool:
        return self._pos >= 0

    def current(self) -> str | None:
        return self._entries[self._pos] if self.active else None

    def older(self) -> str | None:
        if not self.active:
            self._entries = self.history.entries()
        if self._pos + 1 >= len(self._entries):
            return None
        self._pos += 1
        return self._entries[self._pos]

    def newer(self) -> str | None:
        if not self.active:
            return None
        self._pos -= 1
        return self._entries[self._pos] if self._pos >= 0 else ""

    def reset(self) -> None:
        self._pos = -1
        self._entries = []
