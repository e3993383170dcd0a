"""Which failures are worth another try, and how a retry is recorded.

A failure that says something about the file (the parser crashed on it, ran out of memory,
the bytes are malformed) is final until the file changes. A failure that says something about
the moment is not: a read refused by permissions that a ``chmod`` puts right, descriptors or
I/O that were short for a while, a parse that ran out of time on a busy machine. Those are
recorded with status ``pending`` and a reason that says a retry follows; ``pending`` files are
read again on every later run (their size and mtime usually did not change, so the usual
"unchanged" test would never look at them again) and by the watcher on any event, a
``chmod`` included.

A parse that ran out of time is tried again in the same run, after the other files, with a
longer deadline; then on later runs with longer ones still. Only after ``MAX_PARSE_ATTEMPTS``
runs is it recorded as failed.
"""

from __future__ import annotations

import re

from engine.store import FileRecord

MAX_PARSE_ATTEMPTS = 3
# Each retry's deadline is this many times the one before.
DEADLINE_GROWTH = 3.0

_ATTEMPT = re.compile(r"\(will retry: attempt (\d+) of \d+\)$")


def parse_timeouts_so_far(record: FileRecord | None) -> int:
    """How many earlier runs ended this file's parse at the deadline."""
    if record is None or record.status != "pending" or not record.reason:
        return 0
    match = _ATTEMPT.search(record.reason)
    return int(match.group(1)) if match else 0


def deadline_scale(timeouts_so_far: int, *, retry_in_run: bool) -> float:
    """The deadline multiplier for this try of a file."""
    return DEADLINE_GROWTH ** (timeouts_so_far + (1 if retry_in_run else 0))


def parse_timeout_verdict(reason: str, timeouts_so_far: int) -> tuple[str, str]:
    """(status, reason) to record after a run's last try of a file ran out of time."""
    attempt = timeouts_so_far + 1
    if attempt >= MAX_PARSE_ATTEMPTS:
        return "failed", f"{reason}; ran out of time in {attempt} runs"
    return "pending", f"{reason} (will retry: attempt {attempt} of {MAX_PARSE_ATTEMPTS})"


def read_error_reason(strerror: str) -> str:
    return f"cannot read: {strerror} (retried on every run and on any change)"
