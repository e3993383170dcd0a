"""Packaged resources: the loaders, the validators' verdicts, and what the sdist and wheel carry.

The PyInstaller bundle is not built here (minutes of work); packaging/README.md says how to
build and smoke-test it.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import resources

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = [
    resources.ICON_SVG,
    resources.STYLESHEET,
    resources.DESKTOP_TEMPLATE,
    resources.METAINFO,
    "glossary/zh_en.tsv",  # engine/cjk_glossary.py
    *(f"icons/kenning-{size}.png" for size in resources.ICON_SIZES),
]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_packaged_resource_resolves():
    for name in PACKAGED:
        path = resources.resource_path(name)
        assert path.is_file(), name
        assert path.stat().st_size > 0, name


def test_icon_path_gives_each_png_size_and_the_svg():
    for size in resources.ICON_SIZES:
        assert _png_size(resources.icon_path(size)) == (size, size)
    svg = ET.parse(resources.icon_path()).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("viewBox") == "0 0 128 128"


def test_unknown_resources_fail_clearly():
    with pytest.raises(FileNotFoundError, match=r"Kenning resource not found: styles/nope\.qss"):
        resources.resource_path("styles/nope.qss")
    with pytest.raises(ValueError, match="no 20px Kenning icon"):
        resources.icon_path(20)


def test_resources_package_never_imports_qt():
    code = "import sys, resources; resources.read_text(resources.STYLESHEET); " + (
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_one_app_id_everywhere():
    meta = ET.parse(resources.resource_path(resources.METAINFO)).getroot()
    assert meta.findtext("id") == resources.APP_ID
    assert meta.findtext("launchable[@type='desktop-id']") == f"{resources.APP_ID}.desktop"
    assert meta.findtext("provides/binary") == "kenning"
    template = resources.read_text(resources.DESKTOP_TEMPLATE)
    assert "Icon=@ICON@" in template and "Exec=@EXEC@" in template


@pytest.mark.skipif(
    shutil.which("appstreamcli") is None, reason="appstreamcli not installed (Debian: appstream)"
)
def test_metainfo_passes_appstreamcli_validate():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(resources.resource_path(resources.METAINFO))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.gui
def test_icon_svg_renders_in_qt():
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(resources.icon_path()))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == 128


@pytest.mark.gui
def test_stylesheet_parses_in_qt(qtbot):
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

    window = QWidget()
    layout = QVBoxLayout(window)
    for widget, name in ((QLineEdit(), "searchField"), (QListView(), "resultList")):
        widget.setObjectName(name)
        layout.addWidget(widget)
    status = QLabel("ready")
    status.setObjectName("statusLine")
    layout.addWidget(status)
    qtbot.addWidget(window)
    # Qt reports a stylesheet it cannot parse only as a warning message; catch it here
    # directly (pytest-qt's qtlog does not see this one).
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda _kind, _context, message: messages.append(message))
    try:
        window.setStyleSheet(resources.read_text(resources.STYLESHEET))
        window.show()
        qtbot.waitExposed(window)
    finally:
        qInstallMessageHandler(previous)
    assert [m for m in messages if "stylesheet" in m.lower()] == []


@pytest.mark.gui
def test_stylesheet_palette_roles_exist(qtbot):
    """Qt silently drops an unknown palette(role); check each one resolves to its colour."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication, QLabel

    roles = set(re.findall(r"palette\(([a-z-]+)\)", resources.read_text(resources.STYLESHEET)))
    assert roles
    app = QApplication.instance()
    original = app.palette()
    try:
        for role in sorted(roles):
            qt_role = getattr(QPalette.ColorRole, role.title().replace("-", ""))
            palette = QPalette(original)
            palette.setColor(qt_role, QColor("#123456"))
            app.setPalette(palette)
            label = QLabel("x")
            qtbot.addWidget(label)
            label.setStyleSheet(f"QLabel {{ color: palette({role}); }}")
            label.ensurePolished()
            colour = label.palette().color(QPalette.ColorRole.WindowText).name()
            assert colour == "#123456", role
    finally:
        app.setPalette(original)


# --- the built distributions -------------------------------------------------------------


def _copy_project(dest: Path) -> Path:
    """The files a build reads, copied so the build never writes into the working tree."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        source = ROOT / name
        if not source.is_file():
            pytest.fail(f"{name} is missing; pyproject.toml needs it to build")
        shutil.copy2(source, dest / name)
    shutil.copy2(ROOT / "setup.py", dest / "setup.py")  # compiles the translations
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("engine", "indexer", "desktop", "resources"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build`` of the current tree: sdist first, then the wheel from the sdist."""
    base = tmp_path_factory.mktemp("build")
    src = _copy_project(base / "src")
    out = base / "dist"
    # No isolation: the build backend comes from this environment, so the test needs no index.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--skip-dependency-check",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("kenning-*.whl")
    (sdist,) = out.glob("kenning-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_wheel_carries_resources_and_entry_point(distributions):
    with zipfile.ZipFile(distributions["wheel"]) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = wheel.read(entry_points).decode()
    for name in PACKAGED:
        assert f"resources/{name}" in names, name
    assert "desktop/desktop_integration.py" in names
    # The build compiled the interface translation; the source travels too.
    assert "resources/i18n/kenning_zh_CN.qm" in names
    assert "resources/i18n/kenning_zh_CN.ts" in names
    assert "kenning = desktop.cli:main" in scripts
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_sdist_carries_resources(distributions):
    with tarfile.open(distributions["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for name in PACKAGED:
        assert f"resources/{name}" in names, name
    assert "pyproject.toml" in names


def test_installed_wheel_loads_resources_and_installs_its_menu_entry(distributions, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(distributions["wheel"]),
        ],
        check=True,
    )
    assert (venv / "bin" / "kenning").is_file()
    # Runs in the fresh venv, away from the source tree, with only the wheel's own code.
    script = textwrap.dedent(
        """
        import sys
        from importlib.resources import files
        from pathlib import Path
        import resources
        from desktop.desktop_integration import install_desktop_entry

        venv = Path(sys.argv[1])
        assert venv in Path(resources.__file__).parents, resources.__file__
        for name in sys.argv[3:]:
            assert files("resources").joinpath(*name.split("/")).read_bytes()
            assert resources.resource_path(name).is_file()
        written = install_desktop_entry(Path(sys.argv[2]))
        entry = written[0].read_text()
        assert "Exec=" + str(venv / "bin" / "kenning") + "\\n" in entry, entry
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [str(python), "-c", script, str(venv), str(tmp_path / "share"), *PACKAGED],
        cwd=tmp_path,
        env=env,
        check=True,
    )
