"""The window during a model switch: the status bar says "Re-embedding for <model>: N %",
words search keeps answering from the index in place, and when the new model's index is
complete the window searches with the new model."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from desktop.app import KenningApp
from desktop.settings import Settings
from indexer.pipeline import Pipeline
from tests.fake_embedder import HashingEmbedder

pytestmark = [pytest.mark.gui]

OLD, NEW = "test/old-model", "test/new-model"


class GatedEmbedder(HashingEmbedder):
    """Holds its first document batch until the test opens the gate."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.reached = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.reached.set()
        self.gate.wait()
        return super().embed_documents(texts)


def _results(qtbot, app: KenningApp, text: str, mode: str) -> list[str]:
    app.window.set_mode(mode)
    app.window.query.setText(text)
    app.runner.run_now()

    def done() -> bool:
        last = app.window._last_outcome
        return last is not None and last.final and last.request.text == text

    qtbot.waitUntil(done, timeout=60000)
    return [r.path for r in app.window.model.results()]


def test_the_window_keeps_searching_during_a_switch_then_uses_the_new_model(
    qtbot, tmp_path, corpus
):
    data = tmp_path / "data"
    pipeline = Pipeline(data, HashingEmbedder(dim=64, model_id=OLD))
    pipeline.index([corpus])
    pipeline.close()
    new_embedder = GatedEmbedder(dim=32, model_id=NEW)
    app = KenningApp(
        Settings(folders=[str(corpus)], first_run_done=True),
        data,
        settings_path=tmp_path / "settings.json",
        use_tray=False,
        make_embedder=lambda _settings: lambda: new_embedder,
        service_options={"quiet_s": 0.1, "max_delay_s": 1.0},
    )
    qtbot.addWidget(app.window)
    try:
        app.start()
        qtbot.waitUntil(new_embedder.reached.is_set, timeout=60000)
        qtbot.waitUntil(
            lambda: app.window.progress_label.text().startswith("Re-embedding for new-model: "),
            timeout=60000,
        )
        assert _results(qtbot, app, "backoff", "lexical"), "words search answers mid-switch"

        with qtbot.waitSignal(app.bridge.index_finished, timeout=120000):
            new_embedder.gate.set()
        qtbot.waitUntil(lambda: getattr(app.searcher, "embedder", None) is not None)
        assert app.searcher.embedder.model_id == NEW
        assert _results(qtbot, app, "try the network call again", "semantic")
    finally:
        new_embedder.gate.set()
        assert app.shutdown(timeout=10.0)
