"""Open a file at a line in the user's editor, and reveal files in the file manager.

Every command is an argument list handed to :class:`subprocess.Popen` without a shell, so a
file named ``a "b" $(rm -rf ~).py`` is just a file name; building them (templates, presets,
the opener) is shared with the document viewer in desktop/launch_argv.py. No Qt here.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop.launch_argv import (
    EditorLaunchError,
    Preset,
    Which,
    custom_command,
    fill,
    find_executable,
    installed_executable,
    system_command,
    system_opener,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EditorPreset(Preset):
    """How one editor takes ``path`` and ``line``: executables tried in order, then args."""

    in_terminal: bool = False


PRESETS: tuple[EditorPreset, ...] = (
    EditorPreset("vscode", "Visual Studio Code", ("code",), ("--goto", "{path}:{line}:{column}")),
    EditorPreset(
        "vscodium", "VSCodium", ("codium", "vscodium"), ("--goto", "{path}:{line}:{column}")
    ),
    EditorPreset(
        "jetbrains",
        "JetBrains IDE",
        (
            "idea",
            "pycharm",
            "pycharm-community",
            "pycharm-professional",
            "charm",
            "webstorm",
            "goland",
            "clion",
            "rustrover",
            "phpstorm",
            "rubymine",
            "rider",
        ),
        ("--line", "{line}", "{path}"),
    ),
    EditorPreset("sublime", "Sublime Text", ("subl", "sublime_text"), ("{path}:{line}:{column}",)),
    EditorPreset("zed", "Zed", ("zed", "zeditor", "zedit"), ("{path}:{line}:{column}",)),
    EditorPreset("kate", "Kate", ("kate",), ("--line", "{line}", "{path}")),
    # -n: don't wait for the buffer to be closed; -a emacs: start Emacs when no server runs.
    EditorPreset(
        "emacs", "Emacs (emacsclient)", ("emacsclient",), ("-n", "-a", "emacs", "+{line}", "{path}")
    ),
    EditorPreset("neovim", "Neovim (terminal)", ("nvim",), ("+{line}", "{path}"), True),
    EditorPreset("vim", "Vim (terminal)", ("vim",), ("+{line}", "{path}"), True),
    EditorPreset("system", "System default application", (), ("{path}",)),
)
PRESET_IDS: tuple[str, ...] = tuple(p.id for p in PRESETS)
_BY_ID = {p.id: p for p in PRESETS}

# Terminal emulators and the arguments that introduce the command they run.
_TERMINALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("x-terminal-emulator", ("-e",)),
    ("gnome-terminal", ("--",)),
    ("konsole", ("-e",)),
    ("xfce4-terminal", ("-x",)),
    ("kitty", ()),
    ("alacritty", ("-e",)),
    ("foot", ()),
    ("wezterm", ("start", "--")),
    ("xterm", ("-e",)),
)


def preset(preset_id: str) -> EditorPreset:
    try:
        return _BY_ID[preset_id]
    except KeyError:
        raise EditorLaunchError(f"unknown editor preset {preset_id!r}") from None


def installed_presets(which: Which = shutil.which) -> list[EditorPreset]:
    """Presets whose editor is on PATH, in preference order; "system" when there is an opener."""
    found = [p for p in PRESETS if p.executables and find_executable(p.executables, which)]
    if system_opener(which) is not None or sys.platform == "win32":
        found.append(_BY_ID["system"])
    return found


def detect_default(which: Which = shutil.which) -> str:
    """The preset used for ``editor = "auto"``: the first installed GUI editor, else the opener.

    Terminal editors are only chosen when ``$VISUAL``/``$EDITOR`` names them, because opening
    a terminal is a surprise for someone who never picked Vim.
    """
    gui = [p for p in installed_presets(which) if not p.in_terminal and p.id != "system"]
    if gui:
        return gui[0].id
    visual = os.path.basename(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "")
    for p in PRESETS:
        if p.in_terminal and visual in p.executables and find_executable(p.executables, which):
            return p.id
    return "system"


def terminal_prefix(which: Which = shutil.which) -> list[str] | None:
    """A terminal emulator command that runs the rest of the argument list."""
    env_term = os.environ.get("TERMINAL")
    if env_term and which(env_term):
        return [which(env_term) or env_term, "-e"]
    for name, args in _TERMINALS:
        exe = which(name)
        if exe:
            return [exe, *args]
    return None


def build_command(
    editor: str,
    path: str | Path,
    line: int = 1,
    column: int = 1,
    *,
    template: str = "",
    which: Which = shutil.which,
) -> list[str]:
    """Return the argument list that opens ``path`` at ``line`` with ``editor``.

    ``editor`` is a preset id, ``auto`` or ``custom`` (``template`` is then a command line
    such as ``myedit --line {line} {path}``). Raises :class:`EditorLaunchError` with a
    user-facing message when the editor is not installed.
    """
    path = str(Path(path).absolute())
    position = {"line": max(1, int(line)), "column": max(1, int(column))}
    if editor == "custom":
        return custom_command(template, path, position, "editor", which)
    chosen = preset(detect_default(which) if editor == "auto" else editor)
    if chosen.id == "system":
        return system_command(path, "editor", which)
    exe = installed_executable(chosen, "editor", which)
    argv = [exe, *fill(chosen.args, path, position)]
    if chosen.in_terminal:
        term = terminal_prefix(which)
        if term is None:
            raise EditorLaunchError(
                f"{chosen.label} needs a terminal emulator and none was found; set $TERMINAL"
            )
        argv = [*term, *argv]
    return argv


def launch(argv: list[str]) -> subprocess.Popen[bytes] | None:
    """Start ``argv`` detached from the app (its own session, no inherited stdin).

    The child is not waited for: when the ``Popen`` object is dropped while the child still
    runs, :mod:`subprocess` reaps it on a later call, so no zombies pile up.
    """
    if sys.platform == "win32" and argv[:1] == ["start"]:
        os.startfile(argv[1])  # type: ignore[attr-defined]  # Windows only
        return None
    log.info("launching %s", argv)
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise EditorLaunchError(f"could not start {argv[0]}: {exc.strerror or exc}") from exc


def open_in_editor(
    editor: str, path: str | Path, line: int = 1, column: int = 1, *, template: str = ""
) -> subprocess.Popen[bytes] | None:
    return launch(build_command(editor, path, line, column, template=template))


def reveal_command(path: str | Path, which: Which = shutil.which) -> list[str]:
    """Open the folder holding ``path`` (selecting it where the platform can)."""
    path = str(Path(path).absolute())
    if sys.platform == "darwin":
        return ["open", "-R", path]
    if sys.platform == "win32":
        return ["explorer", f"/select,{path}"]
    opener = system_opener(which)
    if opener is None:
        raise EditorLaunchError("no file manager opener (xdg-open) found")
    return [*opener, str(Path(path).parent)]


def _show_items_over_dbus(path: str, which: Which) -> bool:
    """Ask a FileManager1 service (Nautilus, Dolphin, Nemo...) to select the file."""
    gdbus = which("gdbus")
    if not gdbus or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    # as_uri percent-encodes quotes, so the GVariant literal below cannot be broken out of.
    uri = Path(path).as_uri()
    argv = [
        gdbus,
        "call",
        "--session",
        "--dest",
        "org.freedesktop.FileManager1",
        "--object-path",
        "/org/freedesktop/FileManager1",
        "--method",
        "org.freedesktop.FileManager1.ShowItems",
        f"['{uri}']",
        "",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=3, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def reveal_in_file_manager(path: str | Path, which: Which = shutil.which) -> None:
    """Show ``path`` in the file manager: selected over D-Bus when possible, else its folder."""
    path = str(Path(path).absolute())
    if sys.platform.startswith("linux") and _show_items_over_dbus(path, which):
        return
    launch(reveal_command(path, which))
