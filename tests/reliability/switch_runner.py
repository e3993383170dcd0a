"""The indexer in a child process, indexing ROOT with a hashing embedder named MODEL.

    python -m tests.reliability.switch_runner DATA_DIR ROOT MODEL

Prints ``chunks N`` after every committed group (flushed, so a test can kill it mid-way)
and, at the end, ``embedded N`` (texts this process sent to the model) and ``model M``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from indexer.pipeline import IndexOptions, Pipeline, Progress
from tests.fake_embedder import HashingEmbedder

DIM = 48


def main(argv: list[str]) -> int:
    data_dir, root, model = Path(argv[0]), Path(argv[1]), argv[2]
    embedder = HashingEmbedder(dim=DIM, model_id=model)
    pipeline = Pipeline(data_dir, embedder, options=IndexOptions(group_chunks=8))
    last = -1

    def progress(p: Progress) -> None:
        nonlocal last
        if p.chunks_done != last:
            last = p.chunks_done
            print("chunks", p.chunks_done, flush=True)

    try:
        pipeline.index([root], on_progress=progress)
        print("model", pipeline.store.model_info(), flush=True)
    finally:
        pipeline.close()
    print("embedded", len(embedder.documents_embedded), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
