"""The index service under a tiny inotify watch limit; run inside a new user namespace.

    unshare -U -r python -m tests.reliability.watch_limit_runner TREE DATA_DIR LIMIT

Sets this namespace's ``max_inotify_watches`` to LIMIT (the kernel then fails
``inotify_add_watch`` with ENOSPC, exactly as when ``fs.inotify.max_user_watches`` is used
up), runs the real IndexService over TREE, edits a file in a folder that cannot have a
watch, and prints what happened as JSON.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from pathlib import Path

from indexer.pipeline import IndexOptions
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.reliability.service_listener import Recorder

WAIT_S = 120.0


def _stored(data_dir: Path, path: Path, word: str) -> bool:
    db = data_dir / "index.sqlite3"
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path = ?",
            (str(path),),
        ).fetchall()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return any(word in row[0] for row in rows)


def main(tree: Path, data_dir: Path, limit: int) -> dict[str, object]:
    Path("/proc/sys/user/max_inotify_watches").write_text(str(limit))
    listener = Recorder()
    baseline = set(threading.enumerate())
    service = IndexService(
        data_dir,
        lambda: HashingEmbedder(dim=64),
        [tree],
        listener=listener,
        options=IndexOptions(group_chunks=64),
        rescan_interval_s=1.0,
        quiet_s=0.1,
        max_delay_s=1.0,
    )
    service.start()
    result: dict[str, object] = {}
    try:
        result["first_index"] = listener.wait_for(lambda: bool(listener.finished), WAIT_S)
        # The last folder is walked last: long after the watches ran out.
        deep = sorted(p for p in tree.rglob("*") if p.is_dir())[-1] / "added_later.py"
        deep.write_text("def found_by_the_periodic_rescan():\n    return 1\n")
        result["unwatched_change_indexed"] = listener.wait_for(
            lambda: _stored(data_dir, deep, "found_by_the_periodic_rescan"), WAIT_S
        )
        top = tree / "top_level.py"
        top.write_text("def found_at_the_top():\n    return 2\n")
        result["top_change_indexed"] = listener.wait_for(
            lambda: _stored(data_dir, top, "found_at_the_top"), WAIT_S
        )
    finally:
        result["stopped"] = service.stop(5.0)
    result["problems"] = listener.problems
    result["states"] = sorted(set(listener.states))
    result["threads_left"] = [t.name for t in set(threading.enumerate()) - baseline]
    return result


if __name__ == "__main__":
    tree, data_dir, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(main(tree, data_dir, limit)))
