"""release_freed_memory gives freed heap pages back (glibc), where plain free() keeps them."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from indexer.memory_trim import release_freed_memory

BLOCKS = 48 * 1024  # x 1 KiB: 48 MiB of small blocks, below glibc's mmap threshold


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_freed_small_blocks_are_returned_to_the_system() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if not hasattr(libc, "malloc_trim"):
        pytest.skip("not glibc")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = []
    for _ in range(BLOCKS):
        block = libc.malloc(1024)
        ctypes.memset(block, 1, 1024)  # touch it: resident
        blocks.append(block)
    keeper = blocks.pop()  # the heap's top stays in use, so free() alone cannot shrink it
    for block in blocks:
        libc.free(block)
    before = _rss_bytes()
    assert release_freed_memory()
    after = _rss_bytes()
    libc.free(keeper)
    assert before - after > 24 * 2**20, (before, after)
