"""Issue 13: folders indexed from the CLI survive the app's start and show in its wizard."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.app import KenningApp, with_indexed_folders
from desktop.first_run import FirstRunDialog
from desktop.settings import Settings
from indexer.folder_list import indexed_folders
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder

pytestmark = pytest.mark.gui


@pytest.fixture
def cli_indexed(tmp_path: Path) -> tuple[Path, Path]:
    """A data dir holding one folder indexed as `kenning index` does."""
    folder = (tmp_path / "from-the-cli").resolve()
    folder.mkdir()
    (folder / "recipes.md").write_text("# Soup\n\nSimmer the lentils slowly.\n")
    data_dir = tmp_path / "data"
    pipeline = Pipeline(data_dir, HashingEmbedder(), options=IndexOptions())
    try:
        pipeline.index([folder])
    finally:
        pipeline.close()
    return folder, data_dir


def test_the_first_run_wizard_shows_the_folders_already_indexed(qtbot, cli_indexed):
    folder, data_dir = cli_indexed
    wizard = FirstRunDialog(with_indexed_folders(Settings(), data_dir))
    qtbot.addWidget(wizard)
    assert wizard.folders_page.folders.folders() == [str(folder)]
    assert wizard.folders_page.isComplete()
    wizard.shutdown()


def test_a_folder_indexed_from_the_cli_survives_the_app_start(qtbot, tmp_path, cli_indexed):
    folder, data_dir = cli_indexed
    mine = (tmp_path / "chosen-in-the-app").resolve()
    mine.mkdir()
    (mine / "notes.md").write_text("# Notes\n\nThe kettle whistles.\n")
    threads_before = set(threading.enumerate())
    app = KenningApp(
        Settings(folders=[str(mine)], first_run_done=True),
        data_dir,
        settings_path=tmp_path / "settings.json",
        make_embedder=lambda _settings: HashingEmbedder,
        use_tray=False,
        service_options={"quiet_s": 0.1, "max_delay_s": 1.0},
    )
    qtbot.addWidget(app.window)
    try:
        with qtbot.waitSignal(app.bridge.index_finished, timeout=120_000):
            app.start(show=False)
        assert app.settings.folders == [str(mine), str(folder)]
        assert set(app.service.roots) == {mine, folder}
        qtbot.waitUntil(lambda: set(indexed_folders(data_dir)) == {mine, folder}, timeout=60_000)
    finally:
        assert app.shutdown(timeout=10.0)
    assert [t for t in threading.enumerate() if t not in threads_before and t.is_alive()] == []
