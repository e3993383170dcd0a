"""Promise 15: opening results whose names hold quotes, ``;``, ``$(id)``, a leading ``-`` or
newlines runs exactly the editor, on exactly that file.

Every editor the app knows is a real executable here: a recording script on a ``PATH`` that
holds nothing else, writing the argument vector it was started with. Each launch goes through
``desktop.editor_launch.open_in_editor`` (what a double-click calls) and must record exactly
the expected vector, once; names that would run a command in a shell must run nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from desktop import editor_launch

HOSTILE_NAMES = [
    'a "double" quote.py',
    "it's a 'single' quote.py",
    "semi;colon; touch PWNED_SEMI.py",
    "$(touch PWNED_SUBST).py",
    "`touch PWNED_BACKTICK`.py",
    "-rf --version.py",
    "--goto=elsewhere.py",
    "new\nline.py",
    "tab\there.py",
    "{path}{line}{column}.py",
    "pipe | touch PWNED_PIPE.py",
    "glob*?[x].py",
    "~tilde & amp.py",
    "back\\slash.py",
    "x:9:9.py",
    " leading space.py",
    "ünïcödé 名前.py",
]
EDITORS = {
    # preset: (its executable, the arguments expected after it, whether a terminal runs it)
    "vscode": ("code", ["--goto", "{path}:7:3"], False),
    "vscodium": ("codium", ["--goto", "{path}:7:3"], False),
    "jetbrains": ("idea", ["--line", "7", "{path}"], False),
    "sublime": ("subl", ["{path}:7:3"], False),
    "zed": ("zed", ["{path}:7:3"], False),
    "kate": ("kate", ["--line", "7", "{path}"], False),
    "emacs": ("emacsclient", ["-n", "-a", "emacs", "+7", "{path}"], False),
    "vim": ("vim", ["+7", "{path}"], True),
    "neovim": ("nvim", ["+7", "{path}"], True),
    "system": ("xdg-open", ["{path}"], False),
}
RECORDER = """#!{python}
import json, os, sys
with open(os.environ["KENNING_ARGV_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv) + "\\n")
"""


@pytest.fixture
def recording_bin(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A PATH of recording scripts named like every editor, terminal and opener."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    names = {exe for exe, _, _ in EDITORS.values()} | {"x-terminal-emulator", "my-editor"}
    for name in names:
        script = bin_dir / name
        script.write_text(RECORDER.format(python=sys.executable))
        script.chmod(0o755)
    log = tmp_path / "argv.log"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("KENNING_ARGV_LOG", str(log))
    monkeypatch.delenv("TERMINAL", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # where a shell would have created the PWNED files
    return bin_dir, log


@pytest.fixture
def hostile_files(tmp_path) -> list[Path]:
    folder = tmp_path / "files"
    folder.mkdir()
    paths = []
    for name in HOSTILE_NAMES:
        path = folder / name
        path.write_text("def f():\n    return 1\n")
        paths.append(path)
    return paths


def _launch_and_record(log: Path, *args: object, **kwargs: object) -> list[str]:
    before = log.read_text().splitlines() if log.exists() else []
    proc = editor_launch.open_in_editor(*args, **kwargs)
    assert proc is not None and proc.wait(30) == 0
    lines = log.read_text().splitlines()[len(before) :]
    assert len(lines) == 1, lines  # one process started, and only one
    return json.loads(lines[0])


@pytest.mark.parametrize("editor", EDITORS, ids=list(EDITORS))
def test_each_editor_gets_exactly_the_file(recording_bin, hostile_files, editor):
    bin_dir, log = recording_bin
    exe, args, in_terminal = EDITORS[editor]
    for path in hostile_files:
        argv = _launch_and_record(log, editor, path, 7, 3)
        expected = [str(bin_dir / exe), *(a.replace("{path}", str(path)) for a in args)]
        if in_terminal:
            expected = [str(bin_dir / "x-terminal-emulator"), "-e", *expected]
        assert argv == expected, path.name
    assert list(Path.cwd().iterdir()) == []  # no shell ran: nothing was created


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("my-editor --line {line} {path}", ["--line", "7", "{path}"]),
        ("my-editor '--file={path}' -c{column}", ["--file={path}", "-c3"]),
        ("my-editor", ["{path}"]),
    ],
)
def test_a_custom_command_gets_exactly_the_file(recording_bin, hostile_files, template, expected):
    bin_dir, log = recording_bin
    for path in hostile_files:
        argv = _launch_and_record(log, "custom", path, 7, 3, template=template)
        filled = [a.replace("{path}", str(path)) for a in expected]
        assert argv == [str(bin_dir / "my-editor"), *filled]
    assert list(Path.cwd().iterdir()) == []
