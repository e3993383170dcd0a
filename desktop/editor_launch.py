"""Open a file at a line in the user's editor, and reveal files in the file manager.

Every command is an argument list handed to :class:`subprocess.Popen` without a shell, so a
file named ``a "b" $(rm -rf ~).py`` is just a file name. Custom templates are split into
arguments *before* ``{path}``/``{line}``/``{column}`` are substituted for the same reason.
No Qt here.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import KenningError

log = logging.getLogger(__name__)

Which = Callable[[str], str | None]


class EditorLaunchError(KenningError):
    """The editor could not be started."""


@dataclass(frozen=True, slots=True)
class EditorPreset:
    """How one editor takes ``path`` and ``line``: executables tried in order, then args."""

    id: str
    label: str
    executables: tuple[str, ...]
    args: tuple[str, ...]
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


def system_opener(which: Which = shutil.which) -> list[str] | None:
    """The platform's "open with the default application" command, as an argument prefix."""
    if sys.platform == "darwin":
        return ["open"]
    if sys.platform == "win32":
        return None  # os.startfile, see launch()
    for name in ("xdg-open", "gio"):
        exe = which(name)
        if exe:
            return [exe, "open"] if name == "gio" else [exe]
    return None


def find_executable(p: EditorPreset, which: Which = shutil.which) -> str | None:
    for name in p.executables:
        found = which(name)
        if found:
            return found
    return None


def installed_presets(which: Which = shutil.which) -> list[EditorPreset]:
    """Presets whose editor is on PATH, in preference order; "system" when there is an opener."""
    found = [p for p in PRESETS if p.executables and find_executable(p, which)]
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
        if p.in_terminal and visual in p.executables and find_executable(p, which):
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


def _fill(tokens: list[str] | tuple[str, ...], path: str, line: int, column: int) -> list[str]:
    # str.replace, not str.format, because a path may contain braces; {path} goes last so
    # a path holding "{line}" is not substituted again.
    out = []
    for tok in tokens:
        tok = tok.replace("{line}", str(line)).replace("{column}", str(column))
        out.append(tok.replace("{path}", path))
    return out


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
    line, column = max(1, int(line)), max(1, int(column))
    if editor == "custom":
        try:
            tokens = shlex.split(template)
        except ValueError as exc:
            raise EditorLaunchError(f"the custom editor command cannot be parsed: {exc}") from exc
        if not tokens:
            raise EditorLaunchError("the custom editor command is empty; set one in Settings")
        if not any("{path}" in t for t in tokens):
            tokens.append("{path}")
        exe = tokens[0] if os.sep in tokens[0] else which(tokens[0])
        if not exe or not os.access(exe, os.X_OK):
            raise EditorLaunchError(
                f"editor command {tokens[0]!r} was not found or is not executable; "
                "check Settings > Editor"
            )
        return [exe, *_fill(tokens[1:], path, line, column)]
    chosen = preset(detect_default(which) if editor == "auto" else editor)
    if chosen.id == "system":
        opener = system_opener(which)
        if opener is None:
            if sys.platform == "win32":
                return ["start", path]  # marker for launch(): handled by os.startfile
            raise EditorLaunchError(
                "no default opener (xdg-open) found; pick an editor in Settings"
            )
        return [*opener, path]
    exe = find_executable(chosen, which)
    if exe is None:
        raise EditorLaunchError(
            f"{chosen.label} is not installed (looked for {', '.join(chosen.executables)} on "
            "PATH); pick another editor in Settings"
        )
    argv = [exe, *_fill(chosen.args, path, line, column)]
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
