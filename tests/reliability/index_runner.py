"""The indexer as a child process with the fast hashing embedder, for tests that kill it.

    python -m tests.reliability.index_runner DATA_DIR ROOT [--churn FILE]

Prints ``ready`` once the pipeline is open and ``done`` when the run is over (flushed, so a
test can time its kill from there). ``--churn FILE`` then rewrites FILE and re-indexes it
with a vector-index save after every change, until killed: most of its time is spent saving.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder

DIM = 64
GROUP_CHUNKS = 16


def make_pipeline(data_dir: Path, *, save_interval_s: float = 60.0) -> Pipeline:
    options = IndexOptions(group_chunks=GROUP_CHUNKS, save_interval_s=save_interval_s)
    return Pipeline(data_dir, HashingEmbedder(dim=DIM), options=options)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("root", type=Path)
    parser.add_argument("--churn", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    pipeline = make_pipeline(args.data_dir, save_interval_s=0.0 if args.churn else 60.0)
    print("ready", flush=True)
    try:
        report = pipeline.index([args.root])
        print("done", report.files_indexed, report.files_failed, flush=True)
        if args.churn:
            for n in range(1_000_000):
                args.churn.write_text(f"def churn_{n}():\n    return {n}\n")
                pipeline.update_paths([args.churn])
    finally:
        pipeline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
