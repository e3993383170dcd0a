"""Tests for language detection and grammar loading."""

from __future__ import annotations

import importlib.metadata
import sys
import threading
from pathlib import Path

import pytest
import tree_sitter

from indexer.languages import (
    CODE_LANGUAGES,
    get_language,
    get_parser,
    grammar_wheel,
    is_code_language,
    language_for_path,
    language_from_shebang,
)


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app.py", "python"),
        ("stubs/typing.pyi", "python"),
        ("web/index.js", "javascript"),
        ("web/App.jsx", "javascript"),
        ("web/esm.mjs", "javascript"),
        ("web/api.ts", "typescript"),
        ("web/types.d.ts", "typescript"),
        ("web/App.tsx", "tsx"),
        ("cmd/main.go", "go"),
        ("src/lib.rs", "rust"),
        ("src/Main.java", "java"),
        ("src/list.c", "c"),
        ("include/list.h", "c"),
        ("src/geo.cpp", "cpp"),
        ("src/geo.cc", "cpp"),
        ("include/geo.hpp", "cpp"),
        ("src/Order.cs", "csharp"),
        ("lib/report.rb", "ruby"),
        ("app/User.php", "php"),
        ("bin/deploy.sh", "bash"),
        ("Cart.kt", "kotlin"),
        ("Prices.scala", "scala"),
        ("init.lua", "lua"),
        ("Stack.swift", "swift"),
        ("Main.hs", "haskell"),
        ("cart.ex", "elixir"),
        ("test_cart.exs", "elixir"),
        ("main.zig", "zig"),
        ("stack.ml", "ocaml"),
        ("stack.mli", "ocaml_interface"),
        ("Shapes.jl", "julia"),
        ("Counter.m", "objc"),
        ("package.json", "json"),
        ("ci.yml", "yaml"),
        ("pyproject.toml", "toml"),
        ("index.html", "html"),
        ("site.css", "css"),
        ("schema.sql", "sql"),
        ("README.md", "markdown"),
        ("notes.txt", "text"),
        ("SRC/MAIN.PY", "python"),
        ("Makefile", "makefile"),
        ("GNUmakefile", "makefile"),
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.dev", "dockerfile"),
        ("api.dockerfile", "dockerfile"),
        ("CMakeLists.txt", "cmake"),
        ("Gemfile", "ruby"),
        ("Rakefile", "ruby"),
        (".bashrc", "bash"),
        (".zshrc", "bash"),
    ],
)
def test_language_for_path(path, language):
    assert language_for_path(path) == language
    assert language_for_path(Path("/home/me/project") / path) == language


@pytest.mark.parametrize("path", ["data.bin", "LICENSE", "photo.jpeg", "archive.tar.gz", ""])
def test_unknown_names_have_no_language(path):
    assert language_for_path(path) is None


@pytest.mark.parametrize(
    ("line", "language"),
    [
        ("#!/usr/bin/env python3", "python"),
        ("#!/usr/bin/python3.11 -u", "python"),
        ("#!/bin/sh", "bash"),
        ("#!/usr/bin/env bash", "bash"),
        ("#!/usr/bin/env -S node --no-warnings", "javascript"),
        ("#!/usr/bin/ruby", "ruby"),
        ("#!/usr/bin/env", None),
        ("#!/opt/weird/interpreter", None),
        ("import os", None),
    ],
)
def test_language_from_shebang(line, language):
    assert language_from_shebang(line) == language


def test_code_languages_are_those_with_grammars():
    required = {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "rust",
        "java",
        "c",
        "cpp",
        "csharp",
        "ruby",
        "php",
        "bash",
    }
    assert required <= CODE_LANGUAGES
    assert all(is_code_language(language) for language in CODE_LANGUAGES)
    for language in ("json", "yaml", "markdown", "text", "makefile", "nonsense"):
        assert not is_code_language(language)


@pytest.mark.parametrize("language", sorted(CODE_LANGUAGES))
def test_every_grammar_loads_from_its_installed_wheel(language):
    wheel = grammar_wheel(language)
    assert wheel is not None and wheel.startswith("tree-sitter-")
    assert importlib.metadata.version(wheel)

    parser = get_parser(language)

    assert isinstance(parser, tree_sitter.Parser)
    tree = parser.parse(b"\n")
    assert tree.root_node is not None
    assert get_language(language) is parser.language


def test_grammar_wheel_names():
    assert grammar_wheel("csharp") == "tree-sitter-c-sharp"
    assert grammar_wheel("tsx") == "tree-sitter-typescript"
    assert grammar_wheel("php") == "tree-sitter-php"
    assert grammar_wheel("json") is None


def test_a_language_without_grammar_has_no_parser():
    assert get_parser("json") is None
    assert get_parser("nonsense") is None


def test_parsers_are_cached_per_thread():
    mine = get_parser("python")
    assert get_parser("python") is mine
    theirs: list[tree_sitter.Parser | None] = []
    thread = threading.Thread(target=lambda: theirs.append(get_parser("python")))
    thread.start()
    thread.join()
    assert theirs[0] is not None and theirs[0] is not mine
    assert theirs[0].language is mine.language


def test_no_grammar_pack_that_downloads_at_run_time_is_used():
    for language in CODE_LANGUAGES:
        get_parser(language)
    assert not any(name.startswith("tree_sitter_language_pack") for name in sys.modules)
