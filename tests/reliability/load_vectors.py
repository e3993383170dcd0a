"""Load a data directory's saved vector index the way a fresh process does; print JSON.

    python -m tests.reliability.load_vectors DATA_DIR

Run as a child process so that a loader crash (a segfault in hnswlib) shows as an exit
status instead of taking the test run down. ``hnswlib_loads`` counts the files handed to
hnswlib's loader: a rejected file must never reach it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hnswlib
import numpy as np

from engine.store import Store
from engine.vector_index import VectorIndex

hnswlib_loads: list[str] = []


class _RecordingIndex(hnswlib.Index):
    def load_index(self, path: str, *args: object, **kwargs: object) -> None:
        hnswlib_loads.append(path)
        super().load_index(path, *args, **kwargs)


def main(data_dir: Path) -> dict[str, object]:
    hnswlib.Index = _RecordingIndex  # VectorIndex looks hnswlib.Index up at each load
    store = Store.open(data_dir, readonly=True)
    try:
        model, dim = store.model_info()
        # The vector index holds the store's points (one per distinct vector), by id.
        point_ids = {
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM points WHERE model = ? AND dim = ?", (model, dim)
            )
        }
        generation = store.points_generation
    finally:
        store.close()
    vectors = VectorIndex.load(data_dir, model=model, dim=dim, generation=generation)
    result: dict[str, object] = {"loaded": vectors is not None, "hnswlib_loads": hnswlib_loads}
    if vectors is not None:
        probe = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
        labels = {label for label, _ in vectors.query(probe, len(vectors))}
        result.update(live=len(vectors), points=len(point_ids), labels_ok=labels <= point_ids)
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
