"""``kenning`` answers a bad data folder, a full disk and bad queries with one clear line.

Real processes, real file systems: a read-only and a nearly full tmpfs where this machine
lets the test mount one (skipped otherwise, with the reason).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.model_fixtures import build_tiny_qwen3

UPLOADS = (
    "def retry_upload(path):\n    '''Retry a failed upload with backoff.'''\n    return path\n"
)


def kenning(*args: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(os.environ),
        timeout=300,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if not line.startswith("kenning: WARN")]
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen3(tmp_path_factory.mktemp("models") / "Qwen3-Embedding-tiny")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "src" / "net").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "src" / "net" / "uploads.py").write_text(UPLOADS)
    (root / "docs" / "uploads.md").write_text("# Uploads\n\nWe retry an upload that failed.\n")
    return root


def mount_tmpfs(point: Path, options: str) -> Iterator[Path]:
    point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def read_only_fs(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "ro", "ro,size=1m")


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "small", "size=2m")


def test_a_data_dir_that_is_a_file(tree, tmp_path):
    data = tmp_path / "a-file"
    data.write_text("not a folder")
    line = one_error_line(kenning("index", str(tree), "--data-dir", str(data)))
    assert line == f"kenning: error: the data folder {data} is a file, not a folder: choose another"
    line = one_error_line(kenning("index", str(tree), "--data-dir", str(data / "sub")))
    assert line == f"kenning: error: cannot create the data folder {data / 'sub'}: not a directory"


def test_a_data_dir_on_a_read_only_file_system(tree, read_only_fs):
    line = one_error_line(kenning("index", str(tree), "--data-dir", str(read_only_fs)))
    assert line == (
        f"kenning: error: cannot write to the data folder {read_only_fs}: read-only file system"
    )
    inside = read_only_fs / "kenning"
    line = one_error_line(kenning("index", str(tree), "--data-dir", str(inside)))
    assert line == f"kenning: error: cannot create the data folder {inside}: read-only file system"


def test_a_full_disk_during_indexing_names_the_database_error(tmp_path, small_fs, tiny_model):
    root = tmp_path / "big"
    root.mkdir()
    for i in range(60):
        body = "".join(
            f"def f_{i}_{j}():\n    return 'w{i * 97 + j} ' * {j}\n\n" for j in range(60)
        )
        (root / f"m{i}.py").write_text(body)
    data = small_fs / "data"
    filler = small_fs / "filler"
    with filler.open("wb") as fh:  # leave 256 kB: the database outgrows it
        # Allocated, not truncated: a sparse file takes no space, and the database would fill
        # the whole 2 MB first (embedding half the files for nothing).
        size = os.statvfs(small_fs).f_bavail * os.statvfs(small_fs).f_frsize - 256 * 1024
        os.posix_fallocate(fh.fileno(), 0, size)
    done = kenning("index", str(root), "--data-dir", str(data), "--model", str(tiny_model))
    line = one_error_line(done)
    assert line == "kenning: error: the index database failed: database or disk is full"


@pytest.fixture
def indexed(tree, tmp_path) -> Path:
    # Indexed in-process without parse workers (whose deadline a loaded machine can miss);
    # the searches below are lexical, so the CLI needs no model.
    data = tmp_path / "data"
    pipeline = Pipeline(data, HashingEmbedder(dim=64), options=IndexOptions(isolate_parsers=False))
    try:
        report = pipeline.index([tree])
    finally:
        pipeline.close()
    assert report.files_indexed == 2
    return data


def search(data: Path, *args: str | bytes) -> subprocess.CompletedProcess[str]:
    return kenning("search", *args, "--mode", "lexical", "--json", "--data-dir", str(data))


def test_folder_takes_any_folder_under_an_indexed_one(indexed, tree):
    for folder in (str(tree / "src"), f"{tree}/docs/../src/net/", str(tree)):
        done = search(indexed, "retry upload", "--folder", folder)
        assert done.returncode == 0, done.stderr
        paths = [r["path"] for r in json.loads(done.stdout)["results"]]
        want_docs = folder == str(tree)
        assert str(tree / "src" / "net" / "uploads.py") in paths
        assert (str(tree / "docs" / "uploads.md") in paths) == want_docs
    line = one_error_line(search(indexed, "retry", "--folder", str(tree.parent)))
    assert line == f"kenning: error: not indexed: {tree.parent} (indexed folders: {tree})"


def test_queries_that_cannot_be_searched_get_one_line(indexed):
    # An undecodable byte on the command line arrives as a lone surrogate.
    line = one_error_line(search(indexed, b"\xff retry"))
    assert line == "kenning: error: the query is not valid Unicode (a lone surrogate at position 0)"
    line = one_error_line(search(indexed, "retry upload " * 1000))
    assert line.startswith("kenning: error: the query is 12,999 characters long; at most 10,000")
