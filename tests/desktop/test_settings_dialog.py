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


def test_model_tab_shows_first_index_times_and_the_new_fields(qtbot, tmp_path):
    seen: list[list[str]] = []

    def estimator(folders):
        seen.append(list(folders))
        return {"e5-small": "about 20 min on this CPU", "qwen3": "about 3 h on this CPU"}

    start = Settings(folders=[str(tmp_path)])
    dialog = SettingsDialog(start, estimator=estimator, gpu=False)
    qtbot.addWidget(dialog)
    label = dialog.model_estimates["qwen3"]
    qtbot.waitUntil(lambda: "3 h" in label.text(), timeout=10000)
    assert label.text() == "First index of the folders: about 3 h on this CPU"
    assert dialog.model_estimates["default"].text().endswith("about 20 min on this CPU")
    assert "multilingual-e5-small" in dialog.model_buttons["default"].text()
    assert seen == [[str(tmp_path)]]
    dialog.model_buttons["server"].setChecked(True)
    dialog.server_url.setText("http://127.0.0.1:8000/v1")
    dialog.server_model.setText("multilingual-e5-small-q4")
    dialog.server_prompts.setCurrentIndex(dialog.server_prompts.findData("input-type"))
    dialog.hf_endpoint.setText("https://hf-mirror.com")
    dialog.accept()
    result = dialog.result_settings()
    assert (result.server_prompts, result.hf_endpoint) == ("input-type", "https://hf-mirror.com")
    assert needs_service_restart(start, result)


def test_a_bad_mirror_url_is_refused_in_the_dialog(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(folders=[str(tmp_path)]))
    qtbot.addWidget(dialog)
    assert dialog.model_estimates == {}  # no estimator: nothing is started
    dialog.hf_endpoint.setText("hf-mirror.com")
    dialog.accept()
    assert dialog.result_settings() is None
    assert "hf_endpoint" in dialog.error_label.text()
