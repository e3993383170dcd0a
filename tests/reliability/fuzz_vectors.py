"""Fuzz the vector-index loader: random bit flips with a header forged to match each file.

    python -m tests.reliability.fuzz_vectors WORK_DIR SEED ROUNDS

Every damaged file is either rejected or loads into an index that answers queries, takes
additions and deletions. Run as a child process: a crash shows as its exit status. Prints
``{"rejected": n, "loaded": m}``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np

from engine.vector_index import HEADER_NAME, INDEX_NAME, VectorIndex

DIM = 16


def main(work: Path, seed: int, rounds: int) -> dict[str, int]:
    work.mkdir(parents=True, exist_ok=True)
    index = VectorIndex(DIM)
    index.add(np.arange(400), np.random.default_rng(0).standard_normal((400, DIM)))
    index.delete(range(50))
    index.save(work, model="m", generation=1)
    raw = (work / INDEX_NAME).read_bytes()
    header = json.loads((work / HEADER_NAME).read_text())
    rng = random.Random(seed)
    stats = {"rejected": 0, "loaded": 0}
    for n in range(rounds):
        damaged = bytearray(raw)
        for _ in range(rng.choice((1, 1, 2, 4, 16))):
            # Header fields are where a loader is most easily misled: hit them often.
            pos = rng.randrange(96) if rng.random() < 0.3 else rng.randrange(len(damaged))
            damaged[pos] ^= 1 << rng.randrange(8)
        for old in work.glob("*.damaged-*"):
            old.unlink()
        (work / INDEX_NAME).write_bytes(damaged)
        forged = dict(header, size=len(damaged), sha256=hashlib.sha256(damaged).hexdigest())
        (work / HEADER_NAME).write_text(json.dumps(forged))
        loaded = VectorIndex.load(work, model="m", dim=DIM, generation=1)
        if loaded is None:
            stats["rejected"] += 1
            continue
        stats["loaded"] += 1
        query = np.random.default_rng(n).standard_normal(DIM).astype(np.float32)
        for k in (1, 10, len(loaded)):
            loaded.query(query, k)
        loaded.add(np.arange(1000, 1010), np.random.default_rng(n).standard_normal((10, DIM)))
        loaded.delete([1000, 60])
        loaded.query(query, 20)
    return stats


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
