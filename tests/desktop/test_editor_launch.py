"""Editor presets and launching: argument lists only, so any file name is safe."""

from __future__ import annotations

import sys

import pytest

from desktop import editor_launch
from desktop.editor_launch import (
    EditorLaunchError,
    build_command,
    detect_default,
    installed_presets,
    open_in_editor,
    reveal_command,
)
from tests.desktop.conftest import no_pwned, read_argv, template_for


def which_from(*names: str):
    """A PATH holding exactly these executables (under /opt/bin)."""
    found = {n: f"/opt/bin/{n}" for n in names}
    return found.get


@pytest.mark.parametrize(
    ("editor", "exe", "expected_tail"),
    [
        ("vscode", "code", ["--goto", "{p}:12:3"]),
        ("vscodium", "codium", ["--goto", "{p}:12:3"]),
        ("jetbrains", "pycharm", ["--line", "12", "{p}"]),
        ("sublime", "subl", ["{p}:12:3"]),
        ("zed", "zed", ["{p}:12:3"]),
        ("kate", "kate", ["--line", "12", "{p}"]),
        ("emacs", "emacsclient", ["-n", "-a", "emacs", "+12", "{p}"]),
    ],
)
def test_presets_put_path_and_line_where_each_editor_wants_them(
    nasty_file, editor, exe, expected_tail
):
    argv = build_command(editor, nasty_file, 12, 3, which=which_from(exe))
    p = str(nasty_file)
    assert argv == [f"/opt/bin/{exe}", *[t.replace("{p}", p) for t in expected_tail]]


def test_terminal_editors_run_inside_a_terminal(nasty_file, monkeypatch):
    monkeypatch.delenv("TERMINAL", raising=False)
    argv = build_command("neovim", nasty_file, 7, which=which_from("nvim", "gnome-terminal"))
    assert argv == ["/opt/bin/gnome-terminal", "--", "/opt/bin/nvim", "+7", str(nasty_file)]
    with pytest.raises(EditorLaunchError, match="terminal emulator"):
        build_command("vim", nasty_file, 7, which=which_from("vim"))


def test_system_opener(nasty_file):
    argv = build_command("system", nasty_file, 3, which=which_from("xdg-open"))
    assert argv == ["/opt/bin/xdg-open", str(nasty_file)]


def test_missing_editor_gives_a_clear_message(nasty_file):
    with pytest.raises(EditorLaunchError) as err:
        build_command("vscode", nasty_file, 1, which=which_from())
    assert "Visual Studio Code is not installed" in str(err.value)
    assert "Settings" in str(err.value)


def test_default_prefers_an_installed_gui_editor(monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    assert detect_default(which_from("kate", "zed", "xdg-open")) == "zed"
    assert detect_default(which_from("nvim", "xdg-open")) == "system"
    monkeypatch.setenv("EDITOR", "nvim")
    assert detect_default(which_from("nvim", "xdg-open")) == "neovim"
    ids = [p.id for p in installed_presets(which_from("code", "xdg-open"))]
    assert ids == ["vscode", "system"]


def test_auto_uses_the_detected_editor(nasty_file):
    argv = build_command("auto", nasty_file, 5, which=which_from("subl", "xdg-open"))
    assert argv[0] == "/opt/bin/subl"


def test_custom_template_substitutes_inside_arguments(nasty_file, tmp_path):
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    argv = build_command("custom", nasty_file, 9, 4, template=f"{tool} -g {{path}}:{{line}}")
    assert argv == [str(tool), "-g", f"{nasty_file}:9"]
    # No {path} in the template: the path is appended.
    assert build_command("custom", nasty_file, 9, template=str(tool))[-1] == str(nasty_file)


def test_custom_template_errors(nasty_file, tmp_path):
    with pytest.raises(EditorLaunchError, match="cannot be parsed"):
        build_command("custom", nasty_file, template='edit "{path}')
    with pytest.raises(EditorLaunchError, match="empty"):
        build_command("custom", nasty_file, template="   ")
    with pytest.raises(EditorLaunchError, match="not found"):
        build_command("custom", nasty_file, template=f"{tmp_path}/absent {{path}}")


def test_a_real_editor_receives_the_nasty_name_as_one_argument(argv_recorder, nasty_file):
    script, out = argv_recorder
    proc = open_in_editor("custom", nasty_file, 42, 5, template=template_for(script))
    assert proc is not None
    assert proc.wait(timeout=30) == 0
    assert read_argv(out) == ["--line", "42", "--column", "5", str(nasty_file)]
    assert no_pwned(nasty_file.parent)


def test_a_path_holding_placeholders_is_not_substituted_again(argv_recorder, tmp_path):
    script, out = argv_recorder
    odd = tmp_path / "{line} and {column}.txt"
    odd.write_text("x\n")
    proc = open_in_editor("custom", odd, 3, template=template_for(script, "{path}"))
    assert proc is not None and proc.wait(timeout=30) == 0
    assert read_argv(out) == [str(odd)]


def test_launch_failure_is_an_editor_error(tmp_path):
    not_exec = tmp_path / "not-executable"
    not_exec.write_text("")
    with pytest.raises(EditorLaunchError, match="could not start"):
        editor_launch.launch([str(not_exec)])


def test_reveal_opens_the_folder_without_dbus(nasty_file, monkeypatch):
    if sys.platform != "linux":
        pytest.skip("Linux file-manager commands")
    argv = reveal_command(nasty_file, which=which_from("xdg-open"))
    assert argv == ["/opt/bin/xdg-open", str(nasty_file.parent)]
    with pytest.raises(EditorLaunchError, match="opener"):
        reveal_command(nasty_file, which=which_from())
