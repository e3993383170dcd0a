"""The indexer as a child process with the fast hashing embedder, for tests that kill it.

    python -m tests.reliability.index_runner DATA_DIR ROOT [--dim N] [--churn FILE]
        [--fsize-limit BYTES FILE] [--group-chunks N] [--in-process-parsers]

Prints ``ready`` once the pipeline is open and ``done`` when the run is over (flushed, so a
test can time its kill from there). ``--churn FILE`` then rewrites FILE and re-indexes it
with a vector-index save after every change, until killed: most of its time is spent saving.
``--fsize-limit BYTES FILE`` rewrites FILE, re-indexes it without saving, then closes with
files capped at BYTES (RLIMIT_FSIZE: writes past it fail as on a full disk); a failed save
exits with status 3 and its message on stderr. ``--group-chunks`` and
``--in-process-parsers`` set those pipeline options (a reference crawl run beside a test's
own indexer uses them: another process, so the two do not share one interpreter lock).
"""

from __future__ import annotations

import argparse
import logging
import resource
import signal
import sys
from pathlib import Path

from engine.errors import KenningError
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder

DIM = 64
GROUP_CHUNKS = 16


def make_pipeline(
    data_dir: Path,
    *,
    save_interval_s: float = 60.0,
    dim: int = DIM,
    group_chunks: int = GROUP_CHUNKS,
    isolate_parsers: bool = True,
) -> Pipeline:
    options = IndexOptions(
        group_chunks=group_chunks,
        save_interval_s=save_interval_s,
        isolate_parsers=isolate_parsers,
    )
    return Pipeline(data_dir, HashingEmbedder(dim=dim), options=options)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("root", type=Path)
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--churn", type=Path)
    parser.add_argument("--fsize-limit", nargs=2)
    parser.add_argument("--group-chunks", type=int, default=GROUP_CHUNKS)
    parser.add_argument("--in-process-parsers", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    save_interval_s = 0.0 if args.churn else 60.0
    pipeline = make_pipeline(
        args.data_dir,
        save_interval_s=save_interval_s,
        dim=args.dim,
        group_chunks=args.group_chunks,
        isolate_parsers=not args.in_process_parsers,
    )
    print("ready", flush=True)
    status = 0
    try:
        report = pipeline.index([args.root])
        print("done", report.files_indexed, report.files_failed, flush=True)
        if args.churn:
            for n in range(1_000_000):
                args.churn.write_text(f"def churn_{n}():\n    return {n}\n")
                pipeline.update_paths([args.churn])
        if args.fsize_limit:
            limit, changed = int(args.fsize_limit[0]), Path(args.fsize_limit[1])
            changed.write_text("def changed_before_a_full_disk():\n    return 1\n")
            pipeline.update_paths([changed])
            # Past the limit a write fails with EFBIG (and SIGXFSZ, ignored here), as a
            # write on a full disk fails with ENOSPC.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    except KenningError as exc:
        print(exc, file=sys.stderr)
        status = 3
    try:
        pipeline.close()
    except KenningError as exc:
        print(exc, file=sys.stderr)
        status = 3
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
