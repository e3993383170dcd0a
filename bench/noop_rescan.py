"""No-op rescan of a 10,000-file tree, beside a bare ``os.walk`` + ``stat`` of the same tree.

    python -m bench.noop_rescan
    python -m bench.noop_rescan --files 10000 --rounds 3

The tree (built once under ``.bench-data/``) holds small real-looking files (Python,
Markdown, text) in nested folders, indexed once with the bundled model (tiny files keep
that first index to a minute or so). Then, alternating:
- ``pipeline``: ``Pipeline.index([root])`` again on an unchanged tree (in-process, model
  loaded: discovery with ignore rules, a stat per file, comparing with the store);
- ``os.walk + stat``: the least any rescan must do;
- ``kenning index`` (CLI, once at the end): the same no-op from a fresh process, as a user
  would run it (the model is loaded only when something needs embedding, so not here).
Target: <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import REPO, WORK, load_kenning_embedder, machine, median, out

WORDS = [
    "parse",
    "render",
    "cache",
    "invoice",
    "ledger",
    "socket",
    "retry",
    "upload",
    "thumbnail",
    "schedule",
    "archive",
    "token",
    "session",
    "cursor",
    "payload",
    "header",
    "buffer",
    "queue",
    "worker",
    "report",
    "export",
    "import",
    "config",
]


def make_tree(root: Path, n_files: int) -> None:
    marker = root / ".complete"
    if marker.exists():
        return
    for i in range(n_files):
        folder = root / f"pkg{i // 1000:02d}" / f"mod{(i // 50) % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        a, b = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
        if i % 3 == 0:
            (folder / f"note_{i}.md").write_text(f"# {a} {b}\n\nHow we {a} the {b} ({i}).\n")
        elif i % 3 == 1:
            (folder / f"file_{i}.py").write_text(f"def {a}_{b}_{i}(x):\n    return x + {i}\n")
        else:
            (folder / f"log_{i}.txt").write_text(f"{a} {b} finished in {i} ms\n")
    marker.write_text("ok\n")


def walk_and_stat(root: Path) -> int:
    count = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(dirpath, name))
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from indexer.pipeline import Pipeline

    root = WORK / f"rescan-tree-{args.files}"
    data_dir = WORK / f"rescan-data-{args.files}"
    make_tree(root, args.files)
    embedder = load_kenning_embedder()
    out(f"machine: {machine()}")
    pipeline = Pipeline(data_dir, embedder)
    started = time.perf_counter()
    first = pipeline.index([root])
    took = time.perf_counter() - started
    out(
        f"tree: {args.files} files; first index (or catch-up) {took:.1f} s,"
        f" {first.files_indexed} indexed, {first.chunks_embedded} chunks embedded"
    )
    noop, walk = [], []
    for r in range(args.rounds):
        steps = ["pipeline", "walk"] if r % 2 == 0 else ["walk", "pipeline"]
        for step in steps:
            started = time.perf_counter()
            if step == "pipeline":
                report = pipeline.index([root])
                noop.append(time.perf_counter() - started)
                changed = report.files_indexed + report.files_removed + report.chunks_embedded
                if changed:
                    out(f"  warning: the no-op rescan changed something: {report}")
            else:
                walk_and_stat(root)
                walk.append(time.perf_counter() - started)
        out(
            f"  round {r + 1}: pipeline no-op {noop[-1]:.2f} s | os.walk+stat {walk[-1]:.2f} s | "
            f"ratio {noop[-1] / walk[-1]:.1f}x"
        )
    pipeline.close()
    out(
        f"median: pipeline no-op rescan {median(noop):.2f} s (target <= 3 s), "
        f"os.walk+stat {median(walk):.2f} s, ratio {median(noop) / median(walk):.1f}x"
    )

    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cmd = [
        sys.executable,
        "-m",
        "desktop",
        "index",
        str(root),
        "--data-dir",
        str(data_dir),
        "--model",
        "offline",
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    out(
        f"`kenning index` no-op from a fresh process (the model loads only when something "
        f"needs embedding): {wall:.2f} s ({status})"
    )


if __name__ == "__main__":
    main()
