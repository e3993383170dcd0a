"""The version of the rules that decide which files are left out or fail.

Bump ``FILE_RULES_VERSION`` when the skip, secret, junk or parser rules change (a detector
that no longer flags a file, a chunker crash fixed): a skipped or failed record is otherwise
kept until the file itself changes, so an upgrade would never re-decide it. The pipeline
stores the version in the index's meta table after a complete run over every folder; while
the stored one differs (or is absent), every skipped or failed file is read and decided
again. Indexed files are not touched: their chunks and vectors stay.
"""

from __future__ import annotations

from engine.store import Store

FILE_RULES_VERSION = 2

META_KEY = "file_rules"


def rules_changed(store: Store) -> bool:
    """The index's skip and fail records were decided by other rules than these."""
    return store.get_meta(META_KEY) != str(FILE_RULES_VERSION)


def record_rules(store: Store) -> None:
    """Mark every skip and fail record as decided by these rules (a complete run)."""
    with store.transaction():
        store.set_meta(META_KEY, str(FILE_RULES_VERSION))
