"""First run: choose the folders to search, then the model (with a progress bar).

The model page offers the default for this hardware (Qwen3-Embedding-0.6B with a GPU, the
bundled multilingual e5-small without), the bundled model, and Qwen3 on any machine; beside
each it shows how long the first index of the chosen folders would take here
(``desktop.index_time_estimate``). Qwen3 is fetched by
``engine.model_resolution.resolve_model`` on a background thread; its byte counts come back
through a queued signal. When it cannot be had (offline), the bundled e5-small stands in and
the page says so in one line. Cancelling or closing the wizard stops the download at its
next progress report.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
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

from desktop.coded_text import model_reason_text
from desktop.index_time_estimate import Estimator, IndexTimeEstimate, default_estimator
from desktop.settings import Settings
from desktop.settings_dialog import FolderListEditor, has_accelerator, model_labels

log = logging.getLogger(__name__)

Resolver = Callable[..., Any]  # resolve_model(name, *, on_progress) -> ResolvedModel


class _Cancelled(Exception):
    """Raised from the progress callback to abandon a download."""


class ModelDownload(QObject):
    """Runs ``resolver(name, on_progress=...)`` on its own thread.

    Signals:
        progress(object, object): bytes done and total (total 0 when unknown); ints, sent as
            objects because a model can weigh more than a 32-bit signal argument holds.
        finished(object): the ResolvedModel (``fell_back`` and ``notice`` say if the offline
            model stands in).
        failed(str): a one-line reason.
    """

    progress = Signal(object, object)
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
        self.setTitle(self.tr("Which folders should Kenning search?"))
        self.setSubTitle(
            self.tr(
                "Pick your code and documents. Kenning respects .gitignore and skips build "
                "outputs, virtualenvs and secrets; you can change this later in Settings."
            )
        )
        self.folders = FolderListEditor(settings.folders, self)
        self.folders.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folders)

    def isComplete(self) -> bool:
        return bool(self.folders.folders())


class ModelPage(QWizardPage):
    """Choose the model, with each choice's first-index time; Qwen3 is downloaded here."""

    CHOICES = ("default", "offline", "qwen3")

    def __init__(
        self,
        settings: Settings,
        resolver: Resolver,
        parent: QWidget | None = None,
        *,
        gpu: bool | None = None,
        estimator: Estimator = default_estimator,
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("The search model"))
        self.setSubTitle(
            self.tr(
                "Kenning understands what you mean with an embedding model that runs on this "
                "computer. Nothing you index leaves it."
            )
        )
        self._resolver = resolver
        self._estimator = estimator
        self.gpu = has_accelerator() if gpu is None else gpu
        self.download: ModelDownload | None = None
        self.estimate: IndexTimeEstimate | None = None
        self._estimated_for: list[str] | None = None
        self.resolved: Any = None
        labels = model_labels(self.gpu)
        self.buttons: dict[str, QRadioButton] = {}
        self.estimates: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        for key in self.CHOICES:
            button = QRadioButton(labels[key], self)
            estimate = QLabel(self.tr("First index of these folders: estimating…"), self)
            estimate.setIndent(24)
            estimate.setObjectName(f"estimate-{key}")
            self.buttons[key], self.estimates[key] = button, estimate
            layout.addWidget(button)
            layout.addWidget(estimate)
        self.use_default = self.buttons["default"]
        self.use_offline = self.buttons["offline"]
        self.use_qwen3 = self.buttons["qwen3"]
        self.buttons.get(settings.model, self.use_default).setChecked(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.retry = QPushButton(self.tr("Try again"), self)
        self.retry.hide()
        self.retry.clicked.connect(self.start_download)
        layout.addSpacing(12)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.retry)
        layout.addStretch(1)
        for button in self.buttons.values():
            button.toggled.connect(self._on_toggled)

    def initializePage(self) -> None:
        self._on_choice()
        wizard = self.wizard()
        folders = wizard.folders_page.folders.folders() if wizard is not None else []
        self.start_estimate(folders)

    def model_choice(self) -> str:
        return next((k for k, b in self.buttons.items() if b.isChecked()), "default")

    def needs_download(self, choice: str | None = None) -> bool:
        """The choice is Qwen3: chosen by name, or the default on a machine with a GPU."""
        choice = choice or self.model_choice()
        return choice == "qwen3" or (choice == "default" and self.gpu)

    # -- first-index time ------------------------------------------------------------------

    def start_estimate(self, folders: Sequence[str]) -> None:
        if self._estimated_for == list(folders):
            return
        self._estimated_for = list(folders)
        for label in self.estimates.values():
            label.setText(self.tr("First index of these folders: estimating…"))
        self.estimate = IndexTimeEstimate(folders, self._estimator)
        self.estimate.ready.connect(self._on_estimate)
        self.estimate.failed.connect(self._on_estimate_failed)
        self.estimate.start()

    def _on_estimate(self, estimates: dict[str, str]) -> None:
        for key, label in self.estimates.items():
            phrase = estimates.get(self._model_key(key))
            label.setText(
                self.tr("First index of these folders: {phrase}").format(
                    phrase=phrase or self.tr("unknown")
                )
            )

    def _on_estimate_failed(self, message: str) -> None:
        for label in self.estimates.values():
            label.setText(self.tr("First index time unknown ({message})").format(message=message))

    def _model_key(self, choice: str) -> str:
        return "qwen3" if self.needs_download(choice) else "e5-small"

    # -- download --------------------------------------------------------------------------

    def _on_toggled(self, checked: bool) -> None:
        # A click toggles two buttons; act once, for the one that became checked.
        if checked:
            self._on_choice()

    def _on_choice(self, *_args: object) -> None:
        if self.needs_download() and self.resolved is None:
            self.start_download()
        elif not self.needs_download():
            self.status.setText(self.tr("The bundled model is ready; no download needed."))
            self.bar.hide()
            self.retry.hide()
        self.completeChanged.emit()

    def start_download(self) -> None:
        if self.download is not None and self.download.running:
            return
        self.retry.hide()
        self.bar.setRange(0, 0)
        self.bar.show()
        self.status.setText(self.tr("Getting Qwen3-Embedding-0.6B…"))
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
                self.tr("Downloading Qwen3-Embedding-0.6B: {done} of {total} MB").format(
                    done=f"{done / 1e6:,.0f}", total=f"{total / 1e6:,.0f}"
                )
            )
        else:
            self.status.setText(
                self.tr("Downloading Qwen3-Embedding-0.6B: {done} MB").format(
                    done=f"{done / 1e6:,.0f}"
                )
            )

    def _on_finished(self, resolved: Any) -> None:
        self.resolved = resolved
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        if getattr(resolved, "fell_back", False):
            self.bar.hide()  # nothing was downloaded: a full bar would say otherwise
            reason = getattr(resolved, "reason", None)
            reason = model_reason_text(reason) if reason else self.tr("not available")
            # load_embedder puts e5-small in Qwen3's place (MiniLM only without its engine).
            self.status.setText(
                self.tr(
                    "Using the bundled offline model multilingual-e5-small for now: "
                    "Qwen3-Embedding-0.6B is {reason}."
                ).format(reason=reason)
            )
        else:
            notice = getattr(resolved, "notice", None)
            model = getattr(resolved, "model_id", None) or self.tr("the model")
            self.status.setText(notice or self.tr("Ready: {model}.").format(model=model))
        self.completeChanged.emit()

    def _on_failed(self, message: str) -> None:
        self.bar.hide()
        self.status.setText(
            self.tr(
                "Could not get the model: {message}. Try again, or use the bundled model for now."
            ).format(message=message)
        )
        self.retry.show()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if not self.needs_download():
            return True
        return self.resolved is not None

    def shutdown(self) -> bool:
        stopped = self.download.cancel() if self.download is not None else True
        if self.estimate is not None:
            stopped = self.estimate.wait() and stopped
        return stopped


class FirstRunDialog(QWizard):
    """Two pages: folders, then model. ``result_settings()`` after it is accepted."""

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        resolver: Resolver = default_resolver,
        gpu: bool | None = None,
        estimator: Estimator = default_estimator,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Welcome to Kenning"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.resize(640, 460)
        self._settings = settings
        self.folders_page = FoldersPage(settings, self)
        self.model_page = ModelPage(settings, resolver, self, gpu=gpu, estimator=estimator)
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
