"""Build hook: compile the interface translations (resources/i18n/*.ts) to .qm files.

Everything else about the build is in pyproject.toml. ``lrelease`` comes with
PySide6-Essentials; where the build environment lacks it the wheel ships the .ts alone and
the app compiles it on first use (desktop/i18n.py), so a build never fails over it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def _lrelease() -> str | None:
    try:
        import PySide6
    except ImportError:
        return shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    for name in ("lrelease", "lrelease.exe"):
        candidate = Path(PySide6.__file__).parent / name
        if candidate.exists():
            return str(candidate)
    return shutil.which("pyside6-lrelease") or shutil.which("lrelease")


class BuildWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        tool = _lrelease()
        target_dir = Path(self.build_lib) / "resources" / "i18n"
        for ts in sorted(Path("resources/i18n").glob("*.ts")):
            if tool is None:
                self.announce(f"lrelease not found: {ts.name} ships uncompiled", level=3)
                continue
            target_dir.mkdir(parents=True, exist_ok=True)
            qm = target_dir / (ts.stem + ".qm")
            subprocess.run([tool, "-silent", str(ts), "-qm", str(qm)], check=True)


setup(cmdclass={"build_py": BuildWithTranslations})
