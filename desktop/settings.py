"""The desktop app's settings: a typed object persisted as JSON under platformdirs.

The file is validated on load; a wrong type, an unknown value or an unknown key raises
:class:`SettingsError` naming the file and the key, so a typo never silently turns into a
default. No Qt here, so the CLI and tests can read the same settings.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.errors import KenningError

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
SETTINGS_FILE = "settings.json"

ModelChoice = Literal["default", "offline", "qwen3", "local", "server"]
MODEL_CHOICES: tuple[str, ...] = ("default", "offline", "qwen3", "local", "server")
# engine.prompt_profiles.SERVER_PROFILE_CHOICES (a test keeps them equal).
SERVER_PROMPT_CHOICES: tuple[str, ...] = ("auto", "qwen3", "e5", "input-type", "none")
SEARCH_MODES: tuple[str, ...] = ("hybrid", "semantic", "lexical")
# The interface language: "auto" follows the system locale (desktop.i18n).
UI_LANGUAGES: tuple[str, ...] = ("auto", "en", "zh_CN")
RERANK_KINDS: tuple[str, ...] = ("auto", "text", "code", "all")
# engine.serve.http_api.DEFAULT_PORT, the port `kenning serve` uses (a test keeps them
# equal); not imported, because that module pulls numpy into every settings read.
DEFAULT_SERVE_PORT = 8741
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class SettingsError(KenningError):
    """The settings file cannot be used as it is."""


@dataclass(slots=True)
class Settings:
    """Everything the user can change in the Settings dialog.

    ``model`` picks where embeddings come from: ``default`` (the model for this hardware:
    Qwen3-Embedding-0.6B with a GPU, the bundled multilingual e5-small without), ``offline``
    (the bundled e5-small), ``qwen3`` (Qwen3-Embedding-0.6B even on a CPU, downloaded once),
    ``local`` (``model_path``, any sentence-transformers folder) or ``server`` (an
    OpenAI-compatible ``server_url`` serving ``server_model``; ``server_prompts`` says how
    its queries and documents are marked, ``auto`` from the model name). ``hf_endpoint`` is a
    Hugging Face mirror for model downloads (empty: ``$HF_ENDPOINT`` or huggingface.co).
    ``editor`` is an :mod:`desktop.editor_launch` preset id, ``auto`` or ``custom`` (then
    ``editor_template`` is used). ``serve_enabled`` lends the loaded model and the index to
    other tools on this computer over HTTP (127.0.0.1:``serve_port``).
    ``rerank_model`` (a Qwen3-Reranker folder or id) or ``rerank_url`` (a ``/rerank`` server
    serving ``rerank_model``) turns on the second stage over the top ``rerank_top_n``
    results; ``rerank_kinds`` is ``auto`` (documents on a GPU or server, code too with a 4B+
    reranker, off on a CPU), ``text``, ``code`` or ``all``. Empty ``rerank_model`` and
    ``rerank_url``: no reranking.
    """

    folders: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    model: ModelChoice = "default"
    model_path: str = ""
    server_url: str = ""
    server_model: str = ""
    api_key: str = ""
    server_prompts: str = "auto"
    hf_endpoint: str = ""
    device: str = "auto"
    dimensions: int | None = None
    editor: str = "auto"
    editor_template: str = ""
    start_at_login: bool = False
    search_mode: str = "hybrid"
    first_run_done: bool = False
    serve_enabled: bool = False
    serve_port: int = DEFAULT_SERVE_PORT
    language: str = "auto"
    # PDF/DOCX hits: a desktop.viewer_launch viewer id; "custom" uses viewer_template.
    viewer: str = "auto"
    viewer_template: str = ""
    # The global shortcut that shows the window (XDG shortcuts syntax); "" for none.
    hotkey: str = "CTRL+ALT+space"
    rerank_model: str = ""
    rerank_url: str = ""
    rerank_top_n: int = 30
    rerank_kinds: str = "auto"

    @property
    def rerank_enabled(self) -> bool:
        return bool(self.rerank_model or self.rerank_url)

    def validate(self) -> None:
        """Raise :class:`SettingsError` for a value the app cannot use."""
        # Imported here: editor_launch is a sibling that imports nothing from us.
        from desktop.editor_launch import PRESET_IDS

        if self.model not in MODEL_CHOICES:
            raise SettingsError(f"model must be one of {', '.join(MODEL_CHOICES)}: {self.model!r}")
        if self.model == "local" and not self.model_path:
            raise SettingsError("model is 'local' but model_path is empty")
        if self.model == "server" and not (self.server_url and self.server_model):
            raise SettingsError("model is 'server' but server_url or server_model is empty")
        if self.server_prompts not in SERVER_PROMPT_CHOICES:
            raise SettingsError(
                f"server_prompts must be one of {', '.join(SERVER_PROMPT_CHOICES)}: "
                f"{self.server_prompts!r}"
            )
        if self.hf_endpoint and not re.match(r"^https?://[^/\s]+", self.hf_endpoint):
            raise SettingsError(
                f"hf_endpoint must be an http(s) URL such as https://hf-mirror.com: "
                f"{self.hf_endpoint!r}"
            )
        if not _DEVICE_RE.match(self.device):
            raise SettingsError(f"device must be auto, cpu, mps, cuda or cuda:N: {self.device!r}")
        if self.dimensions is not None and not 32 <= self.dimensions <= 4096:
            raise SettingsError(f"dimensions must be between 32 and 4096: {self.dimensions}")
        if self.editor not in (*PRESET_IDS, "auto", "custom"):
            raise SettingsError(f"unknown editor {self.editor!r}; known: auto, custom, ...")
        if self.editor == "custom" and "{path}" not in self.editor_template:
            raise SettingsError("a custom editor command must contain {path}")
        from desktop.shortcut_portal import valid_trigger
        from desktop.viewer_launch import VIEWER_IDS

        if self.hotkey and not valid_trigger(self.hotkey):
            raise SettingsError(
                f"hotkey must look like CTRL+ALT+space or LOGO+k (or be empty): {self.hotkey!r}"
            )

        if self.viewer not in VIEWER_IDS:
            raise SettingsError(f"unknown viewer {self.viewer!r}; known: {', '.join(VIEWER_IDS)}")
        if self.viewer == "custom" and "{path}" not in self.viewer_template:
            raise SettingsError("a custom document viewer command must contain {path}")
        if self.search_mode not in SEARCH_MODES:
            raise SettingsError(f"search_mode must be one of {', '.join(SEARCH_MODES)}")
        if self.language not in UI_LANGUAGES:
            raise SettingsError(f"language must be one of {', '.join(UI_LANGUAGES)}")
        if not 1 <= self.serve_port <= 65535:
            raise SettingsError(f"serve_port must be between 1 and 65535: {self.serve_port}")
        if not 1 <= self.rerank_top_n <= 200:
            raise SettingsError(f"rerank_top_n must be between 1 and 200: {self.rerank_top_n}")
        if self.rerank_kinds not in RERANK_KINDS:
            raise SettingsError(f"rerank_kinds must be one of {', '.join(RERANK_KINDS)}")
        if self.rerank_url and not re.match(r"^https?://", self.rerank_url):
            raise SettingsError(f"rerank_url must be an http(s) URL: {self.rerank_url!r}")
        for folder in self.folders:
            if not Path(folder).is_absolute():
                raise SettingsError(f"indexed folders must be absolute paths: {folder!r}")

    def folder_paths(self) -> list[Path]:
        return [Path(f) for f in self.folders]

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["version"] = SETTINGS_VERSION
        return data


def default_settings_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("kenning", appauthor=False)) / SETTINGS_FILE


def _check_type(name: str, value: object, annotation: str) -> None:
    """Check one JSON value against the field's annotation (kept as a string by __future__)."""
    ok: bool
    if annotation == "list[str]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif annotation == "bool":
        ok = isinstance(value, bool)
    elif annotation == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation == "int | None":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    else:  # str and the Literal alias
        ok = isinstance(value, str)
    if not ok:
        raise SettingsError(f"setting {name!r} has the wrong type ({annotation} expected)")


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Build and validate settings from parsed JSON; missing keys take their defaults."""
    data = dict(data)
    version = data.pop("version", SETTINGS_VERSION)
    if version != SETTINGS_VERSION:
        raise SettingsError(f"settings version {version} is not supported (expected 1)")
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SettingsError(
            f"unknown setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(fields)}"
        )
    for name, value in data.items():
        _check_type(name, value, str(fields[name].type))
    settings = Settings(**data)
    settings.validate()
    return settings


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file, or return defaults when there is none yet."""
    path = path or default_settings_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"cannot read settings {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"settings {path} is not valid JSON (line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"settings {path} must hold a JSON object")
    try:
        return settings_from_dict(data)
    except SettingsError as exc:
        raise SettingsError(f"settings {path}: {exc}") from exc


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Validate and write atomically; the file is private because it may hold an API key."""
    settings.validate()
    path = path or default_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(settings.to_json(), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    log.info("settings saved to %s", path)
    return path


def set_aside_broken(path: Path | None = None) -> Path | None:
    """Move an unusable settings file out of the way so saving does not destroy it."""
    path = path or default_settings_path()
    if not path.exists():
        return None
    backup = path.with_name(path.name + ".broken")
    os.replace(path, backup)
    log.warning("unusable settings kept as %s", backup)
    return backup
