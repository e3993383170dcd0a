"""The desktop app: builds every service once, wires them, and owns the shutdown sequence.

``run_app(args)`` is what ``kenning`` with no subcommand runs. :class:`KenningApp` holds the
pieces (no global registry): the index service and its Qt bridge, the query runner, the
search window, the tray, the notifier, and the local HTTP server (when the user turns it on).
Tests build a :class:`KenningApp` directly.

Threads: the index service's worker (and the watcher's threads under it), the query
runner's one-worker executor, the local server's threads, and a model-download thread
during first run. ``shutdown()`` stops all of them.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop.coded_text import notice_text
from desktop.download_status import download_text, downloading_model
from desktop.editor_launch import open_in_editor, reveal_in_file_manager
from desktop.folder_handoff import take_folders
from desktop.global_hotkey import GlobalHotkey
from desktop.health_dialog import HealthDialog
from desktop.i18n import install_translation
from desktop.local_server import LocalServer, serve_token
from desktop.notify import Level, Message, Notifier, install_excepthooks
from desktop.qt_bridge import ServiceBridge
from desktop.query_history import HISTORY_FILE, QueryHistory
from desktop.query_runner import QueryRunner
from desktop.reranker_setup import RerankerLoader
from desktop.search_window import SearchWindow, format_eta
from desktop.settings import (
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    set_aside_broken,
)
from desktop.settings_dialog import SettingsDialog, needs_service_restart
from desktop.shortcut_portal import manual_binding_hint
from desktop.single_instance import SingleInstance, server_name
from desktop.switch_search import searcher_for_index_model, switch_progress_text
from desktop.tray import TrayController
from desktop.viewer_launch import is_document, open_in_viewer
from engine.errors import KenningError, ModelMismatchError
from engine.types import Embedder, SearchResult

log = logging.getLogger(__name__)

EmbedderFactory = Callable[..., Embedder]
STATS_REFRESH_S = 3.0  # how often the status bar's counts follow a running index
LATE_STOP_S = 60.0  # after a slow quit, how long run_app still waits for the indexer


def embedder_factory(settings: Settings) -> EmbedderFactory:
    """A callable the index service runs on its worker thread to load the chosen model.

    It accepts ``on_notice`` (the service passes one), so a fallback to the offline model
    is reported to the user, and ``on_progress`` for a download, which the service uses to
    cancel it when the app quits. ``engine.embedders`` is imported only when the model loads.
    """

    def make(
        on_notice: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Embedder:
        from engine import embedders

        device = None if settings.device == "auto" else settings.device
        if settings.model == "server":
            return embedders.load_embedder(
                server_url=settings.server_url,
                server_model=settings.server_model,
                server_prompts=settings.server_prompts,
                api_key=settings.api_key or None,
                dimensions=settings.dimensions,
            )
        model: str | None = {
            "default": None,  # by hardware: Qwen3 with a GPU, e5-small without
            "offline": embedders.OFFLINE_DEFAULT,
            "qwen3": embedders.DEFAULT_MODEL,
            "local": settings.model_path,
        }[settings.model]
        return embedders.load_embedder(
            model,
            device=device,
            dimensions=settings.dimensions,
            on_notice=on_notice,
            on_progress=on_progress,
            hf_endpoint=settings.hf_endpoint or None,
        )

    return make


def index_options(settings: Settings) -> Any:
    """The pipeline options for the settings: extra excludes go to discovery."""
    from indexer.discovery import DiscoveryOptions
    from indexer.pipeline import IndexOptions

    return IndexOptions(discovery=DiscoveryOptions(extra_excludes=list(settings.excludes)))


def app_icon() -> QIcon:
    import resources

    icon = QIcon()
    for size in resources.ICON_SIZES:
        try:
            icon.addFile(str(resources.icon_path(size)))
        except FileNotFoundError:
            continue
    return icon


def short_model_name(model_id: str) -> str:
    return Path(model_id.rstrip("/")).name or model_id


class KenningApp(QObject):
    """The running application.

    Signals:
        searcher_changed(bool): a new searcher is in place; True when it can search semantically.
        stats_changed(): the status bar's index numbers were refreshed.
    """

    searcher_changed = Signal(bool)
    stats_changed = Signal()

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        settings_path: Path | None = None,
        make_embedder: Callable[[Settings], EmbedderFactory] = embedder_factory,
        notifier: Notifier | None = None,
        use_tray: bool = True,
        watch: bool = True,
        instance: SingleInstance | None = None,
        service_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        # The index's folders are the list (the CLI adds to it too): show and keep them all.
        self.settings = with_indexed_folders(settings, self.data_dir)
        self.settings_path = settings_path
        self._make_embedder = make_embedder
        self._watch = watch
        self._service_options = dict(service_options or {})
        self.notifier = notifier or Notifier(self)
        self.instance = instance
        self.bridge = ServiceBridge(self)
        self.runner = QueryRunner(self)
        self.reranker_loader = RerankerLoader(self)
        self.window = SearchWindow(self.runner, history=QueryHistory(self.data_dir / HISTORY_FILE))
        self.window.setWindowIcon(app_icon())
        self.tray = TrayController(app_icon(), self, use_tray=use_tray)
        self.window.hide_to_tray = self.tray.available
        for action in (self.tray.reindex_action, self.tray.pause_action):
            self.window.index_menu.addAction(action)
        self.window.set_roots(settings.folders)
        self.window.set_mode(settings.search_mode)
        self.local_server = LocalServer(self.data_dir, self.notifier)
        self.hotkey = GlobalHotkey(self)
        self.health: HealthDialog | None = None
        self.searcher: Any = None
        # The model the semantic searcher embeds queries with (None: words only so far).
        self._searcher_model: str | None = None
        self._reader: Any = None
        self._state = "stopped"
        self._told_hidden = False
        self._shut_down = False
        self._stats_at = 0.0
        self._model_text = ""
        self._reranker_text = ""
        self.service = self._new_service()
        self._wire()

    # ------------------------------------------------------------------ set-up
    def _new_service(self) -> Any:
        from indexer.service import IndexService

        return IndexService(
            self.data_dir,
            self._make_embedder(self.settings),
            self.settings.folder_paths(),
            listener=self.bridge,
            watch=self._watch,
            options=index_options(self.settings),
            **self._service_options,
        )

    def _wire(self) -> None:
        b, w, t = self.bridge, self.window, self.tray
        b.state_changed.connect(self._on_state)
        b.progress.connect(self._on_progress)
        b.download_progress.connect(self._on_model_download)
        b.model_ready.connect(self._on_model_ready)
        b.index_finished.connect(self._on_index_finished)
        b.problem.connect(self._on_problem)
        self.notifier.attach_ui(self._show_message)
        w.open_requested.connect(self.open_result)
        w.reveal_requested.connect(self.reveal_result)
        w.health_requested.connect(self.show_health)
        w.settings_requested.connect(self.show_settings)
        w.quit_requested.connect(self.quit)
        w.hidden_to_tray.connect(self._on_hidden_to_tray)
        r = self.reranker_loader
        r.ready.connect(self._on_reranker_ready)
        r.failed.connect(self.notifier.error)
        r.notice.connect(self.notifier.info)
        r.progress.connect(self._on_reranker_download)
        t.show_requested.connect(w.bring_forward)
        t.reindex_requested.connect(self.reindex_all)
        t.pause_requested.connect(self.set_paused)
        t.settings_requested.connect(self.show_settings)
        t.quit_requested.connect(self.quit)
        self.hotkey.activated.connect(w.bring_forward)
        self.hotkey.ready.connect(self._on_hotkey_ready)
        self.hotkey.unavailable.connect(self._on_hotkey_unavailable)
        if self.instance is not None:
            self.instance.activated.connect(w.bring_forward)
            self.instance.set_index_handler(self.take_folders)

    def start(self, *, show: bool = True) -> None:
        """Search what is already indexed at once; load the model and index in the background."""
        self._use_lexical_searcher()
        self._refresh_stats()
        self.service.start()
        self.reranker_loader.load(self.settings)
        # Bound now, so a busy port is told at once; it answers 503 until the model is ready.
        self.local_server.configure(self.settings.serve_enabled, self.settings.serve_port)
        self.hotkey.start(self.settings.hotkey)
        if show or not self.tray.available:
            self.window.bring_forward()

    def _on_hotkey_ready(self, description: str) -> None:
        self.notifier.info(
            self.tr("Press {key} anywhere to search with Kenning").format(key=description)
        )

    def _on_hotkey_unavailable(self, reason: str) -> None:
        log.info("no global hotkey: %s", reason)
        self.notifier.info(manual_binding_hint(self.hotkey.trigger))

    # ------------------------------------------------------------------ searcher
    def _set_searcher(self, searcher: Any, semantic: bool) -> None:
        old, self.searcher = self.searcher, searcher
        self.runner.set_searcher(searcher, semantic=semantic)
        if old is not None:
            old.close()
        self.searcher_changed.emit(semantic)

    def _use_lexical_searcher(self) -> None:
        """Words-only search over an existing index while the model loads."""
        from engine.search import Searcher
        from engine.store import DB_NAME

        if not (self.data_dir / DB_NAME).exists():
            return
        try:
            self._set_searcher(Searcher(self.data_dir, None), semantic=False)
        except KenningError as exc:
            self.notifier.warning(str(exc))

    def _on_model_ready(self, embedder: Embedder, notice: str | None) -> None:
        from engine.search import Searcher

        self._model_text = self.tr("Model: {model} · {device}").format(
            model=short_model_name(embedder.model_id), device=embedder.device
        )
        self._show_model_text()
        if notice:
            notice = notice_text(notice)  # the engine's English, in the interface language
            self.notifier.warning(notice)
            self.tray.notify("Kenning", notice)
        self.local_server.vector_source = self.service
        self.local_server.set_model(embedder)
        try:
            # The service, not its vectors of the moment: it hands out the vector index of the
            # store in place, which a recovery from damage replaces.
            searcher = Searcher(self.data_dir, embedder, vectors=self.service)
        except ModelMismatchError:
            # The index is moving to this model: until it is complete, search with its own.
            searcher = searcher_for_index_model(self.data_dir, self.service)
            if searcher is None:
                return  # words only until the switch completes
        except KenningError as exc:
            self.notifier.error(str(exc))
            return
        self._searcher_model = getattr(searcher.embedder, "model_id", None)
        self._set_searcher(searcher, semantic=True)
        self._refresh_stats()

    def _on_reranker_ready(self, reranker: Any, policy: Any) -> None:
        self.runner.set_reranker(reranker, policy)
        self._reranker_text = ""
        if reranker is not None and policy is not None and policy.kinds_for(reranker):
            kinds = " + ".join(
                self.tr("documents") if k == "text" else self.tr("code") if k == "code" else k
                for k in sorted(policy.kinds_for(reranker))
            )
            self._reranker_text = self.tr("reranked by {model} ({kinds}, {device})").format(
                model=short_model_name(reranker.model_id), kinds=kinds, device=reranker.device
            )
        self._show_model_text()

    def _show_model_text(self) -> None:
        parts = [p for p in (self._model_text, self._reranker_text) if p]
        if parts:
            self.window.set_model_text(" · ".join(parts))

    def _on_reranker_download(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 0
        self.window.statusBar().showMessage(
            self.tr("Downloading the reranker… {percent}%").format(percent=percent), 5000
        )

    # ------------------------------------------------------------------ service events
    def _on_state(self, state: str) -> None:
        log.info("indexer state: %s", state)
        self._state = state
        self.tray.set_paused(state == "paused")
        text = {
            "loading-model": self.tr("Loading the model…"),
            "scanning": self.tr("Scanning folders…"),
            "indexing": self.tr("Indexing…"),
            "paused": self.tr("Indexing paused"),
            "error": self.tr("Indexing stopped (see the message)"),
            "stopped": self.tr("Stopped"),
        }.get(state, "")
        if state == "idle":
            self.window.set_activity("")
            self.tray.set_status(self._idle_status())
        elif state in ("loading-model", "scanning", "indexing"):
            self.window.set_activity(text, None)
            self.tray.set_status(text)
        else:
            self.window.set_activity(text if state != "stopped" else "", 0.0)
            self.tray.set_status(text)
        if state == "loading-model":
            self.window.set_model_text(self.tr("Model: loading…"))

    def _on_progress(self, progress: Any) -> None:
        if self._state in ("paused", "stopped", "idle"):
            return  # a late report from a run that has already been told to stop
        phase = getattr(progress, "phase", "")
        total, done = progress.files_total, progress.files_done
        if phase == "scanning":
            text = (
                self.tr("Scanning… {done} files checked").format(done=f"{done:,}")
                if done
                else self.tr("Scanning folders…")
            )
            fraction = None
        elif phase == "saving":
            text, fraction = self.tr("Saving the index…"), None
        elif phase == "done" or total == 0:
            return
        else:
            eta = format_eta(progress.eta_s)
            text = self.tr("Indexing {done}/{total} files").format(
                done=f"{done:,}", total=f"{total:,}"
            ) + (f" · {eta}" if eta else "")
            fraction = done / total
            switching_to = getattr(progress, "switching_to", None)
            if switching_to:
                text = switch_progress_text(short_model_name(switching_to), done, total)
        self.window.set_activity(text, fraction)
        self.tray.set_status(text)
        # The pipeline commits as it goes: let the counts grow during a long first index.
        now = time.monotonic()
        if now - self._stats_at >= STATS_REFRESH_S:
            self._refresh_stats()

    def _on_model_download(self, done: int, total: int) -> None:
        if self._state != "loading-model":
            return  # a late report from a load that has ended (a stop cancels the download)
        if total and done >= total:
            text, fraction = self.tr("Loading the model…"), None  # on disk; now it loads
        else:
            text = download_text(downloading_model(self.settings), done, total)
            fraction = done / total if total else None
        self.window.set_activity(text, fraction)
        self.tray.set_status(text)

    def _on_index_finished(self, report: Any, first_run: bool) -> None:
        embedder = self.service.embedder
        if embedder is not None and self._searcher_model != embedder.model_id:
            # A model switch completed: the index now answers to the service's model.
            self._on_model_ready(embedder, None)
        self._refresh_stats()
        self.runner.rerun()  # new or changed files may now match the query on screen
        if first_run:
            files = getattr(report, "files_indexed", 0) + getattr(report, "files_unchanged", 0)
            text = self.tr("Indexed {files} files. Search away.").format(files=f"{files:,}")
            if not self.tray.notify(self.tr("Kenning is ready"), text):
                self.window.show_notice(text)

    def _on_problem(self, message: str) -> None:
        message = notice_text(message)  # the indexer's English, in the interface language
        if self._state == "error":
            self.notifier.error(message)  # indexing stopped: worth a tray notification
        else:
            self.notifier.warning(message)

    def _show_message(self, msg: Message) -> None:
        self.window.show_notice(msg.text, 20000 if msg.level >= Level.WARNING else 8000)
        if msg.level >= Level.ERROR:
            self.tray.notify("Kenning", msg.text, error=True)

    def _idle_status(self) -> str:
        return self.window.index_label.text() or self.tr("Up to date")

    def _refresh_stats(self) -> None:
        from engine.store import DB_NAME, Store

        self._stats_at = time.monotonic()
        if self._reader is None:
            if not (self.data_dir / DB_NAME).exists():
                return
            try:
                self._reader = Store.open(self.data_dir, readonly=True)
            except KenningError as exc:
                log.info("no stats yet: %s", exc)
                return
        try:
            stats = self._reader.stats()
            languages = [
                r[0]
                for r in self._reader.conn.execute("SELECT DISTINCT language FROM chunks")
                if r[0]
            ]
        except Exception as exc:  # the status bar is not worth a crash; the log has it
            log.warning("cannot read index stats: %s", exc)
            return
        self.window.set_index_stats(int(stats["files_indexed"]), int(stats["chunks"]))
        self.window.set_problem_count(int(stats["files_skipped"]) + int(stats["files_failed"]))
        self.window.set_languages(languages)
        if self._state == "idle":
            self.tray.set_status(self._idle_status())
        if self.health is not None and self.health.isVisible():
            self.health.set_problems(self._reader.problem_files())
        self.stats_changed.emit()

    def _on_hidden_to_tray(self) -> None:
        # Say once where the app went, so closing the window is not mistaken for quitting.
        if not self._told_hidden:
            self._told_hidden = True
            self.tray.notify(
                self.tr("Kenning keeps running"), self.tr("Click the tray icon to search again.")
            )

    # ------------------------------------------------------------------ user commands
    def open_result(self, result: SearchResult) -> None:
        if is_document(result.path):
            self._open_document(result)
            return
        try:
            open_in_editor(
                self.settings.editor,
                result.path,
                result.start_line,
                1,
                template=self.settings.editor_template,
            )
        except KenningError as exc:
            self.notifier.error(str(exc))

    def _open_document(self, result: SearchResult) -> None:
        # A PDF chunk's start_line is its page: the viewer opens there, not an editor.
        try:
            open_in_viewer(
                self.settings.viewer,
                result.path,
                result.start_line,
                template=self.settings.viewer_template,
            )
        except KenningError as exc:
            self.notifier.error(str(exc))

    def reveal_result(self, result: SearchResult) -> None:
        try:
            reveal_in_file_manager(result.path)
        except KenningError as exc:
            self.notifier.error(str(exc))

    def take_folders(self, folders: list[str]) -> tuple[bool, str]:
        """``kenning index`` handed these folders over: index them here, with the app's model,
        rather than a second writer competing for the same index. Returns (ok, one line)."""
        return take_folders(self, folders)

    def reindex_all(self) -> None:
        self.service.resume()
        self.service.reindex_all()
        self.tray.set_paused(False)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.service.pause()
        else:
            self.service.resume()
        self.tray.set_paused(paused)

    def show_health(self) -> None:
        if self.health is None:
            self.health = HealthDialog(self.window)
        rows = self._reader.problem_files() if self._reader is not None else []
        self.health.set_problems(rows)
        self.health.show()
        self.health.raise_()

    def show_settings(self) -> None:
        from desktop.index_time_estimate import default_estimator

        dialog = SettingsDialog(
            self.settings,
            self.window,
            serve_token=serve_token,
            estimator=default_estimator,
            clear_history=self.window.history.clear if self.window.history else None,
        )
        log.info("showing the settings dialog")
        if dialog.exec() and dialog.result_settings() is not None:
            self.apply_settings(dialog.result_settings())  # type: ignore[arg-type]

    def apply_settings(self, new: Settings) -> None:
        """Save ``new`` and bring the running app in line with it."""
        old = self.settings
        try:
            save_settings(new, self.settings_path)
        except (SettingsError, OSError) as exc:
            self.notifier.error(self.tr("Settings not saved: {reason}").format(reason=exc))
            return
        self.settings = new
        if new.start_at_login != old.start_at_login:
            try:
                from desktop.desktop_integration import set_autostart

                set_autostart(new.start_at_login)
            except KenningError as exc:
                self.notifier.error(str(exc))
        self.window.set_roots(new.folders)
        if new.search_mode != old.search_mode:
            self.window.set_mode(new.search_mode)
        if needs_service_restart(old, new):
            self._restart_service()
        elif new.folders != old.folders:
            self.service.set_roots(new.folder_paths())
        self._apply_serve_settings(old, new)
        if new.hotkey != old.hotkey:
            self.hotkey.start(new.hotkey)
        rerank_fields = ("rerank_model", "rerank_url", "rerank_top_n", "rerank_kinds", "device")
        if any(getattr(old, f) != getattr(new, f) for f in rerank_fields):
            self.reranker_loader.load(new)

    def _apply_serve_settings(self, old: Settings, new: Settings) -> None:
        was_serving = self.local_server.running
        if not self.local_server.configure(new.serve_enabled, new.serve_port):
            return  # the notifier has told why
        if new.serve_enabled and (not was_serving or new.serve_port != old.serve_port):
            self.notifier.info(
                self.tr("Serving embeddings and search to local tools at {url}").format(
                    url=self.local_server.url
                )
            )
        elif was_serving and not new.serve_enabled:
            self.notifier.info(self.tr("Stopped serving to other local tools"))

    def _restart_service(self) -> None:
        """A new model or new excludes: a fresh service (the index follows the new model)."""
        self.local_server.set_model(None)  # answers 503 until the new model is ready
        self.service.stop()
        self._use_lexical_searcher()
        self.service = self._new_service()
        self.service.start()

    def quit(self) -> None:
        self.window.prepare_to_quit()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    # ------------------------------------------------------------------ shutdown
    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop every thread this app started; True when all ended within ``timeout``."""
        if self._shut_down:
            return True
        self._shut_down = True
        end = time.monotonic() + timeout
        # The server first, so no request reaches the model while the indexer stops.
        served = self.local_server.stop(timeout / 2)
        self.hotkey.stop()
        self.runner.shutdown(wait=True)
        self.reranker_loader.shutdown(wait=True)
        stopped = self.service.stop(max(0.0, end - time.monotonic())) and served
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.instance is not None:
            self.instance.close()
        self.tray.close()
        self.window.prepare_to_quit()
        self.window.hide()
        return stopped


