"""Give freed heap back to the operating system after indexing work (glibc only).

Indexing allocates and frees a lot (file bytes, chunk texts, token lists, batch buffers).
glibc keeps freed memory inside the process unless the top of the heap is free, so a tray
app that indexed once stayed at twice its working size: ``malloc_trim(0)`` in the idle app
took it from 1.51 GB to 754 MB (issue 13). Elsewhere (macOS, Windows, musl) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

_trim: Callable[[int], int] | None = None
_looked_up = False


def _malloc_trim() -> Callable[[int], int] | None:
    global _trim, _looked_up
    if not _looked_up:
        _looked_up = True
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                func = libc.malloc_trim  # absent in musl: AttributeError
                func.argtypes = [ctypes.c_size_t]
                func.restype = ctypes.c_int
                _trim = func
            except (OSError, AttributeError):
                log.debug("malloc_trim is not available here")
    return _trim


def release_freed_memory() -> bool:
    """Return freed heap pages to the system; True when glibc released something."""
    trim = _malloc_trim()
    if trim is None:
        return False
    try:
        return bool(trim(0))
    except Exception:  # never let housekeeping break the caller
        log.debug("malloc_trim failed", exc_info=True)
        return False
