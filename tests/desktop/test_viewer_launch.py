"""PDF and DOCX hits open in a document viewer at the page; code still goes to the editor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from desktop.editor_launch import EditorLaunchError
from desktop.settings import Settings, SettingsError, settings_from_dict
from desktop.viewer_launch import build_viewer_command, detect_viewer, is_document
from engine.types import SearchResult
from tests.desktop.conftest import NASTY_NAME, no_pwned


def fake_which(*installed: str):
    return lambda name: f"/usr/bin/{name}" if name in installed else None


@pytest.mark.parametrize(
    ("viewer", "argv"),
    [
        ("evince", ["/usr/bin/evince", "--page-index=7", "/d/manual.pdf"]),
        ("okular", ["/usr/bin/okular", "-p", "7", "/d/manual.pdf"]),
        ("zathura", ["/usr/bin/zathura", "-P", "7", "/d/manual.pdf"]),
        ("system", ["/usr/bin/xdg-open", "/d/manual.pdf"]),
    ],
)
def test_presets_open_a_pdf_at_its_page(viewer: str, argv: list[str]) -> None:
    which = fake_which("evince", "okular", "zathura", "xdg-open")
    assert build_viewer_command(viewer, "/d/manual.pdf", 7, which=which) == argv


def test_a_docx_paragraph_number_is_not_passed_as_a_page() -> None:
    # A DOCX chunk's start_line is a paragraph ordinal: opening "page 41" would be wrong.
    argv = build_viewer_command("okular", "/d/report.docx", 41, which=fake_which("okular"))
    assert argv == ["/usr/bin/okular", "-p", "1", "/d/report.docx"]


def test_auto_follows_the_desktops_pdf_application() -> None:
    which = fake_which("okular", "evince", "xdg-open")
    kde = {"application/pdf": "okularApplication_pdf.desktop"}
    assert detect_viewer(which, kde.get) == "okular"
    gnome = {"application/pdf": "org.gnome.Evince.desktop"}
    assert build_viewer_command("auto", "/d/a.pdf", 3, which=which, default_app=gnome.get) == [
        "/usr/bin/evince",
        "--page-index=3",
        "/d/a.pdf",
    ]
    # A PDF application without a page option (a browser), or none at all: xdg-open.
    firefox = {"application/pdf": "firefox.desktop"}
    assert build_viewer_command("auto", "/d/a.pdf", 3, which=which, default_app=firefox.get) == [
        "/usr/bin/xdg-open",
        "/d/a.pdf",
    ]
    # The desktop names Okular but it is not installed: no broken command.
    assert detect_viewer(fake_which("xdg-open"), kde.get) == "system"


def test_a_missing_viewer_is_one_clear_line() -> None:
    with pytest.raises(EditorLaunchError, match=r"^Zathura is not installed .*Settings$"):
        build_viewer_command("zathura", "/d/a.pdf", 2, which=fake_which())
    with pytest.raises(EditorLaunchError, match="no default opener"):
        build_viewer_command("system", "/d/a.pdf", 2, which=fake_which())


def test_custom_viewer_template_keeps_a_hostile_name_one_argument(tmp_path: Path) -> None:
    script = tmp_path / "view"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    pdf = tmp_path / (NASTY_NAME + ".pdf")
    argv = build_viewer_command("custom", pdf, 4, template=f"{script} --goto {{page}} {{path}}")
    assert argv == [str(script), "--goto", "4", str(pdf)]


def test_only_pdf_and_docx_are_documents() -> None:
    assert is_document("/a/Manual.PDF") and is_document("/a/b.docx")
    assert not is_document("/a/notes.md") and not is_document("/a/main.py")


def test_viewer_settings_are_validated() -> None:
    assert settings_from_dict({"viewer": "okular"}).viewer == "okular"
    with pytest.raises(SettingsError, match="unknown viewer 'acrobat'"):
        settings_from_dict({"viewer": "acrobat"})
    with pytest.raises(SettingsError, match=r"must contain \{path\}"):
        settings_from_dict({"viewer": "custom", "viewer_template": "myviewer"})


# ----------------------------------------------------------------- the app, real processes
@pytest.fixture
def fake_viewers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``okular`` and ``code`` on PATH: real executables that record their argv as JSON."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("okular", "code"):
        script = bin_dir / name
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, sys\n"
            f"open({str(tmp_path / (name + '.json'))!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return tmp_path


def _hit(path: Path, line: int, kind: str = "text") -> SearchResult:
    return SearchResult(1, str(path), line, line, 0.5, kind, "pdf", None, "")  # type: ignore[arg-type]


@pytest.mark.gui
def test_the_app_opens_a_pdf_hit_in_the_viewer_and_code_in_the_editor(
    qtbot, fake_viewers: Path
) -> None:
    from desktop.app import KenningApp

    settings = Settings(
        folders=[str(fake_viewers)], first_run_done=True, viewer="okular", editor="vscode"
    )
    app = KenningApp(
        settings, fake_viewers / "data", use_tray=False, watch=False, make_embedder=_never
    )
    qtbot.addWidget(app.window)
    try:
        pdf = fake_viewers / (NASTY_NAME + ".pdf")
        app.open_result(_hit(pdf, 12))
        app.open_result(_hit(fake_viewers / "main.py", 30, kind="code"))
        viewer_out, editor_out = fake_viewers / "okular.json", fake_viewers / "code.json"
        qtbot.waitUntil(lambda: _complete(viewer_out) and _complete(editor_out), timeout=30000)
        assert json.loads(viewer_out.read_text()) == ["-p", "12", str(pdf)]
        assert json.loads(editor_out.read_text()) == ["--goto", f"{fake_viewers}/main.py:30:1"]
        assert no_pwned(fake_viewers)
    finally:
        assert app.shutdown(timeout=10.0)


def _complete(path: Path) -> bool:
    return path.exists() and path.read_text().endswith("]")


def _never(_settings: Settings):
    def make():
        raise AssertionError("the model is not needed to open a result")

    return make
