"""Menu entry, icons and autostart entry: where they land, what they say, and clean removal."""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import resources
from desktop import desktop_integration as di

needs_validator = pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate not installed (Debian: desktop-file-utils)",
)


def _fake_launcher(folder: Path, name: str = "kenning") -> Path:
    """A real executable file standing in for the console script."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop entries
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def _unquote_exec(value: str) -> list[str]:
    """Split an Exec value back into arguments, following the Desktop Entry spec."""
    # 1. the string type's escapes, 2. %% for a literal percent, 3. quoting.
    unescaped = []
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            unescaped.append(
                {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(value[i + 1], value[i + 1])
            )
            i += 2
        else:
            unescaped.append(value[i])
            i += 1
    text = "".join(unescaped).replace("%%", "%")
    args, current, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            current.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            args.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    args.append("".join(current))
    return args


def _validate(path: Path) -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout, result.stdout


def test_install_writes_entry_and_hicolor_icons(tmp_path):
    exe = _fake_launcher(tmp_path / "venv" / "bin")
    home = tmp_path / "share"

    written = di.install_desktop_entry(home, executable=exe)

    entry = home / "applications" / "io.github.kenning.Kenning.desktop"
    expected = {entry, home / "icons/hicolor/scalable/apps/io.github.kenning.Kenning.svg"}
    expected |= {
        home / f"icons/hicolor/{n}x{n}/apps/io.github.kenning.Kenning.png"
        for n in resources.ICON_SIZES
    }
    assert set(written) == expected
    assert len(written) == len(expected)
    for size in resources.ICON_SIZES:
        installed = home / f"icons/hicolor/{size}x{size}/apps/{resources.APP_ID}.png"
        assert installed.read_bytes() == resources.icon_path(size).read_bytes()
    fields = _entry(entry)
    assert fields["Exec"] == str(exe)
    assert fields["TryExec"] == str(exe)
    assert fields["Icon"] == resources.APP_ID
    assert fields["Name"] == "Kenning"
    assert "@" not in entry.read_text()


def test_install_defaults_to_xdg_data_home(tmp_path):
    exe = _fake_launcher(tmp_path / "bin")
    written = di.install_desktop_entry(executable=exe)
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert all(data_home in path.parents for path in written)


@needs_validator
def test_installed_entry_passes_desktop_file_validate(tmp_path):
    exe = _fake_launcher(tmp_path / "bin")
    written = di.install_desktop_entry(tmp_path / "share", executable=exe)
    _validate(written[0])


@pytest.mark.parametrize(
    "folder",
    [
        "My Programs",
        'we\'ird "quotes" $HOME `cmd`',
        "back\\slash and 100% (done); #1",
    ],
)
def test_exec_quotes_paths_per_spec(tmp_path, folder):
    exe = tmp_path / folder / "bin" / "kenning"
    written = di.install_desktop_entry(tmp_path / "share", executable=exe)
    exec_value = _entry(written[0])["Exec"]
    assert _unquote_exec(exec_value) == [str(exe)]
    assert exec_value.startswith('"'), "a path with reserved characters must be quoted"
    if shutil.which("desktop-file-validate"):
        _validate(written[0])


def test_plain_path_is_not_quoted():
    assert di.quote_exec_argument("/usr/local/bin/kenning") == "/usr/local/bin/kenning"


def test_line_break_in_path_is_refused(tmp_path):
    with pytest.raises(di.DesktopIntegrationError, match="line break"):
        di.install_desktop_entry(tmp_path / "share", executable=Path("/opt/a\nb/kenning"))


def test_uninstall_removes_exactly_what_install_wrote(tmp_path):
    exe = _fake_launcher(tmp_path / "bin")
    home = tmp_path / "share"
    # Another application's files in the same folders must survive.
    neighbour_entry = home / "applications" / "org.example.Other.desktop"
    neighbour_icon = home / "icons/hicolor/48x48/apps/org.example.Other.png"
    for path in (neighbour_entry, neighbour_icon):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("other")

    written = di.install_desktop_entry(home, executable=exe)
    removed = di.uninstall_desktop_entry(home)

    assert sorted(removed) == sorted(written)
    assert not any(path.exists() for path in written)
    assert neighbour_entry.read_text() == "other"
    assert neighbour_icon.read_text() == "other"
    assert di.uninstall_desktop_entry(home) == []


def test_reinstall_points_at_the_new_executable(tmp_path):
    home = tmp_path / "share"
    di.install_desktop_entry(home, executable=_fake_launcher(tmp_path / "old"))
    new = _fake_launcher(tmp_path / "new")
    written = di.install_desktop_entry(home, executable=new)
    assert _entry(written[0])["Exec"] == str(new)


def test_autostart_writes_and_removes_entry(tmp_path):
    exe = _fake_launcher(tmp_path / "bin")
    config = tmp_path / "config"

    path = di.set_autostart(True, config, executable=exe)

    assert path == config / "autostart" / "io.github.kenning.Kenning.desktop"
    assert di.is_autostart_enabled(config)
    fields = _entry(path)
    assert _unquote_exec(fields["Exec"]) == [str(exe), "--hidden"]
    assert fields["X-GNOME-Autostart-enabled"] == "true"
    if shutil.which("desktop-file-validate"):
        _validate(path)

    assert di.set_autostart(False, config) == path
    assert not path.exists()
    assert not di.is_autostart_enabled(config)
    assert di.set_autostart(False, config) is None


def test_autostart_quotes_the_executable_before_its_flag(tmp_path):
    exe = tmp_path / "My Apps" / "kenning"
    path = di.set_autostart(True, tmp_path / "config", executable=exe)
    assert _unquote_exec(_entry(path)["Exec"]) == [str(exe), "--hidden"]


def test_autostart_defaults_to_xdg_config_home(tmp_path):
    path = di.set_autostart(True, executable=_fake_launcher(tmp_path / "bin"))
    assert path is not None
    assert Path(os.environ["XDG_CONFIG_HOME"]) in path.parents


def test_find_executable_prefers_the_running_launcher(tmp_path, monkeypatch):
    exe = _fake_launcher(tmp_path / "pipx" / "bin")
    monkeypatch.setattr(sys, "argv", [str(exe), "install-desktop"])
    assert di.find_executable() == exe


def test_find_executable_looks_beside_the_interpreter(tmp_path, monkeypatch):
    exe = _fake_launcher(tmp_path / "venv" / "bin")
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert di.find_executable() == exe


def test_find_executable_uses_path(tmp_path, monkeypatch):
    exe = _fake_launcher(tmp_path / "on-path")
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setenv("PATH", str(exe.parent))
    assert di.find_executable() == exe


def test_missing_executable_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(di.DesktopIntegrationError, match="cannot find the installed 'kenning'"):
        di.install_desktop_entry(tmp_path / "share")
    assert not (tmp_path / "share").exists()


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kenning")
    di.register_cli(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_installs_and_uninstalls(tmp_path, monkeypatch, capsys):
    exe = _fake_launcher(tmp_path / "bin")
    monkeypatch.setattr(sys, "argv", [str(exe), "install-desktop"])
    share, config = tmp_path / "share", tmp_path / "config"
    common = ["--data-home", str(share), "--config-home", str(config)]

    args = _cli(["install-desktop", "--autostart", *common])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    entry = share / "applications" / f"{resources.APP_ID}.desktop"
    autostart = config / "autostart" / f"{resources.APP_ID}.desktop"
    assert entry.is_file() and autostart.is_file()
    assert f"installed {entry}" in out

    args = _cli(["install-desktop", "--uninstall", *common])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert not entry.exists() and not autostart.exists()
    assert f"removed {autostart}" in out
    assert not list(share.rglob("*.png"))


def test_cli_reports_missing_executable_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    args = _cli(["install-desktop", "--data-home", str(tmp_path / "share")])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("kenning: cannot find") and err.count("\n") == 1


def test_cli_rejects_uninstall_with_autostart():
    with pytest.raises(SystemExit) as excinfo:
        _cli(["install-desktop", "--uninstall", "--autostart"])
    assert excinfo.value.code == 2
