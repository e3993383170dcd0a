"""The argv building the editor and the document viewer share (desktop/launch_argv.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.launch_argv import (
    EditorLaunchError,
    Preset,
    custom_command,
    fill,
    installed_executable,
    system_command,
)


def which_from(*names: str):
    return {n: f"/opt/bin/{n}" for n in names}.get


def test_fill_substitutes_each_position_and_the_path_last() -> None:
    tokens = ("--goto", "{path}:{line}:{column}", "{page}")
    assert fill(tokens, "/d/{page}{line}.py", {"line": 3, "column": 9}) == [
        "--goto",
        "/d/{page}{line}.py:3:9",
        "{page}",  # not a position of this command: left as typed
    ]
    assert fill(["-P", "{page}", "{path}"], "/d/{page}.pdf", {"page": 4}) == [
        "-P",
        "4",
        "/d/{page}.pdf",
    ]


def test_a_custom_command_is_split_before_substitution(tmp_path: Path) -> None:
    tool = tmp_path / "my viewer"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    name = str(tmp_path / "a 'b' $(x) {page}.pdf")
    argv = custom_command(
        f"'{tool}' -p {{page}}", name, {"page": 2}, "document viewer", which_from()
    )
    assert argv == [str(tool), "-p", "2", name]  # {path} appended when the template lacks it


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('view "{path}', "the custom document viewer command cannot be parsed: "),
        ("  ", "the custom document viewer command is empty; set one in Settings"),
        (
            "absent-viewer {path}",
            "document viewer command 'absent-viewer' was not found or is not executable; "
            "check Settings > Editor",
        ),
    ],
)
def test_custom_command_errors_name_the_program(template: str, message: str) -> None:
    with pytest.raises(EditorLaunchError) as info:
        custom_command(template, "/d/a.pdf", {"page": 1}, "document viewer", which_from())
    assert str(info.value).startswith(message)


def test_a_preset_that_is_not_installed_says_what_was_looked_for() -> None:
    zed = Preset("zed", "Zed", ("zed", "zeditor"), ("{path}",))
    assert installed_executable(zed, "editor", which_from("zeditor")) == "/opt/bin/zeditor"
    with pytest.raises(EditorLaunchError) as info:
        installed_executable(zed, "editor", which_from())
    assert str(info.value) == (
        "Zed is not installed (looked for zed, zeditor on PATH); pick another editor in Settings"
    )


@pytest.mark.skipif(sys.platform != "linux", reason="xdg-open and gio are the Linux openers")
def test_the_system_opener_and_its_absence() -> None:
    assert system_command("/d/a.pdf", "editor", which_from("xdg-open")) == [
        "/opt/bin/xdg-open",
        "/d/a.pdf",
    ]
    assert system_command("/d/a.pdf", "editor", which_from("gio")) == [
        "/opt/bin/gio",
        "open",
        "/d/a.pdf",
    ]
    with pytest.raises(EditorLaunchError) as info:
        system_command("/d/a.pdf", "editor", which_from())
    assert str(info.value) == "no default opener (xdg-open) found; pick an editor in Settings"
    with pytest.raises(EditorLaunchError, match=r"pick a document viewer in Settings$"):
        system_command("/d/a.pdf", "document viewer", which_from())
