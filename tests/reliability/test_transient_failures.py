"""Issues 14.3 and 13.5: a failure of the moment is retried, never a file's permanent verdict.

* A file that cannot be read (here: mode 000, read by a process without CAP_DAC_OVERRIDE, so
  root's permission bypass does not hide it) is recorded as pending, not failed, and indexed
  on the next run after ``chmod 644`` (size and mtime unchanged) and by the watcher at once.
* A parse that runs out of time is tried again in the same run with a longer deadline; one
  that keeps running out of time is pending for ``MAX_PARSE_ATTEMPTS`` runs, then failed.
* The caller's token counting (a lazily loaded tokenizer) is not charged to the parse deadline.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.store import Store
from indexer.chunking import ChunkingContext
from indexer.parse_worker import ParseLimits, ParseWorker
from indexer.retry_policy import MAX_PARSE_ATTEMPTS
from tests.reliability.conftest import REPO, hashing_pipeline

HOSTILE_DIR = Path(__file__).parent / "hostile_parser"
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _drop_permission_bypass() -> None:
    """In the child before exec: without these, even root obeys file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop() -> bool:
    if sys.platform != "linux":
        return False
    if os.geteuid() != 0:
        return True  # an ordinary user obeys file modes anyway
    try:
        subprocess.run(["true"], preexec_fn=_drop_permission_bypass, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


needs_modes = pytest.mark.skipif(not _can_drop(), reason="cannot make file modes apply here")

_INDEX_CHILD = """
import json, sys
from pathlib import Path
from tests.reliability.conftest import hashing_pipeline
pipeline = hashing_pipeline(Path(sys.argv[2]))
try:
    report = pipeline.index([Path(sys.argv[1])])
finally:
    pipeline.close()
print(json.dumps({"indexed": report.files_indexed, "unchanged": report.files_unchanged,
                  "failed": report.files_failed, "retrying": report.files_retrying}))
"""

_WATCH_CHILD = """
import json, os, sys
from pathlib import Path
from engine.store import Store
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.reliability.service_listener import Recorder

tree, data = Path(sys.argv[1]), Path(sys.argv[2])

def status_of(path):
    store = Store.open(data, readonly=True)
    try:
        rec = store.file_by_path(str(path))
        return None if rec is None else (rec.status, rec.reason)
    finally:
        store.close()

listener = Recorder()
service = IndexService(data, HashingEmbedder, [tree], listener=listener, quiet_s=0.1,
                       max_delay_s=1.0)
service.start()
out = {}
try:
    assert listener.wait_for(lambda: bool(listener.finished), 120)
    locked = tree / "locked-later.txt"
    fd = os.open(locked, os.O_CREAT | os.O_WRONLY, 0o000)  # never readable until the chmod
    os.write(fd, b"Quarterly ledger reconciliation notes for the audit.\\n")
    os.close(fd)
    out["while_locked"] = listener.wait_for(
        lambda: (status_of(locked) or ("",))[0] == "pending", 120)
    out["locked_status"] = status_of(locked)
    os.chmod(locked, 0o644)
    out["after_chmod"] = listener.wait_for(
        lambda: (status_of(locked) or ("",))[0] == "indexed", 120)
finally:
    out["stopped"] = service.stop(5.0)
print(json.dumps(out))
"""


def _child(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        preexec_fn=_drop_permission_bypass if os.geteuid() == 0 else None,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(data: Path, path: Path) -> tuple[str, str | None]:
    store = Store.open(data, readonly=True)
    try:
        record = store.file_by_path(str(path))
        assert record is not None
        return record.status, record.reason
    finally:
        store.close()


@needs_modes
def test_an_unreadable_file_is_indexed_on_the_next_run_after_chmod(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "open.txt").write_text("Deploy with the blue green strategy.\n")
    locked = tree / "locked.txt"
    locked.write_text("Quarterly ledger reconciliation notes for the audit.\n")
    locked.chmod(0o000)
    data = tmp_path / "data"

    first = _child(_INDEX_CHILD, str(tree), str(data))
    assert (first["indexed"], first["failed"], first["retrying"]) == (1, 0, 1)
    status, reason = _row(data, locked)
    assert status == "pending" and reason is not None and "Permission denied" in reason

    before = locked.stat()
    locked.chmod(0o644)  # size and mtime stay as they were
    assert (locked.stat().st_size, locked.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    second = _child(_INDEX_CHILD, str(tree), str(data))
    assert (second["indexed"], second["retrying"]) == (1, 0)
    assert _row(data, locked) == ("indexed", None)


@needs_modes
def test_the_watcher_indexes_an_unreadable_file_once_it_is_chmodded(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "open.txt").write_text("Deploy with the blue green strategy.\n")
    out = _child(_WATCH_CHILD, str(tree), str(tmp_path / "data"))
    assert out["while_locked"], out
    assert out["after_chmod"], out
    assert out["stopped"], out


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "hostile.log"
    log.touch()
    path = [str(HOSTILE_DIR), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in path if p))
    monkeypatch.setenv("KENNING_HOSTILE_LOG", str(log))
    return log


def test_a_parse_that_ran_out_of_time_once_is_retried_in_the_same_run(
    tmp_path: Path, hostile: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    slow = tree / "busy_moment.py"
    slow.write_bytes(b"HOSTILE:stall-once\ndef reconcile_ledger():\n    return 1\n")
    (tree / "other.py").write_text("def ordinary():\n    return 2\n")
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data, parse_limits=ParseLimits(base_s=1.0, per_mb_s=1.0))
    try:
        report = pipeline.index([tree])
    finally:
        pipeline.close()
    assert (report.files_indexed, report.files_failed, report.files_retrying) == (2, 0, 0)
    assert _row(data, slow) == ("indexed", None)
    # Parsed twice: stalled once, then parsed with the longer deadline.
    assert [line.split(" ", 1)[1] for line in hostile.read_text().splitlines()] == [str(slow)] * 2


def test_a_parse_that_always_runs_out_of_time_fails_only_after_repeated_runs(
    tmp_path: Path, hostile: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    stuck = tree / "stuck.py"
    stuck.write_bytes(b"HOSTILE:sleep\ndef never():\n    pass\n")
    data = tmp_path / "data"
    statuses = []
    for _ in range(MAX_PARSE_ATTEMPTS + 1):
        pipeline = hashing_pipeline(data, parse_limits=ParseLimits(base_s=0.2, per_mb_s=0.0))
        try:
            pipeline.index([tree])
        finally:
            pipeline.close()
        statuses.append(_row(data, stuck))
    assert [s for s, _ in statuses] == ["pending"] * (MAX_PARSE_ATTEMPTS - 1) + ["failed"] * 2
    assert "attempt 1 of 3" in statuses[0][1] and "attempt 2 of 3" in statuses[1][1]
    assert "ran out of time in 3 runs" in statuses[2][1]
    # Deadlines grew: 0.2 s then 0.6 s in run one, 0.6 then 1.8 s in run two ...
    assert "longer than 5 s" in statuses[2][1]
    # Once failed, it is not parsed again until it changes.
    tries = len(hostile.read_text().splitlines())
    assert tries == 2 * MAX_PARSE_ATTEMPTS


def test_counting_tokens_in_the_caller_is_not_charged_to_the_parse(tmp_path: Path) -> None:
    """A lazily loaded tokenizer loads during the first file's first count: not parse time."""
    calls = []

    def slow_first_count(texts: list[str]) -> list[int]:
        if not calls:
            time.sleep(3.0)  # the model and tokenizer loading, as LazyLocalEmbedder does
        calls.append(len(texts))
        return [len(t.split()) + 1 for t in texts]

    worker = ParseWorker(ParseLimits(base_s=1.0, per_mb_s=0.0))
    try:
        ctx = ChunkingContext(rel_path="notes.md", max_tokens=64, count_tokens=slow_first_count)
        chunks = worker.chunk(
            tmp_path / "notes.md", b"# Notes\n\nMerge the ledger records nightly.\n", ctx
        )
    finally:
        worker.close()
    assert chunks and calls
