"""Which language a file is written in, and the tree-sitter parser for it.

Grammars come only from the official per-language wheels on PyPI (``tree-sitter-python``,
``tree-sitter-rust``, ...), each a small compiled module with a ``language()`` function. They
are imported on first use, so a missing or broken wheel costs one language, not the indexer.
(``tree-sitter-language-pack`` is deliberately not used: it downloads grammars at run time.)

Language names are lowercase and stable: they are stored with every chunk and used by the
``--lang`` filter. Languages without a grammar here (JSON, YAML, SQL, Makefiles, ...) still get
a name so that search can filter on them; they are chunked by line windows.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import threading
from pathlib import PurePath

import tree_sitter

logger = logging.getLogger(__name__)

# language -> (module of the official wheel, function returning the grammar's pointer).
# The wheel's distribution name is the module name with dashes: tree_sitter_c_sharp is
# "tree-sitter-c-sharp".
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "bash": ("tree_sitter_bash", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "scala": ("tree_sitter_scala", "language"),
    "lua": ("tree_sitter_lua", "language"),
    "swift": ("tree_sitter_swift", "language"),
    "haskell": ("tree_sitter_haskell", "language"),
    "elixir": ("tree_sitter_elixir", "language"),
    "zig": ("tree_sitter_zig", "language"),
    "ocaml": ("tree_sitter_ocaml", "language_ocaml"),
    "ocaml_interface": ("tree_sitter_ocaml", "language_ocaml_interface"),
    "julia": ("tree_sitter_julia", "language"),
    "objc": ("tree_sitter_objc", "language"),
}

CODE_LANGUAGES: frozenset[str] = frozenset(_GRAMMARS)

_EXTENSIONS: dict[str, str] = {
    # languages with a grammar
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    # .h is C more often than not; the C grammar still recovers functions from C++ headers.
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".tpp": "cpp",
    ".inl": "cpp",
    ".ino": "cpp",
    ".cs": "csharp",
    ".csx": "csharp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
    ".ru": "ruby",
    ".php": "php",
    ".phtml": "php",
    ".sh": "bash",
    ".bash": "bash",
    ".zsh": "bash",
    ".ksh": "bash",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".scala": "scala",
    ".sc": "scala",
    ".lua": "lua",
    ".swift": "swift",
    ".hs": "haskell",
    ".lhs": "haskell",
    ".ex": "elixir",
    ".exs": "elixir",
    ".zig": "zig",
    ".ml": "ocaml",
    ".mli": "ocaml_interface",
    ".jl": "julia",
    ".m": "objc",
    ".mm": "objc",
    # named for filtering, chunked by line windows
    ".json": "json",
    ".jsonc": "json",
    ".json5": "json",
    ".jsonl": "json",
    ".ipynb": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".properties": "properties",
    ".xml": "xml",
    ".xsd": "xml",
    ".xsl": "xml",
    ".xslt": "xml",
    ".plist": "xml",
    ".csproj": "xml",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".vue": "vue",
    ".svelte": "svelte",
    ".css": "css",
    ".scss": "scss",
    ".sass": "sass",
    ".less": "less",
    ".sql": "sql",
    ".mk": "makefile",
    ".cmake": "cmake",
    ".dockerfile": "dockerfile",
    ".gradle": "groovy",
    ".groovy": "groovy",
    ".pl": "perl",
    ".pm": "perl",
    ".r": "r",
    ".dart": "dart",
    ".ps1": "powershell",
    ".psm1": "powershell",
    ".bat": "batch",
    ".cmd": "batch",
    ".vim": "vim",
    ".el": "elisp",
    ".clj": "clojure",
    ".cljs": "clojure",
    ".erl": "erlang",
    ".hrl": "erlang",
    ".fs": "fsharp",
    ".fsx": "fsharp",
    ".vb": "vbnet",
    ".proto": "protobuf",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".tf": "terraform",
    ".hcl": "hcl",
    ".nix": "nix",
    ".nim": "nim",
    ".v": "verilog",
    ".sv": "verilog",
    ".vhd": "vhdl",
    ".asm": "assembly",
    ".s": "assembly",
    ".tex": "latex",
    ".diff": "diff",
    ".patch": "diff",
    ".csv": "csv",
    ".tsv": "csv",
    # prose; the document chunkers take these first, the names serve filtering
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".adoc": "asciidoc",
    ".org": "org",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
}

# Exact file names (compared in lowercase), for files whose name is their type.
_FILE_NAMES: dict[str, str] = {
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "podfile": "ruby",
    "vagrantfile": "ruby",
    "brewfile": "ruby",
    "jenkinsfile": "groovy",
    "pkgbuild": "bash",
    ".bashrc": "bash",
    ".bash_profile": "bash",
    ".bash_aliases": "bash",
    ".profile": "bash",
    ".zshrc": "bash",
    ".zprofile": "bash",
    ".gitignore": "ignore",
    ".dockerignore": "ignore",
    ".kenningignore": "ignore",
    ".editorconfig": "ini",
    ".gitconfig": "ini",
    "pipfile": "toml",
    "go.mod": "gomod",
}

# Name prefixes before a dot: Dockerfile.dev, Makefile.inc.
_NAME_PREFIXES: dict[str, str] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "makefile",
}

_SHEBANG_INTERPRETERS: dict[str, str] = {
    "python": "python",
    "sh": "bash",
    "bash": "bash",
    "zsh": "bash",
    "ksh": "bash",
    "dash": "bash",
    "node": "javascript",
    "deno": "typescript",
    "ruby": "ruby",
    "php": "php",
    "perl": "perl",
    "lua": "lua",
    "elixir": "elixir",
    "julia": "julia",
}


def language_for_path(path: str | os.PathLike[str]) -> str | None:
    """The language of a file from its name alone, or ``None`` when the name says nothing."""
    name = PurePath(path).name.lower()
    if name in _FILE_NAMES:
        return _FILE_NAMES[name]
    suffix = PurePath(name).suffix
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    stem = name.split(".", 1)[0]
    return _NAME_PREFIXES.get(stem)


def language_from_shebang(first_line: str) -> str | None:
    """The language a ``#!`` line names (``#!/usr/bin/env python3`` -> ``python``), if any.

    For extensionless scripts, whose name alone gives no language.
    """
    if not first_line.startswith("#!"):
        return None
    words = first_line[2:].strip().split()
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "env":
        # Skip env's own flags (``env -S python3 -u``).
        args = [w for w in words[1:] if not w.startswith("-")]
        if not args:
            return None
        program = args[0].rsplit("/", 1)[-1]
    program = program.rstrip("0123456789.")  # python3.11 -> python
    return _SHEBANG_INTERPRETERS.get(program)


def is_code_language(language: str) -> bool:
    """True when ``language`` has a tree-sitter grammar, so ``chunk_code`` can parse it.

    Config and markup languages (JSON, YAML, HTML, ...) are code-like too, but have no
    grammar here: they are chunked by line windows, with ``kind="code"`` all the same.
    """
    return language in _GRAMMARS


def grammar_wheel(language: str) -> str | None:
    """The PyPI distribution that provides ``language``'s grammar, e.g. ``tree-sitter-c-sharp``."""
    grammar = _GRAMMARS.get(language)
    if grammar is None:
        return None
    return grammar[0].replace("_", "-")


@functools.cache
def get_language(language: str) -> tree_sitter.Language | None:
    """The grammar for ``language``, or ``None`` when it has none or its wheel cannot load."""
    grammar = _GRAMMARS.get(language)
    if grammar is None:
        return None
    module_name, function_name = grammar
    try:
        module = importlib.import_module(module_name)
        return tree_sitter.Language(getattr(module, function_name)())
    except (ImportError, AttributeError, ValueError, TypeError) as exc:
        # ValueError is what tree-sitter raises for a grammar built for another ABI version.
        logger.warning(
            "No %s grammar (%s): %s; its files are chunked by lines",
            language,
            grammar_wheel(language),
            exc,
        )
        return None


# Parsers keep state while parsing, so each thread gets its own.
_thread_parsers = threading.local()


def get_parser(language: str) -> tree_sitter.Parser | None:
    """A parser for ``language``, cached per thread; ``None`` when there is no grammar."""
    cache: dict[str, tree_sitter.Parser | None] | None = getattr(_thread_parsers, "cache", None)
    if cache is None:
        cache = {}
        _thread_parsers.cache = cache
    if language not in cache:
        grammar = get_language(language)
        cache[language] = tree_sitter.Parser(grammar) if grammar is not None else None
    return cache[language]
