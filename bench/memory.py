"""Memory: resident set size per 100k chunks, beyond the loaded model.

    python -m bench.memory                    # 100k chunks
    python -m bench.memory --chunks 10000

Each measurement runs in a fresh process (so freed memory of an earlier step cannot hide
a later one): load the bundled model and embed one query (baseline RSS), then open the
index the way each long-running side does and use it:
- ``search``: ``Searcher`` over the index, 50 hybrid queries (the window's side);
- ``pipeline``: ``Pipeline`` over the index (loads the vector index), then a no-op
  ``update_paths`` (the background indexer's side).
The index is the synthetic one of ``bench.query_latency`` (real texts, 384-dim vectors).

    python -m bench.memory --app [FOLDER]     # the tray app and `kenning index` (issue 13)
    python -m bench.memory --app FOLDER --models offline,minilm   # the default: both, in turn

``--app`` measures, on FOLDER (default: the eval corpus) with the offline model, each in a
fresh process: ``bare``, the app's model loaded as the app loads it and one query embedded;
``idle``, the app's ``IndexService`` after its first index of FOLDER and one search, once it is
idle (the service returns freed heap after each job); and ``index peak``, the peak RSS of
``kenning index FOLDER --model offline`` into an empty data dir (parse worker excluded).
Targets: idle <= 500 MB, index peak <= 700 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.common import EVAL_CORPUS, REPO, machine, out

_CHILD = r"""
import json, sys
from bench.common import load_kenning_embedder, rss_mib
from bench.query_latency import eval_queries
from bench.synthetic_index import build

side, n = sys.argv[1], int(sys.argv[2])
data_dir = build(n)
embedder = load_kenning_embedder()
embedder.embed_queries(["warm up the model"])
base = rss_mib()
if side == "search":
    from engine.search import Searcher
    s = Searcher(data_dir, embedder)
    for q in eval_queries(50):
        s.search(q, mode="hybrid", limit=20)
else:
    from indexer.pipeline import Pipeline
    p = Pipeline(data_dir, embedder)
    p.update_paths([data_dir / "synthetic-root" / "none.py"])
print(json.dumps({"base": base, "after": rss_mib()}))
"""


_APP_CHILD = r"""
import json, sys, tempfile, threading
from pathlib import Path
from bench.common import rss_mib
from desktop.app import embedder_factory
from desktop.settings import Settings

side, folder, model = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if len(sys.argv) > 4 and sys.argv[4] == "no-trim":  # to see what malloc_trim is worth
    import indexer.service
    indexer.service.release_freed_memory = lambda: False
# The app's own choices by name; anything else (minilm, a folder, a hub id) as its "local" model.
choice = model if model in ("default", "offline", "qwen3") else "local"
make = embedder_factory(Settings(model=choice, model_path="" if choice != "local" else model))
if side == "bare":
    embedder = make()
    embedder.embed_queries(["warm up the model"])
    print(json.dumps({"rss": rss_mib()}))
    sys.exit(0)

from engine.search import Searcher
from indexer.service import IndexService

done = threading.Event()
class Listener:
    def on_state(self, state): pass
    def on_progress(self, progress): pass
    def on_model_ready(self, embedder, notice): pass
    def on_index_finished(self, report, first_run):
        self.report = report
        done.set()
    def on_problem(self, message): print(message, file=sys.stderr)

listener = Listener()
data_dir = Path(tempfile.mkdtemp(prefix="kenning-bench-"))
service = IndexService(data_dir, make, [folder], listener=listener, watch=True)
service.start()
done.wait(3600)
searcher = Searcher(data_dir, service.embedder, vectors=service.vectors)
searcher.search("merge the ledger records", mode="hybrid", limit=20)
done.clear()
# Idle: nothing left to do; the next wake-up would be a save. Measure now.
rss = rss_mib()
searcher.close()
service.stop(30)
print(json.dumps({"rss": rss, "files": listener.report.files_indexed,
                  "chunks": listener.report.chunks_added}))
"""


def _index_peak_mib(folder: Path, model: str) -> float:
    """Peak RSS of `kenning index FOLDER --model MODEL` (its own process, from wait4)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kenning-bench-") as data:
        command = [sys.executable, "-m", "desktop", "index", str(folder), "--model", model]
        proc = subprocess.Popen(
            [*command, "--data-dir", data], cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        # wait4 on this pid: ru_maxrss is the process's own peak (and of children it reaped;
        # the parse worker is killed, not reaped into it, when it is closed).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"kenning index failed: {err[-2000:]}")
        out(f"  {err.strip().splitlines()[-1] if err.strip() else ''}")
    return usage.ru_maxrss / 1024  # KiB on Linux


def app_memory(folder: Path, model: str, *, trim: bool = True) -> None:
    out(f"model: {model}; folder: {folder}{'' if trim else ' (malloc_trim switched off)'}")
    figures = {}
    for side in ("bare", "idle"):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _APP_CHILD,
                side,
                str(folder),
                model,
                "trim" if trim else "no-trim",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"the {side} measurement of {model} failed: {proc.stderr[-2000:]}")
        figures[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    idle = figures["idle"]
    out(f"app, model loaded (bare start): {figures['bare']['rss']:.0f} MiB RSS")
    out(
        f"app, idle after its first index ({idle['files']} files, {idle['chunks']} chunks) "
        f"and one search: {idle['rss']:.0f} MiB RSS (target <= 500 MB)"
    )
    if trim:
        peak = _index_peak_mib(folder, model)
        out(f"kenning index, peak: {peak:.0f} MiB RSS (target <= 700 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument(
        "--app",
        nargs="?",
        const=str(EVAL_CORPUS),
        metavar="FOLDER",
        help="measure the tray app (bare, idle after a first index) and kenning index's peak",
    )
    parser.add_argument(
        "--no-trim", action="store_true", help="with --app: the service does not malloc_trim"
    )
    parser.add_argument(
        "--models",
        default="offline,minilm",
        help="with --app: models to measure in turn, as `kenning index --model` takes them",
    )
    args = parser.parse_args()
    if args.app:
        out(f"machine: {machine()}")
        for model in args.models.split(","):
            app_memory(Path(args.app).resolve(), model, trim=not args.no_trim)
        return
    out(f"machine: {machine()}")
    for side in ("search", "pipeline"):
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, side, str(args.chunks)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        extra = figures["after"] - figures["base"]
        per_100k = extra * 100_000 / args.chunks
        out(
            f"{side}: model loaded {figures['base']:.0f} MiB RSS; with {args.chunks} chunks "
            f"{figures['after']:.0f} MiB: +{extra:.0f} MiB (= {per_100k:.0f} MiB per 100k chunks)"
        )


if __name__ == "__main__":
    main()
