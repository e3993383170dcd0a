"""The window's status line and the tray follow the app's own model download.

A real KenningApp and index service; the model factory reports download progress the way
the resolver does (``on_progress(done, total)`` on the service's worker thread) and waits on
gates, so each report can be checked on screen before the next one comes.
"""

from __future__ import annotations

import threading

import pytest

from desktop.app import KenningApp
from desktop.download_status import download_text, downloading_model
from desktop.settings import Settings
from tests.fake_embedder import HashingEmbedder

pytestmark = pytest.mark.gui

TOTAL = 1_200_000_000
WAIT_MS = 30_000


class GatedDownload:
    """A model factory that reports ``steps`` of a download, each after its gate opens."""

    def __init__(self, steps: list[int]) -> None:
        self.steps = steps
        self.gates = [threading.Event() for _ in steps]
        self.released = threading.Event()  # all steps done: the model may "load"

    def __call__(self, on_progress) -> HashingEmbedder:
        for done, gate in zip(self.steps, self.gates, strict=True):
            gate.wait()
            on_progress(done, TOTAL)
        self.released.wait()
        return HashingEmbedder()

    def open_all(self) -> None:
        for gate in self.gates:
            gate.set()
        self.released.set()


@pytest.fixture
def downloading_app(qtbot, tmp_path):
    made: list[tuple[KenningApp, GatedDownload]] = []

    def start(settings: Settings, steps: list[int]) -> tuple[KenningApp, GatedDownload]:
        download = GatedDownload(steps)
        app = KenningApp(
            settings,
            tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            make_embedder=lambda _settings: download,
            use_tray=False,
            watch=False,
        )
        made.append((app, download))
        qtbot.addWidget(app.window)
        app.start()
        return app, download

    yield start
    for app, download in made:
        download.open_all()
        assert app.shutdown(timeout=10.0)


def status_texts(app: KenningApp) -> tuple[str, str]:
    return app.window.progress_label.text(), app.tray.status_action.text()


def test_the_status_line_and_tray_show_the_download(qtbot, tmp_path, downloading_app):
    (tmp_path / "docs").mkdir()
    settings = Settings(folders=[str(tmp_path / "docs")], first_run_done=True, model="qwen3")
    app, download = downloading_app(settings, [0, 410_000_000, TOTAL])

    download.gates[0].set()
    start = "Downloading Qwen3-Embedding-0.6B: 0 % (0 of 1,200 MB)"
    qtbot.waitUntil(lambda: status_texts(app) == (start, start), timeout=WAIT_MS)

    download.gates[1].set()
    middle = "Downloading Qwen3-Embedding-0.6B: 34 % (410 of 1,200 MB)"
    qtbot.waitUntil(lambda: status_texts(app) == (middle, middle), timeout=WAIT_MS)
    bar = app.window.progress_bar
    assert (bar.minimum(), bar.maximum(), bar.value()) == (0, 1000, 342)

    # Every byte is on disk: what is left is loading it, with a busy bar.
    download.gates[2].set()
    loading = "Loading the model…"
    qtbot.waitUntil(lambda: status_texts(app) == (loading, loading), timeout=WAIT_MS)
    assert (bar.minimum(), bar.maximum()) == (0, 0)

    with qtbot.waitSignal(app.bridge.index_finished, timeout=WAIT_MS):
        download.released.set()
    assert "Downloading" not in app.window.progress_label.text()


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"model": "qwen3"}, "Qwen3-Embedding-0.6B"),
        ({"model": "default"}, "Qwen3-Embedding-0.6B"),  # only the GPU default downloads
        ({"model": "local", "model_path": "someone/Tiny-Embed"}, "Tiny-Embed"),
    ],
)
def test_the_download_is_named_after_the_model_it_fetches(changes, shown):
    assert downloading_model(Settings(**changes)) == shown


def test_the_numbers_read_in_megabytes():
    assert download_text("M", 0, 0) == "Downloading M: 0 % (0 of 0 MB)"
    assert download_text("M", 999_999, 2_500_000_000) == "Downloading M: 0 % (0 of 2,500 MB)"
    assert download_text("M", 2_500_000_000, 2_500_000_000) == (
        "Downloading M: 100 % (2,500 of 2,500 MB)"
    )


BIG = (3_000_000_000, 8_000_000_000)  # beyond a 32-bit int, as a 4B or 8B model is


def test_sizes_beyond_2_gib_cross_every_download_signal_intact(qtbot):
    from desktop.first_run import ModelDownload
    from desktop.qt_bridge import ServiceBridge
    from desktop.reranker_setup import RerankerLoader

    bridge = ServiceBridge()
    with qtbot.waitSignal(bridge.download_progress) as got:
        threading.Thread(target=bridge.on_download, args=BIG).start()
    assert tuple(got.args) == BIG

    def resolver(_name, *, on_progress):
        on_progress(*BIG)

    download = ModelDownload(resolver, None)
    with qtbot.waitSignal(download.progress) as got:
        download.start()
    assert tuple(got.args) == BIG
    assert download.cancel(timeout=10)

    def build(_settings, on_progress):
        on_progress(*BIG)
        return None, None, None  # no reranker, no policy, no notice

    loader = RerankerLoader(build=build)
    try:
        seen: list[tuple[int, int]] = []
        loader.progress.connect(lambda done, total: seen.append((done, total)))
        # The progress is queued from the worker thread; ready can come first (a build that
        # is already done when its callback is added reports on this thread at once).
        with qtbot.waitSignal(loader.ready):
            loader.load(Settings(rerank_model="someone/reranker-8b", rerank_kinds="text"))
        qtbot.waitUntil(lambda: seen == [BIG])
    finally:
        loader.shutdown()
