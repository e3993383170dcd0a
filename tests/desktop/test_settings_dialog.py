"""The Settings dialog edits a copy, validates before closing, and flags what restarts."""

from __future__ import annotations

import dataclasses

import pytest

from desktop.settings import Settings
from desktop.settings_dialog import SettingsDialog, needs_service_restart

pytestmark = pytest.mark.gui


def which_from(*names):
    return {n: f"/opt/bin/{n}" for n in names}.get


def test_edits_come_back_validated(qtbot, tmp_path):
    start = Settings(folders=[str(tmp_path)], editor="auto")
    dialog = SettingsDialog(start, which=which_from("kate", "xdg-open"))
    qtbot.addWidget(dialog)
    assert dialog.editor.itemText(0) == "Automatic (now: Kate)"
    labels = [dialog.editor.itemText(i) for i in range(dialog.editor.count())]
    assert "Visual Studio Code  (not found)" in labels and "Kate" in labels
    other = tmp_path / "notes"
    other.mkdir()
    assert dialog.folders.add_folder(other)
    assert not dialog.folders.add_folder(other)  # no duplicates
    dialog.excludes.setPlainText("*.log\n\n  build/  \n")
    dialog.model_buttons["server"].setChecked(True)
    assert dialog.server_url.isEnabled() and not dialog.model_path.isEnabled()
    dialog.server_url.setText("http://127.0.0.1:30000/v1")
    dialog.server_model.setText("Qwen/Qwen3-Embedding-0.6B")
    dialog.dimensions.setValue(256)
    dialog.editor.setCurrentIndex(dialog.editor.findData("custom"))
    dialog.editor_template.setText("myedit +{line} {path}")
    dialog.accept()
    result = dialog.result_settings()
    assert result == dataclasses.replace(
        start,
        folders=[str(tmp_path), str(other)],
        excludes=["*.log", "build/"],
        model="server",
        server_url="http://127.0.0.1:30000/v1",
        server_model="Qwen/Qwen3-Embedding-0.6B",
        dimensions=256,
        editor="custom",
        editor_template="myedit +{line} {path}",
    )
    assert needs_service_restart(start, result)


def test_invalid_input_keeps_the_dialog_open(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.model_buttons["local"].setChecked(True)  # but no folder given
    dialog.accept()
    assert dialog.result_settings() is None
    assert "model_path is empty" in dialog.error_label.text()


def test_folder_or_editor_changes_do_not_restart_the_service(tmp_path):
    old = Settings(folders=[str(tmp_path)])
    assert not needs_service_restart(old, dataclasses.replace(old, folders=[], editor="kate"))
    assert needs_service_restart(old, dataclasses.replace(old, excludes=["*.tmp"]))
    assert needs_service_restart(old, dataclasses.replace(old, device="cpu"))
