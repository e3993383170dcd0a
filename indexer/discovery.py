"""Find the files under a root that Kenning should index.

What is left out, and how:

* **Excluded** (never reported, never opened): version-control and tool folders, dependency
  and build output folders, virtualenvs (any folder holding ``pyvenv.cfg`` or ``conda-meta``)
  and folders tagged with a ``CACHEDIR.TAG``; paths matched by a ``.gitignore`` or
  ``.kenningignore`` at any level (git semantics, each file relative to its own folder, deeper
  files winning; see ``indexer.ignore_patterns``) or by ``DiscoveryOptions.extra_excludes``.
* **Secrets** (reported with a reason starting with "secret", never opened or entered):
  ``.env`` files, keys, certificates, cloud and package-registry credentials, histories and
  the ``.ssh``/``.gnupg``/``.aws``/... folders (lists in ``indexer.secret_files``), so the user
  sees what was left out. One that an ignore file already excludes is not reported.
* **Not content** (never reported, never opened): files whose extension says they are binary
  (images, archives, executables, media, fonts, databases, model weights ...). Judging by
  name is free; opening 10 000 PNGs to find NUL bytes is not, and none of them would ever
  be indexed. Everything else is opened by the chunker,
  which detects binary content it was not told about (``SkipFile("binary file")``).
* **Generated** (reported with a reason, never opened): lock files, minified bundles and
  source maps (``indexer.junk_files``), unless a negated ignore line (``!path``) names them.
* **Skipped** (reported through ``on_skip`` with a reason, so the user can see why): files over
  the size cap, unreadable folders, broken symbolic links, symbolic-link loops, special files
  and names that are not valid UTF-8.

Symbolic links are followed (``follow_symlinks``), also out of the root, but every real file
and folder is visited once: real paths are walked first and links afterwards, so a file
reachable both ways is indexed under its real path inside the root.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from engine.errors import KenningError
from indexer.ignore_patterns import compile_ignore_lines
from indexer.junk_files import generated_name_reason
from indexer.secret_files import (
    SECRET_DIR_PAIRS,
    SECRET_DIRS,
    SECRET_FOLDER_REASON,
    SECRET_REASON,
    is_secret_name,
)

logger = logging.getLogger(__name__)

IGNORE_FILES = (".gitignore", ".kenningignore")  # later files win: .kenningignore can re-include
_MAX_IGNORE_FILE_BYTES = 1024 * 1024

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        # version control
        ".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".fossil",
        # dependencies and package caches
        "node_modules", "bower_components", "jspm_packages", ".yarn", ".pnpm-store",
        ".npm", ".m2", ".ivy2", ".nuget", ".cargo", ".rustup", ".pyenv", ".nvm", ".conda",
        "site-packages", "__pypackages__", ".eggs",
        # virtualenvs by their usual names (any other is found by its pyvenv.cfg)
        ".venv", "venv", ".virtualenv", ".virtualenvs",
        # build outputs
        "build", "dist", "target", ".next", ".nuxt", ".svelte-kit", ".turbo", ".parcel-cache",
        ".angular", ".gradle", ".dart_tool", ".terraform", ".serverless", ".vercel", ".expo",
        "CMakeFiles", "DerivedData", ".build",
        # caches and tool state
        "__pycache__", ".cache", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox",
        ".hypothesis", ".ipynb_checkpoints", ".sass-cache", ".nyc_output", "htmlcov",
        # editors and IDEs
        ".idea", ".vscode", ".vs", ".fleet", ".history", ".vscode-server",
        # trash
        ".Trash", ".Trashes", "$RECYCLE.BIN",
    }
)  # fmt: skip
_EXCLUDED_DIR_SUFFIXES = (".egg-info",)
# A folder holding one of these is a virtualenv/conda env or a self-declared cache.
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta", "CACHEDIR.TAG")

BINARY_SUFFIXES = frozenset(
    {
        # images
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff",
        ".psd", ".xcf", ".heic", ".heif", ".avif", ".raw", ".cr2", ".nef", ".svg", ".svgz",
        ".eps", ".ai",
        # archives and packages
        ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".txz", ".zst", ".lz4", ".lzma", ".7z",
        ".rar", ".jar", ".war", ".ear", ".whl", ".egg", ".deb", ".rpm", ".dmg", ".iso",
        ".apk", ".aab", ".ipa", ".msi", ".cab", ".snap", ".appimage", ".nupkg", ".gem",
        # executables, objects, bytecode
        ".exe", ".dll", ".so", ".dylib", ".a", ".lib", ".o", ".obj", ".ko", ".bin", ".elf",
        ".class", ".pyc", ".pyo", ".pyd", ".wasm", ".dex", ".beam", ".node",
        # media
        ".mp3", ".mp4", ".m4a", ".m4v", ".wav", ".flac", ".ogg", ".oga", ".opus", ".aac",
        ".wma", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".flv", ".mpg", ".mpeg", ".mid",
        # fonts
        ".ttf", ".otf", ".woff", ".woff2", ".eot", ".pfb",
        # databases
        ".sqlite", ".sqlite3", ".db", ".db-wal", ".db-shm", ".sqlite3-wal", ".sqlite3-shm",
        ".mdb", ".accdb", ".dbf", ".realm",
        # data and model weights
        ".npy", ".npz", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".safetensors", ".onnx",
        ".h5", ".hdf5", ".parquet", ".arrow", ".feather", ".avro", ".orc", ".tfrecord",
        ".gguf", ".hnsw", ".idx", ".pack",
        # office formats without a chunker, and other opaque documents
        ".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".pages",
        ".numbers", ".rtfd", ".epub", ".mobi", ".djvu", ".xps",
        # misc
        ".swp", ".swo", ".DS_Store", ".lnk", ".crx", ".blend", ".fbx", ".glb", ".stl",
    }
)  # fmt: skip
# ".git" as a file is a worktree/submodule pointer, not content.
_BINARY_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", ".git"})
DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx"})


class RootUnavailableError(KenningError):
    """A root folder is missing or unreadable: nothing under it may be taken as deleted."""


@dataclass
class DiscoveryOptions:
    max_file_bytes: int = 10 * 1024 * 1024
    max_document_bytes: int = 64 * 1024 * 1024  # PDF and DOCX
    extra_excludes: list[str] = field(default_factory=list)  # gitignore syntax, root-relative
    follow_symlinks: bool = True
    # Folders never entered wherever they turn up (the index's own data dir: an index of ~
    # must not index itself). Absolute; matched by identity, so a link to one is caught too.
    skip_dirs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DiscoveredFile:
    path: Path  # absolute, not resolved: the path under the root the user knows
    root: Path
    rel_path: str  # "/"-separated, relative to root
    size: int
    mtime_ns: int
    # Named by a negated ignore line (``!path``): the generated/repetitive checks are off.
    opted_in: bool = False


@dataclass(frozen=True, slots=True)
class SkippedPath:
    path: Path  # may hold surrogate escapes when the name is not valid UTF-8
    root: Path
    reason: str


# --------------------------------------------------------------------------- name rules


def excluded_dir_reason(name: str, parent_name: str = "") -> str | None:
    """Why a folder called ``name`` (inside ``parent_name``) is never entered, if it is not."""
    if name in DEFAULT_EXCLUDED_DIRS or name.endswith(_EXCLUDED_DIR_SUFFIXES):
        return f"excluded folder: {name}"
    if (
        name in SECRET_DIRS
        or (parent_name, name) in SECRET_DIR_PAIRS
        or name.lower().startswith(".env")  # a virtualenv (also caught by pyvenv.cfg) or secrets
    ):
        return "secret folder"
    return None


def excluded_file_reason(name: str, parent_name: str = "") -> str | None:
    """Why a file called ``name`` (inside ``parent_name``) is not content to index, if not."""
    lower = name.lower()
    if is_secret_name(lower, parent_name):
        return "secret file"
    dot = lower.rfind(".")
    if (dot > 0 and lower[dot:] in BINARY_SUFFIXES) or lower in _BINARY_NAMES:
        return "binary file type"
    if generated_name_reason(lower):
        return "generated file"
    return None


def _secret_target_reason(real: str) -> str | None:
    """A symbolic link's target is a secret (``notes -> ~/.aws/credentials``)."""
    parts = real.split(os.sep)
    for parent, name in itertools.pairwise(parts):
        if name in SECRET_DIRS or (parent, name) in SECRET_DIR_PAIRS:
            return "secret folder"
    if len(parts) >= 2 and excluded_file_reason(parts[-1], parts[-2]) == "secret file":
        return "secret file"
    return None