# ---------------------------------------------------------------------- entry point
def with_indexed_folders(settings: Settings, data_dir: Path) -> Settings:
    """``settings`` with every folder the index at ``data_dir`` holds (issue 13)."""
    from indexer.folder_list import indexed_folders, merged_folders

    folders = merged_folders(settings.folders, indexed_folders(data_dir))
    if folders == list(settings.folders):
        return settings
    return dataclasses.replace(settings, folders=folders)


def _load_settings(notifier: Notifier, path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except SettingsError as exc:
        backup = set_aside_broken(path)
        where = f"; the file was kept as {backup}" if backup else ""
        notifier.error(f"{exc} — using default settings{where}")
        return Settings()


def _apply_cli_overrides(
    settings: Settings, args: argparse.Namespace, notifier: Notifier
) -> Settings:
    """``--model`` (a folder), ``--server-url``, ``--device``... win over saved settings."""
    changes: dict[str, Any] = {}
    if args.server_url:
        changes.update(
            model="server",
            server_url=args.server_url,
            server_model=args.server_model or args.model or "",
            api_key=args.api_key or settings.api_key,
        )
    elif args.model:
        # The CLI's names where Settings has them: a folder, the offline model, the default.
        from engine.model_resolution import DEFAULT_MODEL, OFFLINE_ALIASES

        folder = Path(args.model).expanduser()
        if folder.is_dir():
            changes.update(model="local", model_path=str(folder.resolve()))
        elif args.model.lower() in OFFLINE_ALIASES:
            changes["model"] = "offline"
        elif args.model in ("default", DEFAULT_MODEL):
            changes["model"] = "default"
        else:
            notifier.warning(
                f"--model {args.model} ignored: the desktop app takes a model folder, "
                f"'offline' or {DEFAULT_MODEL} here; choose other models in Settings"
            )
    if args.device:
        changes["device"] = args.device
    if args.dimensions:
        changes["dimensions"] = args.dimensions
    return dataclasses.replace(settings, **changes) if changes else settings


def broken_qt_binding() -> str | None:
    """A one-line reason when the installed PySide6 cannot run this app, else None.

    PySide6 6.12.0 drops a reference to ``None`` on every call that returns nothing when it
    runs on Python 3.11 (None is only immortal from 3.12 on), so the app would abort with
    "none_dealloc" after some thousands of Qt calls.
    """
    import PySide6

    if sys.version_info < (3, 12) and PySide6.__version__ == "6.12.0":
        return (
            "PySide6 6.12.0 crashes on Python 3.11; install another version: "
            "pip install 'PySide6-Essentials>=6.6,!=6.12.0'"
        )
    return None


def run_app(args: argparse.Namespace) -> int:
    """Start the desktop app (``kenning`` with no subcommand); returns the exit status.

    ``args`` are ``kenning``'s own (:func:`desktop.cli.build_parser`): the options every
    command shares, ``--hidden`` and ``--verbose``.
    """
    from desktop.cli_common import data_dir_from

    broken = broken_qt_binding()
    if broken:
        log.error("%s", broken)
        return 2
    from desktop.app_logging import setup_app_logging

    setup_app_logging(verbose=args.verbose)
    data_dir = data_dir_from(args)
    qt_app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kenning"])
    assert isinstance(qt_app, QApplication)
    from desktop.quit_signals import QuitOnSignals

    wake = QuitOnSignals(qt_app)
    qt_app.setApplicationName("Kenning")
    qt_app.setDesktopFileName("io.github.kenning.Kenning")
    qt_app.setWindowIcon(app_icon())
    _apply_stylesheet(qt_app)

    instance = SingleInstance(server_name(data_dir))
    if instance.notify_running():
        return 0
    instance.listen()
    notifier = Notifier()
    restore_hooks = install_excepthooks(notifier)
    try:
        settings = _apply_cli_overrides(_load_settings(notifier, None), args, notifier)
        install_translation(qt_app, settings.language)
        # Folders indexed from the command line show in the wizard and the app alike.
        settings = with_indexed_folders(settings, data_dir)
        if not settings.first_run_done or not settings.folders:
            from desktop.first_run import FirstRunDialog

            wizard = FirstRunDialog(settings)
            log.info("showing the first-run wizard")
            if not wizard.exec() or wake.requested is not None:
                wizard.shutdown()
                return 0
            settings = dataclasses.replace(wizard.result_settings(), first_run_done=True)
            wizard.shutdown()
            try:
                save_settings(settings)
            except (SettingsError, OSError) as exc:
                notifier.error(f"Settings not saved: {exc}")
        if wake.requested is not None:
            return 0
        app = KenningApp(settings, data_dir, notifier=notifier, instance=instance)
        qt_app.setQuitOnLastWindowClosed(not app.tray.available)
        app.start(show=not args.hidden)
        # A signal during start-up ended no loop yet: quit as soon as this one runs.
        code = qt_app.exec() if wake.requested is None else 0
        if not app.shutdown():
            if app.service.state == "loading-model":
                # Loading a model cannot be interrupted and may take minutes; nothing is
                # being written (and the store survives a kill anyway), so end here rather
                # than leave a logout waiting (issue 13: signals in every state).
                log.warning("quitting while the model was still loading")
                logging.shutdown()
                os._exit(int(code))
            # The window is gone already; give a long embedding batch time to end, because
            # exiting with the model mid-call aborts the process instead of exiting cleanly.
            log.warning("indexing is finishing its current batch before Kenning exits")
            if not app.service.stop(LATE_STOP_S):
                log.warning("the indexer did not stop within %.0f s", 5 + LATE_STOP_S)
        return int(code)
    finally:
        wake.stop()
        restore_hooks()
        instance.close()


def _apply_stylesheet(qt_app: QApplication) -> None:
    import resources

    try:
        qt_app.setStyleSheet(resources.read_text(resources.STYLESHEET))
    except FileNotFoundError:
        log.info("no stylesheet bundled; using the platform look")
