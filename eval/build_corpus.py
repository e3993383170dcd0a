"""Copy the evaluation corpus snapshot into ``eval/corpus`` from this machine's installs.

Run once by whoever refreshes the snapshot; the eval itself reads the committed copy, so
it gives the same figures on any machine. The corpus is real code and prose nobody on the
project wrote: part of CPython 3.11.7's standard library (Python, PSF licence) and part of
npm 11.19.1 (JavaScript and Markdown docs, Artistic-2.0 licence).

    python -m eval.build_corpus [--python-lib DIR] [--npm-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

EVAL_DIR = Path(__file__).resolve().parent
CORPUS_DIR = EVAL_DIR / "corpus"
MANIFEST = EVAL_DIR / "corpus_manifest.json"
DEFAULT_PYTHON_LIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
DEFAULT_NPM_DIR = Path("/usr/lib/node_modules/npm")
RUFF_EXCLUDE = (
    '# A verbatim snapshot of third-party code: never lint or reformat it.\nexclude = ["**/*"]\n'
)

# Modules chosen for variety (parsing, networking, files, text, archives, logging, email)
# and for being code people actually search in; large generated or table-like modules
# (e.g. email/_header_value_parser.py) are left out to keep indexing within minutes.
PYTHON_FILES = [
    "argparse.py",
    "base64.py",
    "bisect.py",
    "configparser.py",
    "csv.py",
    "difflib.py",
    "email/__init__.py",
    "email/architecture.rst",
    "email/base64mime.py",
    "email/charset.py",
    "email/encoders.py",
    "email/feedparser.py",
    "email/generator.py",
    "email/header.py",
    "email/message.py",
    "email/parser.py",
    "email/utils.py",
    "fnmatch.py",
    "glob.py",
    "gzip.py",
    "heapq.py",
    "http/__init__.py",
    "http/client.py",
    "http/cookies.py",
    "http/server.py",
    "json/__init__.py",
    "json/decoder.py",
    "json/encoder.py",
    "json/scanner.py",
    "logging/__init__.py",
    "logging/config.py",
    "logging/handlers.py",
    "pathlib.py",
    "pprint.py",
    "queue.py",
    "sched.py",
    "shlex.py",
    "shutil.py",
    "tarfile.py",
    "tempfile.py",
    "textwrap.py",
    "urllib/__init__.py",
    "urllib/error.py",
    "urllib/parse.py",
    "urllib/request.py",
    "urllib/robotparser.py",
    "zipfile.py",
]

NPM_FILES = [
    "lib/npm.js",
    "lib/base-cmd.js",
    "lib/commands/cache.js",
    "lib/commands/ci.js",
    "lib/commands/config.js",
    "lib/commands/dist-tag.js",
    "lib/commands/doctor.js",
    "lib/commands/outdated.js",
    "lib/commands/pack.js",
    "lib/commands/publish.js",
    "lib/commands/search.js",
    "lib/commands/version.js",
    "lib/utils/did-you-mean.js",
    "lib/utils/display.js",
    "lib/utils/error-message.js",
    "lib/utils/format-bytes.js",
    "lib/utils/log-file.js",
    "lib/utils/open-url.js",
    "lib/utils/read-user-info.js",
    "lib/utils/timers.js",
    "lib/utils/validate-lockfile.js",
    "docs/content/configuring-npm/folders.md",
    "docs/content/configuring-npm/install.md",
    "docs/content/configuring-npm/npmrc.md",
    "docs/content/configuring-npm/package-json.md",
    "docs/content/configuring-npm/package-lock-json.md",
    "docs/content/using-npm/config.md",
    "docs/content/using-npm/dependency-selectors.md",
    "docs/content/using-npm/developers.md",
    "docs/content/using-npm/logging.md",
    "docs/content/using-npm/orgs.md",
    "docs/content/using-npm/registry.md",
    "docs/content/using-npm/scope.md",
    "docs/content/using-npm/scripts.md",
    "docs/content/using-npm/workspaces.md",
    "docs/content/commands/npm-ci.md",
    "docs/content/commands/npm-publish.md",
    "docs/content/commands/npm-version.md",
]


def build(python_lib: Path, npm_dir: Path) -> dict[str, str]:
    """Copy the selection; return ``{corpus-relative path: sha256}``."""
    if CORPUS_DIR.exists():
        shutil.rmtree(CORPUS_DIR)
    CORPUS_DIR.mkdir(parents=True)
    # Third-party code kept verbatim: line numbers are eval targets, so the project's
    # "ruff check ." / "ruff format ." must never touch it.
    (CORPUS_DIR / "ruff.toml").write_text(RUFF_EXCLUDE, encoding="utf-8")
    manifest: dict[str, str] = {}
    for prefix, base, names in (
        ("cpython", python_lib, PYTHON_FILES),
        ("npm", npm_dir, NPM_FILES),
    ):
        for name in names:
            src = base / name
            dest = CORPUS_DIR / prefix / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            manifest[f"{prefix}/{name}"] = hashlib.sha256(dest.read_bytes()).hexdigest()
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-lib", type=Path, default=DEFAULT_PYTHON_LIB)
    parser.add_argument("--npm-dir", type=Path, default=DEFAULT_NPM_DIR)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    manifest = build(args.python_lib, args.npm_dir)
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    logger.info("copied %d files into %s", len(manifest), CORPUS_DIR)


if __name__ == "__main__":
    main()