def size_limit(name: str, options: DiscoveryOptions) -> int:
    """The size cap for a file of this name (documents have their own, larger one)."""
    dot = name.rfind(".")
    if dot >= 0 and name[dot:].lower() in DOCUMENT_SUFFIXES:
        return options.max_document_bytes
    return options.max_file_bytes


def size_reason(size: int, limit: int) -> str:
    return f"larger than the size cap ({size / 2**20:.1f} MB > {limit / 2**20:.1f} MB)"


# ------------------------------------------------------------------------- ignore files


@dataclass(frozen=True, slots=True)
class _IgnoreRule:
    """One folder's ignore spec; a root-relative path ``p`` is matched as ``prefix + p[strip:]``."""

    spec: pathspec.GitIgnoreSpec
    strip: int
    prefix: str


_IgnoreChain = tuple[_IgnoreRule, ...]


def _compile(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    # Patterns from untrusted repositories: compiled so that matching stays linear.
    return compile_ignore_lines(lines)


_spec_cache: dict[str, tuple[tuple[tuple[int, int], ...], pathspec.GitIgnoreSpec | None]] = {}
_spec_cache_lock = threading.Lock()


def _folder_spec(folder: str, names: frozenset[str] | None = None) -> pathspec.GitIgnoreSpec | None:
    """The combined ignore spec of one folder's ignore files, cached by their size and mtime.

    ``names`` (the folder's entries, when the caller has them) saves a stat per missing file.
    """
    files = [os.path.join(folder, ".git", "info", "exclude")]
    if names is not None and ".git" not in names:
        files = []
    files += [os.path.join(folder, n) for n in IGNORE_FILES if names is None or n in names]
    stamps = []
    present = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            stamps.append((st.st_size, st.st_mtime_ns))
            present.append(path)
    if not present:
        return None
    key = tuple(stamps)
    with _spec_cache_lock:
        cached = _spec_cache.get(folder)
    if cached is not None and cached[0] == key:
        return cached[1]
    lines: list[str] = []
    for path in present:
        try:
            with open(path, "rb") as handle:
                raw = handle.read(_MAX_IGNORE_FILE_BYTES)
        except OSError as err:
            logger.info("cannot read %s: %s", path, err)
            continue
        lines.extend(raw.decode("utf-8", errors="replace").splitlines())
    spec = _compile(lines)
    with _spec_cache_lock:
        if len(_spec_cache) > 10_000:
            _spec_cache.clear()
        _spec_cache[folder] = (key, spec)
    return spec


def _verdict(chain: _IgnoreChain, rel: str) -> bool | None:
    """Git semantics: the deepest ignore file with a matching pattern decides.

    True: ignored; False: re-included by a negated pattern (``!path``); None: not named.
    """
    verdict = None
    for rule in chain:
        result = rule.spec.check_file(rule.prefix + rel[rule.strip :]).include
        if result is not None:
            verdict = result
    return verdict


def _ignored(chain: _IgnoreChain, rel: str) -> bool:
    return bool(_verdict(chain, rel))


def _with_folder(
    chain: _IgnoreChain, spec: pathspec.GitIgnoreSpec | None, rel: str
) -> _IgnoreChain:
    if spec is None:
        return chain
    return (*chain, _IgnoreRule(spec, len(rel) + 1 if rel else 0, ""))


def _ancestor_chain(root: str) -> _IgnoreChain:
    """Ignore files above the root, up to its git repository's top, when it is inside one.

    Indexing ``repo/src`` still honours ``repo/.gitignore``. If those rules ignore the root
    itself, the user chose it on purpose: they are dropped.
    """
    if os.path.exists(os.path.join(root, ".git")):
        return ()  # the root is a repository's top: git reads nothing above it
    folders = []
    current = root
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return ()
        folders.append(parent)
        if os.path.exists(os.path.join(parent, ".git")):
            break
        current = parent
    chain: list[_IgnoreRule] = []
    for folder in reversed(folders):
        spec = _folder_spec(folder)
        if spec is not None:
            prefix = os.path.relpath(root, folder).replace(os.sep, "/") + "/"
            chain.append(_IgnoreRule(spec, 0, prefix))
    rules = tuple(chain)
    if rules and any(rule.spec.check_file(rule.prefix).include for rule in rules):
        return ()
    return rules


def _extra_rule(options: DiscoveryOptions) -> _IgnoreChain:
    spec = _compile(list(options.extra_excludes))
    return () if spec is None else (_IgnoreRule(spec, 0, ""),)


# ---------------------------------------------------------------------------- the walk


@dataclass(slots=True)
class _Folder:
    path: str
    rel: str
    chain: _IgnoreChain


def _is_valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes became surrogate escapes
        return False
    return True


class _Walker:
    def __init__(
        self, root: str, options: DiscoveryOptions, on_skip: Callable[[SkippedPath], None] | None
    ) -> None:
        self.root = root
        self.root_path = Path(root)
        self.options = options
        self.on_skip = on_skip
        self.extra = _extra_rule(options)
        self.visited_dirs: set[tuple[int, int]] = set()
        self.skip_keys = _dir_keys(options.skip_dirs)
        self.seen_files: set[tuple[int, int]] = set()
        self.folders: list[_Folder] = []
        # Links wait until every real path was walked, so real paths win duplicates.
        self.links: deque[tuple[os.DirEntry[str], _Folder, bool]] = deque()

    def skip(self, path: str, reason: str) -> None:
        if self.on_skip is not None:
            self.on_skip(SkippedPath(Path(path), self.root_path, reason))

    def run(self, root_stat: os.stat_result) -> Iterator[DiscoveredFile]:
        self.visited_dirs.add((root_stat.st_dev, root_stat.st_ino))
        self.folders.append(_Folder(self.root, "", _ancestor_chain(self.root)))
        while self.folders or self.links:
            if self.folders:
                yield from self.scan(self.folders.pop())
                continue
            entry, parent, is_dir = self.links.popleft()
            if is_dir:
                self.enter_linked_dir(entry, parent)
            else:
                found = self.file(entry, parent, linked=True)
                if found is not None:
                    yield found

    def scan(self, folder: _Folder) -> Iterator[DiscoveredFile]:
        try:
            with os.scandir(folder.path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            reason = "permission denied" if isinstance(err, PermissionError) else None
            reason = reason or f"cannot read folder: {err.strerror or err}"
            if not folder.rel:
                raise RootUnavailableError(f"cannot read folder {self.root}: {reason}") from err
            if not isinstance(err, FileNotFoundError):  # else: vanished since it was listed
                self.skip(folder.path, reason)
            return
        names = frozenset(e.name for e in entries)
        if folder.rel and any(marker in names for marker in _ENV_MARKERS):
            return  # a virtualenv, conda env or tagged cache folder
        chain = _with_folder(folder.chain, _folder_spec(folder.path, names), folder.rel)
        parent_name = os.path.basename(folder.path)
        subfolders = []
        for entry in entries:
            name = entry.name
            rel = f"{folder.rel}/{name}" if folder.rel else name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_link, is_dir, is_file = False, False, False
            if is_link and not self.options.follow_symlinks:
                continue
            if is_dir:
                dir_reason = excluded_dir_reason(name, parent_name)
                if dir_reason or self.ignored(chain, rel + "/"):
                    if dir_reason == "secret folder" and not self.ignored(chain, rel + "/"):
                        self.skip(entry.path, SECRET_FOLDER_REASON)  # listed, never entered
                    continue
                if not _is_valid_name(name):
                    self.skip(entry.path, "folder name is not valid UTF-8")
                    continue
                child = _Folder(entry.path, rel, chain)
                if is_link:
                    self.links.append((entry, child, True))
                elif self.claim_dir(entry.path):
                    subfolders.append(child)
            elif is_file:
                file_reason = excluded_file_reason(name, parent_name)
                verdict = _verdict(chain, rel)
                ignored = bool(verdict) or (bool(self.extra) and _ignored(self.extra, rel))
                opted_in = verdict is False  # named by a `!path` line: the user wants it
                if ignored:
                    continue
                if file_reason == "generated file" and not opted_in:
                    # Listed with its reason, never opened.
                    self.skip(entry.path, generated_name_reason(name.lower()) or file_reason)
                    continue
                if file_reason == "secret file":
                    self.skip(entry.path, SECRET_REASON)  # listed, never opened
                    continue
                if file_reason and file_reason != "generated file":
                    continue
                if is_link:
                    self.links.append((entry, _Folder(entry.path, rel, chain), False))
                    continue
                found = self.file(entry, _Folder(entry.path, rel, chain), linked=False)
                if found is not None:
                    yield dataclasses.replace(found, opted_in=True) if opted_in else found
            elif not excluded_file_reason(name, parent_name) and not self.ignored(chain, rel):
                self.skip_odd(entry, is_link)
        # Depth first, in name order.
        self.folders.extend(reversed(subfolders))

    def ignored(self, chain: _IgnoreChain, rel: str) -> bool:
        return _ignored(chain, rel) or (bool(self.extra) and _ignored(self.extra, rel))

    def claim_dir(self, path: str) -> bool:
        """Mark a folder visited; False when it already was (a bind mount or link loop)."""
        try:
            st = os.stat(path)
        except OSError as err:
            self.skip(path, f"cannot read folder: {err.strerror or err}")
            return False
        key = (st.st_dev, st.st_ino)
        if key in self.visited_dirs or key in self.skip_keys:
            return False
        self.visited_dirs.add(key)
        return True

    def enter_linked_dir(self, entry: os.DirEntry[str], child: _Folder) -> None:
        real = os.path.realpath(entry.path)
        if _secret_target_reason(real) or excluded_dir_reason(os.path.basename(real)):
            return
        parent_real = os.path.realpath(os.path.dirname(entry.path))
        if parent_real == real or parent_real.startswith(real.rstrip(os.sep) + os.sep):
            self.skip(entry.path, "symbolic link loop")
            return
        if self.claim_dir(entry.path):  # already walked through another path: not again
            self.folders.append(child)

    def file(
        self, entry: os.DirEntry[str], item: _Folder, *, linked: bool
    ) -> DiscoveredFile | None:
        if not _is_valid_name(entry.name):
            self.skip(entry.path, "file name is not valid UTF-8")
            return None
        if linked and _secret_target_reason(os.path.realpath(entry.path)):
            return None
        try:
            st = entry.stat()  # follows links: the target's size and identity
        except FileNotFoundError:
            return None
        except OSError as err:
            self.skip(entry.path, f"cannot read file: {err.strerror or err}")
            return None
        key = (st.st_dev, st.st_ino)
        if key in self.seen_files:
            return None
        self.seen_files.add(key)
        limit = size_limit(entry.name, self.options)
        if st.st_size > limit:
            self.skip(entry.path, size_reason(st.st_size, limit))
            return None
        return DiscoveredFile(
            Path(entry.path), self.root_path, item.rel, st.st_size, st.st_mtime_ns
        )

    def skip_odd(self, entry: os.DirEntry[str], is_link: bool) -> None:
        if is_link and not os.path.exists(entry.path):
            if os.path.lexists(entry.path):
                self.skip(entry.path, "broken symbolic link")
            return
        self.skip(entry.path, "not a regular file (device, socket or pipe)")


def _dir_keys(paths: tuple[str, ...]) -> frozenset[tuple[int, int]]:
    keys = set()
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue  # not created yet: nothing of it to find
        keys.add((st.st_dev, st.st_ino))
    return frozenset(keys)


def _inside_skipped_dir(path_str: str, options: DiscoveryOptions) -> bool:
    real = os.path.realpath(path_str)
    for skip in options.skip_dirs:
        top = os.path.realpath(skip)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def discover(
    root: Path | str,
    options: DiscoveryOptions | None = None,
    on_skip: Callable[[SkippedPath], None] | None = None,
) -> Iterator[DiscoveredFile]:
    """Yield every indexable file under ``root``; report skips through ``on_skip``.

    Raises ``RootUnavailableError`` when ``root`` itself is missing or unreadable, so a
    caller never mistakes an unmounted drive for a folder whose files were all deleted.
    """
    options = options or DiscoveryOptions()
    root_str = os.path.abspath(os.fspath(root))
    try:
        root_stat = os.stat(root_str)
    except FileNotFoundError as err:
        raise RootUnavailableError(f"folder not found: {root_str}") from err
    except OSError as err:
        raise RootUnavailableError(f"cannot read folder {root_str}: {err.strerror}") from err

    if not stat.S_ISDIR(root_stat.st_mode):
        yield from _discover_single_file(root_str, root_stat, options, on_skip)
        return
    yield from _Walker(root_str, options, on_skip).run(root_stat)


def _discover_single_file(
    path: str,
    st: os.stat_result,
    options: DiscoveryOptions,
    on_skip: Callable[[SkippedPath], None] | None,
) -> Iterator[DiscoveredFile]:
    """A root that is a file: the file itself, unless excluded or too big."""
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path))
    if not stat.S_ISREG(st.st_mode) or excluded_file_reason(name, parent):
        return
    if _secret_target_reason(os.path.realpath(path)):
        return
    limit = size_limit(name, options)
    if st.st_size > limit:
        if on_skip is not None:
            on_skip(SkippedPath(Path(path), Path(path), size_reason(st.st_size, limit)))
        return
    yield DiscoveredFile(Path(path), Path(path), name, st.st_size, st.st_mtime_ns)


