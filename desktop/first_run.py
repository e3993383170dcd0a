"""First run: choose the folders to search, then get the model (with a progress bar).

The model is fetched by ``engine.model_resolution.resolve_model`` on a background thread;
its byte counts come back through a queued signal. When the default model cannot be had
(offline), the bundled small model stands in and the page says so in one line. Cancelling
or closing the wizard stops the download at its next progress report.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop.settings import Settings
from desktop.settings_dialog import MODEL_LABELS, FolderListEditor

log = logging.getLogger(__name__)

Resolver = Callable[..., Any]  # resolve_model(name, *, on_progress) -> ResolvedModel


class _Cancelled(Exception):
    """Raised from the progress callback to abandon a download."""


class ModelDownload(QObject):
    """Runs ``resolver(name, on_progress=...)`` on its own thread.

    Signals:
        progress(int, int): bytes done and total (total 0 when unknown).
        finished(object): the ResolvedModel (``fell_back`` and ``notice`` say if the offline
            model stands in).
        failed(str): a one-line reason.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, resolver: Resolver, name: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self._resolver = resolver
        self._name = name
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="kenning-model-download", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def cancel(self, timeout: float = 5.0) -> bool:
        """Ask the download to stop and wait for the thread; True when it has ended."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _on_progress(self, done: int, total: int | None) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        self.progress.emit(int(done), int(total or 0))

    def _run(self) -> None:
        try:
            resolved = self._resolver(self._name, on_progress=self._on_progress)
        except _Cancelled:
            log.info("model download cancelled")
            return
        except Exception as exc:  # reported on the page; the log keeps the traceback
            log.exception("model download failed")
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        if not self._cancel.is_set():
            self.finished.emit(resolved)


def default_resolver(name: str | None, *, on_progress: Callable[[int, int], None]) -> Any:
    from engine.model_resolution import DEFAULT_MODEL, resolve_model

    return resolve_model(name or DEFAULT_MODEL, on_progress=on_progress)


class FoldersPage(QWizardPage):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Which folders should Kenning search?")
        self.setSubTitle(
            "Pick your code and documents. Kenning respects .gitignore and skips build "
            "outputs, virtualenvs and secrets; you can change this later in Settings."
        )
        self.folders = FolderListEditor(settings.folders, self)
        self.folders.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folders)

    def isComplete(self) -> bool:
        return bool(self.folders.folders())


class ModelPage(QWizardPage):
    """Choose the model; the default one is downloaded here, with progress."""

    def __init__(
        self, settings: Settings, resolver: Resolver, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setTitle("The search model")
        self.setSubTitle(
            "Kenning understands what you mean with an embedding model that runs on this "
            "computer. Nothing you index leaves it."
        )
        self._resolver = resolver
        self.download: ModelDownload | None = None
        self.resolved: Any = None
        self.use_default = QRadioButton(MODEL_LABELS["default"], self)
        self.use_offline = QRadioButton(MODEL_LABELS["offline"], self)
        (self.use_offline if settings.model == "offline" else self.use_default).setChecked(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.retry = QPushButton("Try again", self)
        self.retry.hide()
        self.retry.clicked.connect(self.start_download)
        layout = QVBoxLayout(self)
        layout.addWidget(self.use_default)
        layout.addWidget(self.use_offline)
        layout.addSpacing(12)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.retry)
        layout.addStretch(1)
        self.use_default.toggled.connect(self._on_choice)

    def initializePage(self) -> None:
        self._on_choice()

    def model_choice(self) -> str:
        return "default" if self.use_default.isChecked() else "offline"

    def _on_choice(self, *_args: object) -> None:
        if self.model_choice() == "default" and self.resolved is None:
            self.start_download()
        elif self.model_choice() == "offline":
            self.status.setText("The bundled model is ready; no download needed.")
            self.bar.hide()
        self.completeChanged.emit()

    def start_download(self) -> None:
        if self.download is not None and self.download.running:
            return
        self.retry.hide()
        self.bar.setRange(0, 0)
        self.bar.show()
        self.status.setText("Getting Qwen3-Embedding-0.6B…")
        # A thread runs once, so every attempt (a retry too) gets a new download.
        self.download = ModelDownload(self._resolver, None, self)
        self.download.progress.connect(self._on_progress)
        self.download.finished.connect(self._on_finished)
        self.download.failed.connect(self._on_failed)
        self.download.start()
        self.completeChanged.emit()

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(1000 * done / total))
            self.status.setText(
                f"Downloading Qwen3-Embedding-0.6B: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB"
            )
        else:
            self.status.setText(f"Downloading Qwen3-Embedding-0.6B: {done / 1e6:,.0f} MB")

    def _on_finished(self, resolved: Any) -> None:
        self.resolved = resolved
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        notice = getattr(resolved, "notice", None)
        if getattr(resolved, "fell_back", False):
            self.bar.hide()  # nothing was downloaded: a full bar would say otherwise
            self.status.setText(
                notice or "The default model is not available; using the bundled one."
            )
        else:
            self.status.setText(notice or f"Ready: {getattr(resolved, 'model_id', 'the model')}.")
        self.completeChanged.emit()

    def _on_failed(self, message: str) -> None:
        self.bar.hide()
        self.status.setText(
            f"Could not get the model: {message}. Try again, or use the bundled model for now."
        )
        self.retry.show()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.model_choice() == "offline":
            return True
        return self.resolved is not None

    def shutdown(self) -> bool:
        return self.download.cancel() if self.download is not None else True


class FirstRunDialog(QWizard):
    """Two pages: folders, then model. ``result_settings()`` after it is accepted."""

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        resolver: Resolver = default_resolver,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Kenning")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.resize(640, 460)
        self._settings = settings
        self.folders_page = FoldersPage(settings, self)
        self.model_page = ModelPage(settings, resolver, self)
        self.addPage(self.folders_page)
        self.addPage(self.model_page)

    def result_settings(self) -> Settings:
        model = self.model_page.model_choice()
        keep = self._settings.model if self._settings.model in ("local", "server") else model
        return dataclasses.replace(
            self._settings,
            folders=self.folders_page.folders.folders(),
            model=keep,  # type: ignore[arg-type]
        )

    def shutdown(self) -> bool:
        """Stop the download thread (called after the wizard closes, however it closed)."""
        return self.model_page.shutdown()
