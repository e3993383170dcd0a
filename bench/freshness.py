"""Freshness: from saving a file in a watched folder to its new content being searchable.

    python -m bench.freshness                 # 10 new files + 10 edits

Runs the desktop app's own background indexer (``indexer.service.IndexService``: watchdog
watcher -> debouncer -> pipeline, one worker owning the model) over a small real folder,
waits for the first index, then repeatedly saves a file and polls, every 10 ms, until a
``Searcher`` sharing the service's vector index (as the window does) finds the new text:
- lexically (FTS5 has the committed chunk), and
- semantically (the chunk's vector is in the live hnsw index: the new file is the top hit
  for its own sentence).
The debouncer waits for ``quiet_s`` (0.4 s) of silence before indexing; that is the floor.
Target: <= 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time

from bench.common import EVAL_CORPUS, WORK, load_kenning_embedder, machine, median, out, percentile

POLL_S = 0.01
TIMEOUT_S = 30.0


class Listener:
    def __init__(self) -> None:
        self.finished = threading.Event()
        self.ready = threading.Event()
        self.problems: list[str] = []

    def on_state(self, state: str) -> None:
        pass

    def on_progress(self, progress: object) -> None:
        pass

    def on_model_ready(self, embedder: object, notice: str | None) -> None:
        self.ready.set()

    def on_index_finished(self, report: object, first_run: bool) -> None:
        self.finished.set()

    def on_problem(self, message: str) -> None:
        self.problems.append(message)


def _wait_until(check: object, started: float) -> float:
    while time.perf_counter() - started < TIMEOUT_S:
        if check():
            return time.perf_counter() - started
        time.sleep(POLL_S)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()

    from engine.search import Searcher
    from indexer.service import IndexService

    root = WORK / "freshness-root"
    data_dir = WORK / "freshness-data"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(EVAL_CORPUS / "npm" / "docs", root / "docs")
    shutil.copytree(EVAL_CORPUS / "cpython" / "json", root / "json")

    embedder = load_kenning_embedder()
    listener = Listener()
    service = IndexService(data_dir, lambda: embedder, [root], listener=listener)
    service.start()
    if not listener.finished.wait(600):
        raise SystemExit(f"the first index did not finish: {listener.problems}")
    out(f"machine: {machine()}")
    out(f"watched folder: {sum(1 for p in root.rglob('*') if p.is_file())} files, indexed")
    searcher = Searcher(data_dir, embedder, vectors=service)

    results: dict[str, list[float]] = {
        "new lexical": [],
        "new semantic": [],
        "edit lexical": [],
        "edit semantic": [],
    }
    try:
        for trial in range(args.trials):
            for kind in ("new", "edit"):
                word = f"quokka{kind}{trial}zed"
                sentence = (
                    f"The {word} ledger reconciles overdue invoices with bank statements "
                    f"every night, trial {trial}."
                )
                path = (
                    root / "notes" / f"note-{trial}.md"
                    if kind == "new"
                    else root / "notes" / "edited.md"
                )
                path.parent.mkdir(exist_ok=True)
                if kind == "edit" and not path.exists():
                    path.write_text("# Edited\n\nplaceholder text\n")
                    time.sleep(2.0)  # let that first save be indexed before timing edits
                started = time.perf_counter()
                path.write_text(f"# Note\n\n{sentence}\n", encoding="utf-8")
                resolved = str(path.resolve())

                def lexical_found(w: str = word, p: str = resolved) -> bool:
                    return any(r.path == p for r in searcher.lexical(w, limit=5))

                qv = searcher.embed_query(sentence)  # embedded before the clock matters

                def semantic_found(q: object = qv, p: str = resolved) -> bool:
                    hits = searcher.semantic(q, limit=1)
                    return bool(hits) and hits[0].path == p

                results[f"{kind} lexical"].append(_wait_until(lexical_found, started))
                results[f"{kind} semantic"].append(_wait_until(semantic_found, started))
                time.sleep(0.5)  # separate the trials' events
    finally:
        searcher.close()
        service.stop()
    out("| save -> searchable | p50 s | p95 s | max s |")
    out("|---|---:|---:|---:|")
    for name, values in results.items():
        out(f"| {name} | {median(values):.2f} | {percentile(values, 95):.2f} | {max(values):.2f} |")
    if listener.problems:
        out(f"problems reported: {listener.problems}")


if __name__ == "__main__":
    main()
