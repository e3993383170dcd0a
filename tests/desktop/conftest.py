"""Fixtures for the desktop tests: an argv-recording editor script and a small corpus."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest

# A file name that would run a command if it ever reached a shell.
NASTY_NAME = """my "odd" file's $(touch pwned) name.py"""


@pytest.fixture
def argv_recorder(tmp_path: Path):
    """A real executable that writes its arguments, as JSON, to a file next to it.

    Returns ``(script_path, output_path)``. The script lives in a folder whose name has a
    space, so the template has to quote it and the launcher has to keep it one argument.
    """
    folder = tmp_path / "fake editor"
    folder.mkdir()
    out = folder / "argv.json"
    script = folder / "record-argv"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(out)!r}, 'w') as fh:\n"
        "    json.dump(sys.argv[1:], fh)\n"
    )
    script.chmod(0o755)
    return script, out


def read_argv(out: Path) -> list[str]:
    return json.loads(out.read_text())


def template_for(script: Path, args: str = "--line {line} --column {column} {path}") -> str:
    return f"{shlex.quote(str(script))} {args}"


@pytest.fixture
def nasty_file(tmp_path: Path) -> Path:
    folder = tmp_path / "project dir"
    folder.mkdir()
    path = folder / NASTY_NAME
    path.write_text("def odd():\n    return 'odd'\n")
    return path


def no_pwned(folder: Path) -> bool:
    return not any(p.name == "pwned" for p in folder.rglob("*")) and not os.path.exists("pwned")


# ----------------------------------------------------------------- real core fixtures

RETRY_PY = '''\
import time


def call_with_backoff(request, attempts=5):
    """Try the network call again after a failure, sleeping twice as long each time."""
    for attempt in range(attempts):
        try:
            return request()
        except ConnectionError:
            time.sleep(2 ** attempt)
    raise TimeoutError("gave up")
'''

CSV_PY = '''\
import csv


def read_spreadsheet_rows(path):
    """Open a comma separated values file and yield each row as a dictionary."""
    with open(path, newline="") as handle:
        yield from csv.DictReader(handle)
'''

NOTES_MD = """# Team notes

## Summer holiday

The team goes hiking in the mountains in August; bring boots and a rain jacket.
"""

NASTY_PY = '''\
def adler_checksum(data):
    """Rolling checksum of a byte string, Adler-32 style."""
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a
'''


def write_corpus(root: Path) -> Path:
    (root / "net").mkdir(parents=True)
    (root / "net" / "retry.py").write_text(RETRY_PY)
    (root / "data").mkdir()
    (root / "data" / "spreadsheet.py").write_text(CSV_PY)
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").write_text(NOTES_MD)
    (root / "odd").mkdir()
    (root / "odd" / NASTY_NAME).write_text(NASTY_PY)
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "my corpus")


@pytest.fixture(scope="session")
def minilm(minilm_path: Path):
    """The bundled model, loaded once for the whole session (services wrap it per test)."""
    from engine.local_embedder import LocalEmbedder
    from engine.model_resolution import OFFLINE_MODEL_ID

    return LocalEmbedder(minilm_path, model_id=OFFLINE_MODEL_ID, device="cpu")


@pytest.fixture(scope="module")
def indexed_corpus(tmp_path_factory: pytest.TempPathFactory, minilm):
    """A corpus indexed once per module with the bundled model: ``(root, data_dir)``."""
    from indexer.pipeline import Pipeline

    base = tmp_path_factory.mktemp("indexed")
    root = write_corpus(base / "corpus")
    pipeline = Pipeline(base / "data", minilm)
    try:
        report = pipeline.index([root])
    finally:
        pipeline.close()
    assert report.files_indexed == 4
    return root, base / "data"
