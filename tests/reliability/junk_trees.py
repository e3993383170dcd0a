"""Real code beside the junk users' folders hold: an 8 MB one-line script, a 6 MB log of one
repeated line and 1,500 copies of one generated file (issue 13: thousands of identical
vectors broke semantic search for everything else)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Ordinary questions about the real code (Kenning's own engine and indexer).
QUERIES = [
    "move the damaged database aside and start a full re-index",
    "debounce bursts of file system events",
    "reciprocal rank fusion of lexical and semantic rankings",
    "check the hnsw file layout before loading it",
    "read a file twice when it was modified within a clock tick",
    "cut texts into batches of similar lengths under a token budget",
    "snippet lines around the first query term",
    "bm25 weights for symbol path and body columns",
]


def real_code(root: Path) -> None:
    """Kenning's own engine/ and indexer/ sources: real code with real vocabulary."""
    for package in ("engine", "indexer"):
        for source in sorted((REPO / package).glob("*.py")):
            target = root / package / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def add_junk(root: Path, *, copies: int = 1500) -> None:
    junk = root / "junk"
    junk.mkdir(parents=True, exist_ok=True)
    one_liner = "var a=[[[1,2],[3,4]],[[5,6]]];" + "x=1;" * (8 * 2**20 // 4)
    (junk / "bundle.js").write_text(one_liner[: 8 * 2**20])
    line = "2026-01-01 12:00:00 INFO worker-3 request handled in 4 ms status=200\n"
    (junk / "server.log").write_text(line * (6 * 2**20 // len(line)))
    generated = "".join(
        f"FIELD_{i}_NUMBER = {i}\n_descriptor_field_{i} = _Descriptor(name='field_{i}')\n"
        for i in range(40)
    )
    for i in range(copies):
        folder = junk / "generated" / f"service{i:04d}"
        folder.mkdir(parents=True)
        (folder / "messages_pb2.py").write_text(generated)