def is_opted_in(path: Path | str, root: Path | str) -> bool:
    """True when an ignore file re-includes ``path`` by name (``!path``): the user wants it
    even if it looks generated or repetitive."""
    root_str = os.path.abspath(os.fspath(root))
    rel = os.path.relpath(os.path.abspath(os.fspath(path)), root_str)
    if rel == "." or rel.startswith(".."):
        return False
    parts = rel.split(os.sep)
    chain = _ancestor_chain(root_str)
    folder = root_str
    for depth, name in enumerate(parts[:-1]):
        chain = _with_folder(chain, _folder_spec(folder), "/".join(parts[:depth]))
        folder = os.path.join(folder, name)
    chain = _with_folder(chain, _folder_spec(folder), "/".join(parts[:-1]))
    return _verdict(chain, "/".join(parts)) is False


def exclusion_reason(
    path: Path | str, root: Path | str, options: DiscoveryOptions | None = None
) -> str | None:
    """Why ``path`` (under ``root``) is left out by the rules ``discover`` applies, or None.

    For watcher events: excluded folders among its ancestors, virtualenv/cache markers,
    secrets (also behind a symbolic link), binary/generated names, ignore files and
    ``extra_excludes``. Size caps and unreadable files are not exclusions: ``discover``
    reports those as ``SkippedPath``. A path outside ``root`` returns a reason too.
    """
    options = options or DiscoveryOptions()
    root_str = os.path.abspath(os.fspath(root))
    path_str = os.path.abspath(os.fspath(path))
    rel = os.path.relpath(path_str, root_str)
    if rel == ".":
        return None
    if rel == ".." or rel.startswith(".." + os.sep):
        return "outside the indexed folder"
    if options.skip_dirs and _inside_skipped_dir(path_str, options):
        return "Kenning's own data folder"
    parts = rel.split(os.sep)
    chain = _ancestor_chain(root_str)
    extra = _extra_rule(options)
    folder, parent_name = root_str, os.path.basename(root_str)
    for depth, name in enumerate(parts[:-1]):
        sub_rel = "/".join(parts[: depth + 1])
        chain = _with_folder(chain, _folder_spec(folder), "/".join(parts[:depth]))
        reason = excluded_dir_reason(name, parent_name)
        if reason:
            return reason
        if _ignored(chain, sub_rel + "/"):
            return "ignored by an ignore file"
        if extra and _ignored(extra, sub_rel + "/"):
            return "excluded by settings"
        folder = os.path.join(folder, name)
        parent_name = name
        if any(os.path.exists(os.path.join(folder, m)) for m in _ENV_MARKERS):
            return "inside a virtualenv or cache folder"
    chain = _with_folder(chain, _folder_spec(folder), "/".join(parts[:-1]))
    name = parts[-1]
    rel_posix = "/".join(parts)
    is_dir = os.path.isdir(path_str)
    reason = (
        excluded_dir_reason(name, parent_name)
        if is_dir
        else excluded_file_reason(name, parent_name)
    )
    if reason == "generated file" and _verdict(chain, rel_posix) is False:
        reason = None  # opted in with a `!path` line
    if reason:
        return reason
    if is_dir and any(os.path.exists(os.path.join(path_str, m)) for m in _ENV_MARKERS):
        return "a virtualenv or cache folder"
    if os.path.islink(path_str) and options.follow_symlinks:
        reason = _secret_target_reason(os.path.realpath(path_str))
        if reason:
            return reason
    elif os.path.islink(path_str):
        return "symbolic link (not followed)"
    probe = rel_posix + "/" if is_dir else rel_posix
    if _ignored(chain, probe):
        return "ignored by an ignore file"
    if extra and _ignored(extra, probe):
        return "excluded by settings"
    return None
