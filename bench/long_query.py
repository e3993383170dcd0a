"""Lexical search time for long queries (issue 14.13): pasted pages and repeated words.

    python -m bench.long_query [--chunks N] [--shape I] [--data-dir DIR]

Builds a lexical-only index (no vectors) of N chunks cut from this repository's own Python
files (40-line pieces, cycled), then times ``Searcher.lexical`` for each query shape, best of
3 runs, and prints one line per shape. A query the searcher refuses is timed to its refusal
and marked "refused". Run it on the code before and after a change (PYTHONPATH) to compare;
``--data-dir`` keeps the index (built on first use) so both runs search the same one.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from bench.common import REPO, machine, out


def build(data_dir: Path, n_chunks: int) -> None:
    from engine.store import NewChunk, Store
    from engine.types import Chunk

    pieces: list[tuple[str, int, str]] = []
    for path in sorted(REPO.glob("[deit]*/**/*.py")):
        lines = path.read_text("utf-8", errors="replace").splitlines()
        for start in range(0, len(lines), 40):
            body = "\n".join(lines[start : start + 40])
            if body.strip():
                pieces.append((path.relative_to(REPO).as_posix(), start + 1, body))
    store = Store.open(data_dir)
    folder_id = store.add_folder(REPO)
    with store.transaction():
        for file_no, first in enumerate(range(0, n_chunks, 20)):
            rel = f"copy{file_no:05d}/{pieces[first % len(pieces)][0]}"
            file_id = store.record_file(
                folder_id=folder_id,
                path=str(REPO / rel),
                rel_path=rel,
                size=0,
                mtime_ns=0,
                hash=hashlib.sha256(rel.encode()).hexdigest(),
                status="indexed",
                language="python",
            )
            news = []
            for i in range(first, min(first + 20, n_chunks)):
                _, start, body = pieces[i % len(pieces)]
                end = start + body.count("\n")
                chunk = Chunk(start, end, "code", "python", None, body, body)
                news.append(NewChunk(chunk, f"bench-{i}"))
            store.insert_chunks(file_id, rel, news)
        store.bump_generation()
    store.close()


def shapes() -> dict[str, str]:
    paste = "".join(p.read_text("utf-8") for p in sorted((REPO / "engine").glob("*.py")))
    return {
        "100 kB of 'retry upload '": ("retry upload " * 8000)[:100_000],
        "10 kB of 'retry upload '": ("retry upload " * 800)[:10_000],
        "30 kB pasted code": paste[:30_000],
        "10 kB pasted code": paste[:10_000],
        "a question (6 words)": "where do we retry failed uploads with backoff",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--shape", type=int, help="only this shape (0-4), e.g. with a timeout")
    parser.add_argument("--data-dir", type=Path, help="keep the index here (built if missing)")
    args = parser.parse_args()
    from engine.errors import KenningError
    from engine.search import Searcher

    out(f"# long queries, {args.chunks} chunks, {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        if not (data_dir / "built.ok").exists():
            build(data_dir, args.chunks)
            (data_dir / "built.ok").write_text("ok\n")
        searcher = Searcher(data_dir)
        try:
            for index, (name, query) in enumerate(shapes().items()):
                if args.shape is not None and index != args.shape:
                    continue
                best, note = float("inf"), ""
                for _ in range(3):
                    started = time.perf_counter()
                    try:
                        hits = searcher.lexical(query, limit=10)
                        note = f"{len(hits)} results"
                    except KenningError as exc:
                        note = f"refused: {exc}"[:90]
                    best = min(best, time.perf_counter() - started)
                out(f"{name:28s} {best * 1000:9.1f} ms  {note}")
        finally:
            searcher.close()


if __name__ == "__main__":
    main()
