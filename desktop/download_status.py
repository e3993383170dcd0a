"""What the window's status line and the tray say while the app downloads its model.

The index service reports a download's bytes (``ServiceListener.on_download``) but not which
model they are for; the settings say, the same way ``desktop.app.embedder_factory`` reads them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication

from desktop.settings import Settings

_MB = 1_000_000


def downloading_model(settings: Settings) -> str:
    """The short name of the model that a download during the app's model load fetches.

    Only a Hugging Face id is ever downloaded: the one named by ``model_path`` ("local"),
    else Qwen3-Embedding-0.6B, chosen or the hardware default on a GPU. The offline models
    are bundled and a server's model is not on this machine, so neither downloads.
    """
    if settings.model == "local" and settings.model_path:
        name = settings.model_path
    else:
        from engine.model_resolution import DEFAULT_MODEL

        name = DEFAULT_MODEL
    return Path(name.rstrip("/")).name or name


def download_text(model: str, done: int, total: int) -> str:
    """``Downloading Qwen3-Embedding-0.6B: 34 % (410 of 1,200 MB)``, translated."""
    percent = 100 * done // total if total else 0
    done_mb, total_mb = f"{done // _MB:,}", f"{round(total / _MB):,}"
    return QCoreApplication.translate(
        "KenningApp", "Downloading {model}: {percent} % ({done} of {total} MB)"
    ).format(model=model, percent=percent, done=done_mb, total=total_mb)
