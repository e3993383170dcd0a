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
