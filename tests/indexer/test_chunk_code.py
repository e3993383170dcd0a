"""Tests for the tree-sitter code chunker.

The per-language cases use a line counter as ``count_tokens`` (one "token" per line of the
embedded text), so a budget reads as a number of lines: the header takes three (file,
symbol, blank) and ``LINE_BUDGET`` leaves eight for code. That is small enough to open every
class in the snippets into its header and members, and keeps the expected spans readable.
The budget guarantee itself is tested with the real MiniLM tokenizer.
"""

from __future__ import annotations

import argparse
import itertools
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from engine.types import Chunk
from indexer.chunk_code import chunk_code, supported_languages
from indexer.chunk_header import embed_text_for
from indexer.chunk_lines import chunk_lines
from indexer.languages import CODE_LANGUAGES

CountTokens = Callable[[list[str]], list[int]]
LINE_BUDGET = 11


def count_lines(texts: list[str]) -> list[int]:
    return [text.count("\n") + 1 for text in texts]


_WORDISH = re.compile(r"\w+|[^\w\s]")


def count_approx(texts: list[str]) -> list[int]:
    """A crude tokenizer-free counter: words and punctuation marks."""
    return [len(_WORDISH.findall(text)) for text in texts]


@pytest.fixture(scope="module")
def minilm_count(minilm_path: Path) -> CountTokens:
    tokenizer = Tokenizer.from_file(str(minilm_path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]

    return count


def spans(chunks: list[Chunk]) -> list[tuple[int, int, str | None]]:
    return [(c.start_line, c.end_line, c.symbol) for c in chunks]


def assert_well_formed(
    chunks: list[Chunk],
    source: str,
    rel_path: str,
    language: str,
    *,
    max_tokens: int,
    count_tokens: CountTokens,
) -> None:
    """Budget, text, header, order and coverage: what every chunk list must satisfy."""
    lines = source.replace("\r\n", "\n").split("\n")
    counts = count_tokens([c.embed_text for c in chunks])
    assert max(counts, default=0) <= max_tokens
    covered: set[int] = set()
    for chunk in chunks:
        assert chunk.kind == "code"
        assert chunk.language == language
        assert 1 <= chunk.start_line <= chunk.end_line <= len(lines)
        whole = "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        if chunk.start_line == chunk.end_line:
            assert chunk.text in whole  # possibly a piece of one long line
        else:
            assert chunk.text == whole
        assert chunk.text.strip()
        assert chunk.embed_text == embed_text_for(rel_path, chunk.symbol, chunk.text)
        covered.update(range(chunk.start_line, chunk.end_line + 1))
    assert [c.start_line for c in chunks] == sorted(c.start_line for c in chunks)
    non_blank = {number for number, line in enumerate(lines, 1) if line.strip()}
    assert non_blank - covered == set()


PYTHON_SOURCE = r'''"""Parse command lines."""
import os
import sys

DEFAULT_PREFIX = "-"


class ArgumentParser:
    """Turns argv into a namespace."""

    prefix_chars = "-"

    def __init__(self, prog=None):
        self.prog = prog or os.path.basename(sys.argv[0])
        self._actions = []

    @property
    def actions(self):
        return list(self._actions)

    def parse_args(self, args=None):
        # Fall back to the process arguments.
        args = sys.argv[1:] if args is None else args
        return self._parse_known(args)

    class _Group:
        def add(self, action):
            self.actions.append(action)


def main():
    parser = ArgumentParser()
    print(parser.parse_args())


if __name__ == "__main__":
    main()
'''

JAVASCRIPT_SOURCE = r"""import { readFile } from "node:fs/promises";

const RETRIES = 3;

/**
 * Loads the configuration file.
 */
export async function loadConfig(path) {
  const raw = await readFile(path, "utf8");
  return JSON.parse(raw);
}

export const mergeOptions = (base, extra) => ({ ...base, ...extra });

class Cache {
  #entries = new Map();

  get(key) {
    return this.#entries.get(key);
  }

  set(key, value) {
    this.#entries.set(key, value);
    return this;
  }

  onEvict = (key) => {
    this.#entries.delete(key);
  };
}

module.exports.helper = function () {
  return RETRIES;
};
"""

TYPESCRIPT_SOURCE = r"""export interface Shape {
  area(): number;
}

type Point = { x: number; y: number };

export class Circle implements Shape {
  constructor(private radius: number) {}

  area(): number {
    return Math.PI * this.radius ** 2;
  }

  scale(factor: number): Circle {
    return new Circle(this.radius * factor);
  }
}

namespace Geometry {
  export function distance(a: Point, b: Point): number {
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  export function midpoint(a: Point, b: Point): Point {
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
}

enum Color {
  Red,
  Green,
}
"""

TSX_SOURCE = r"""import React from "react";

interface Props {
  name: string;
}

export function Greeting({ name }: Props) {
  return <h1>Hello, {name}</h1>;
}

export const Counter = () => {
  const [count, setCount] = React.useState(0);
  return <button onClick={() => setCount(count + 1)}>{count}</button>;
};
"""

GO_SOURCE = r"""package server

import (
    "fmt"
    "net/http"
)

// Server answers HTTP requests.
type Server struct {
    addr string
}

// Start listens on the configured address.
func (s *Server) Start() error {
    return http.ListenAndServe(s.addr, nil)
}

func (s Server) String() string {
    return fmt.Sprintf("server at %s", s.addr)
}

func New(addr string) *Server {
    return &Server{addr: addr}
}
"""

RUST_SOURCE = r"""use std::fmt;

/// A 2D point.
#[derive(Debug, Clone)]
pub struct Point {
    x: f64,
    y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    pub fn norm(&self) -> f64 {
        (self.x * self.x + self.y * self.y).sqrt()
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

mod tests {
    fn origin_has_zero_norm() {
        assert_eq!(super::Point::new(0.0, 0.0).norm(), 0.0);
    }
}
"""

JAVA_SOURCE = r"""package com.example;

import java.util.List;

/** Keeps a list of tasks. */
public class TaskList {
    private final List<String> tasks;

    public TaskList(List<String> tasks) {
        this.tasks = tasks;
    }

    @Override
    public String toString() {
        return String.join(", ", tasks);
    }

    public int size() {
        return tasks.size();
    }

    enum Priority { LOW, HIGH }
}
"""

C_SOURCE = r"""#include <stdlib.h>
#include <string.h>

#define MAX_NAME 64

/* A node of a singly linked list. */
struct node {
    char name[MAX_NAME];
    struct node *next;
};

typedef struct {
    struct node *head;
    size_t length;
} list_t;

static struct node *node_new(const char *name)
{
    struct node *n = calloc(1, sizeof *n);
    strncpy(n->name, name, MAX_NAME - 1);
    return n;
}

void list_push(list_t *list, const char *name)
{
    struct node *n = node_new(name);
    n->next = list->head;
    list->head = n;
    list->length++;
}
"""

CPP_SOURCE = r"""#include <string>

namespace geo {

class Shape {
 public:
  virtual ~Shape() = default;
  virtual double area() const = 0;
};

class Rect : public Shape {
 public:
  Rect(double w, double h) : w_(w), h_(h) {}
  double area() const override { return w_ * h_; }

 private:
  double w_, h_;
};

}  // namespace geo

double geo::total_area(const geo::Shape& a, const geo::Shape& b) {
  return a.area() + b.area();
}

std::string describe(const geo::Rect& r) {
  return "rect of area " + std::to_string(r.area());
}
"""

CSHARP_SOURCE = r"""using System;
using System.Collections.Generic;

namespace Shop.Orders
{
    /// <summary>An order line.</summary>
    public record Line(string Sku, int Quantity);

    public class Order
    {
        private readonly List<Line> _lines = new();

        public Order(string customer)
        {
            Customer = customer;
        }

        public string Customer { get; }

        public decimal Total
        {
            get { return _lines.Count * 9.99m; }
        }

        public void Add(Line line)
        {
            _lines.Add(line);
        }
    }
}
"""

RUBY_SOURCE = r"""require "json"

# Formats reports.
module Reports
  VERSION = "1.0"

  class Formatter
    attr_reader :title

    def initialize(title)
      @title = title
    end

    def render(rows)
      rows.map { |row| format_row(row) }.join("\n")
    end

    def self.default
      new("Report")
    end

    private

    def format_row(row)
      row.to_json
    end
  end
end
"""

PHP_SOURCE = r"""<?php

namespace App\Http;

use App\Models\User;

/**
 * Handles user requests.
 */
class UserController extends Controller
{
    private $users;

    public function __construct(UserRepository $users)
    {
        $this->users = $users;
    }

    public function show(int $id): User
    {
        return $this->users->find($id);
    }
}

function route(string $path): string
{
    return "/api" . $path;
}
"""

BASH_SOURCE = r"""#!/usr/bin/env bash
set -euo pipefail

LOG_DIR=/var/log/app

# Print a timestamped message.
log() {
  echo "$(date +%T) $*" >&2
}

function rotate_logs {
  find "$LOG_DIR" -name '*.log' -mtime +7 -delete
}

log "starting"
rotate_logs
"""

KOTLIN_SOURCE = r"""package shop

class Cart {
    private val items = mutableListOf<String>()

    fun add(item: String) {
        items.add(item)
    }

    fun total(): Int = items.size
}

fun emptyCart() = Cart()
"""

SCALA_SOURCE = r"""package shop

object Prices {
  val rate = 0.2

  def withTax(amount: Double): Double =
    amount * (1 + rate)

  def discount(amount: Double): Double =
    amount * 0.9
}

def main(): Unit = println(Prices.withTax(10))
"""

LUA_SOURCE = r"""local M = {}

-- Adds two numbers.
function M.add(a, b)
  return a + b
end

function M:scale(k)
  return self.value * k
end

local function clamp(x)
  return math.max(0, x)
end

return M
"""

SWIFT_SOURCE = r"""import Foundation

struct Stack {
    var items: [Int] = []

    mutating func push(_ item: Int) {
        items.append(item)
    }

    func peek() -> Int? {
        return items.last
    }
}

func makeStack() -> Stack { Stack() }
"""

HASKELL_SOURCE = r"""module Geometry where

-- | Area of a circle.
area :: Double -> Double
area r = pi * r * r

fact :: Int -> Int
fact 0 = 1
fact n = n * fact (n - 1)

data Shape = Circle Double | Square Double
"""

ELIXIR_SOURCE = r"""defmodule Shop.Cart do
  @moduledoc "A shopping cart."

  @doc "Adds an item."
  def add(cart, item) do
    [item | cart]
  end

  def total([]), do: 0
  def total([_ | rest]), do: 1 + total(rest)

  defp secret, do: :ok
end
"""

ZIG_SOURCE = r"""const std = @import("std");

pub const Stack = struct {
    items: [8]i32 = undefined,
    len: usize = 0,

    pub fn push(self: *Stack, x: i32) void {
        self.items[self.len] = x;
        self.len += 1;
    }
};

fn helper() void {}
"""

OCAML_SOURCE = r"""open Printf

(* Square a number. *)
let square x = x * x

module Stack = struct
  type t = int list
  let empty = []
  let push x s = x :: s
  let pop = function
    | [] -> None
    | x :: rest -> Some (x, rest)
end

let () = printf "%d\n" (square 3)
"""

JULIA_SOURCE = r'''module Shapes

"""Area of a circle."""
function area(r)
    return pi * r^2
end

struct Point
    x::Float64
    y::Float64
end

norm(p::Point) = sqrt(p.x^2 + p.y^2)

end
'''

OBJC_SOURCE = r"""#import <Foundation/Foundation.h>

@implementation Counter

- (void)increment {
    self.count += 1;
}

- (void)addValue:(int)value times:(int)times {
    self.count += value * times;
}

@end
"""


REQUIRED_CASES = [
    (
        "python",
        "argparse_lite.py",
        PYTHON_SOURCE,
        [
            (1, 5, None),
            (8, 11, "ArgumentParser"),
            (13, 15, "ArgumentParser.__init__"),
            (17, 19, "ArgumentParser.actions"),
            (21, 24, "ArgumentParser.parse_args"),
            (26, 28, "ArgumentParser._Group"),
            (31, 33, "main"),
            (36, 37, None),
        ],
    ),
    (
        "javascript",
        "src/config.js",
        JAVASCRIPT_SOURCE,
        [
            (1, 3, None),
            (5, 11, "loadConfig"),
            (13, 13, "mergeOptions"),
            (15, 16, "Cache"),
            (18, 20, "Cache.get"),
            (22, 25, "Cache.set"),
            (27, 30, "Cache.onEvict"),
            (32, 34, "module.exports.helper"),
        ],
    ),
    (
        "typescript",
        "src/shapes.ts",
        TYPESCRIPT_SOURCE,
        [
            (1, 3, "Shape"),
            (5, 5, "Point"),
            (7, 7, "Circle"),
            (8, 8, "Circle.constructor"),
            (10, 12, "Circle.area"),
            (14, 17, "Circle.scale"),
            (19, 19, "Geometry"),
            (20, 22, "Geometry.distance"),
            (24, 27, "Geometry.midpoint"),
            (29, 32, "Color"),
        ],
    ),
    (
        "tsx",
        "src/Greeting.tsx",
        TSX_SOURCE,
        [
            (1, 1, None),
            (3, 5, "Props"),
            (7, 9, "Greeting"),
            (11, 14, "Counter"),
        ],
    ),
    (
        "go",
        "server/server.go",
        GO_SOURCE,
        [
            (1, 6, None),
            (8, 11, "Server"),
            (13, 16, "Server.Start"),
            (18, 20, "Server.String"),
            (22, 24, "New"),
        ],
    ),
    (
        "rust",
        "src/point.rs",
        RUST_SOURCE,
        [
            (1, 1, None),
            (3, 8, "Point"),
            (10, 10, "Point"),
            (11, 13, "Point.new"),
            (15, 18, "Point.norm"),
            (20, 24, "Point"),
            (26, 30, "tests"),
        ],
    ),
    (
        "java",
        "src/TaskList.java",
        JAVA_SOURCE,
        [
            (1, 3, None),
            (5, 7, "TaskList"),
            (9, 11, "TaskList.TaskList"),
            (13, 16, "TaskList.toString"),
            (18, 20, "TaskList.size"),
            (22, 23, "TaskList.Priority"),
        ],
    ),
    (
        "c",
        "list.c",
        C_SOURCE,
        [
            (1, 4, None),
            (6, 10, "node"),
            (12, 15, "list_t"),
            (17, 22, "node_new"),
            (24, 30, "list_push"),
        ],
    ),
    (
        "cpp",
        "geo.cpp",
        CPP_SOURCE,
        [
            (1, 1, None),
            (3, 3, "geo"),
            (5, 9, "geo.Shape"),
            (11, 12, "geo.Rect"),
            (13, 13, "geo.Rect.Rect"),
            (14, 14, "geo.Rect.area"),
            (16, 20, "geo.Rect"),
            (22, 24, "geo.total_area"),
            (26, 28, "describe"),
        ],
    ),
    (
        "csharp",
        "Orders.cs",
        CSHARP_SOURCE,
        [
            (1, 2, None),
            (4, 5, "Shop.Orders"),
            (6, 7, "Shop.Orders.Line"),
            (9, 11, "Shop.Orders.Order"),
            (13, 16, "Shop.Orders.Order.Order"),
            (18, 18, "Shop.Orders.Order"),
            (20, 23, "Shop.Orders.Order.Total"),
            (25, 30, "Shop.Orders.Order.Add"),
        ],
    ),
    (
        "ruby",
        "lib/reports.rb",
        RUBY_SOURCE,
        [
            (1, 1, None),
            (3, 5, "Reports"),
            (7, 8, "Reports.Formatter"),
            (10, 12, "Reports.Formatter.initialize"),
            (14, 16, "Reports.Formatter.render"),
            (18, 20, "Reports.Formatter.default"),
            (22, 22, "Reports.Formatter"),
            (24, 28, "Reports.Formatter.format_row"),
        ],
    ),
    (
        "php",
        "app/UserController.php",
        PHP_SOURCE,
        [
            (1, 5, None),
            (7, 12, "App.Http.UserController"),
            (14, 17, "App.Http.UserController.__construct"),
            (19, 23, "App.Http.UserController.show"),
            (25, 28, "App.Http.route"),
        ],
    ),
    (
        "bash",
        "bin/rotate.sh",
        BASH_SOURCE,
        [
            (1, 4, None),
            (6, 9, "log"),
            (11, 13, "rotate_logs"),
            (15, 16, None),
        ],
    ),
]

EXTRA_CASES = [
    (
        "kotlin",
        "Cart.kt",
        KOTLIN_SOURCE,
        [
            (1, 1, None),
            (3, 4, "Cart"),
            (6, 8, "Cart.add"),
            (10, 11, "Cart.total"),
            (13, 13, "emptyCart"),
        ],
    ),
    (
        "scala",
        "Prices.scala",
        SCALA_SOURCE,
        [
            (1, 1, None),
            (3, 4, "Prices"),
            (6, 7, "Prices.withTax"),
            (9, 11, "Prices.discount"),
            (13, 13, "main"),
        ],
    ),
    (
        "lua",
        "m.lua",
        LUA_SOURCE,
        [
            (1, 1, None),
            (3, 6, "M.add"),
            (8, 10, "M.scale"),
            (12, 14, "clamp"),
            (16, 16, None),
        ],
    ),
    (
        "swift",
        "Stack.swift",
        SWIFT_SOURCE,
        [
            (1, 1, None),
            (3, 4, "Stack"),
            (6, 8, "Stack.push"),
            (10, 13, "Stack.peek"),
            (15, 15, "makeStack"),
        ],
    ),
    (
        "haskell",
        "Geometry.hs",
        HASKELL_SOURCE,
        [
            (1, 3, None),
            (4, 5, "area"),
            (7, 9, "fact"),
            (11, 11, "Shape"),
        ],
    ),
    (
        "elixir",
        "cart.ex",
        ELIXIR_SOURCE,
        [
            (1, 2, "Shop.Cart"),
            (4, 7, "Shop.Cart.add"),
            (9, 10, "Shop.Cart.total"),
            (12, 13, "Shop.Cart.secret"),
        ],
    ),
    (
        "zig",
        "stack.zig",
        ZIG_SOURCE,
        [
            (1, 1, None),
            (3, 5, "Stack"),
            (7, 11, "Stack.push"),
            (13, 13, "helper"),
        ],
    ),
    (
        "ocaml",
        "stack.ml",
        OCAML_SOURCE,
        [
            (1, 1, None),
            (3, 4, "square"),
            (6, 13, "Stack"),
            (15, 15, None),
        ],
    ),
    (
        "julia",
        "Shapes.jl",
        JULIA_SOURCE,
        [
            (1, 1, "Shapes"),
            (3, 6, "Shapes.area"),
            (8, 11, "Shapes.Point"),
            (13, 15, "Shapes.norm"),
        ],
    ),
    (
        "objc",
        "Counter.m",
        OBJC_SOURCE,
        [
            (1, 1, None),
            (3, 3, "Counter"),
            (5, 7, "Counter.increment"),
            (9, 13, "Counter.addValue:times:"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("language", "rel_path", "source", "expected"),
    REQUIRED_CASES,
    ids=[case[0] for case in REQUIRED_CASES],
)
def test_definitions_of_each_required_language(language, rel_path, source, expected):
    chunks = chunk_code(
        source, language, rel_path, max_tokens=LINE_BUDGET, count_tokens=count_lines
    )

    assert spans(chunks) == expected
    assert_well_formed(
        chunks, source, rel_path, language, max_tokens=LINE_BUDGET, count_tokens=count_lines
    )


@pytest.mark.parametrize(
    ("language", "rel_path", "source", "expected"),
    EXTRA_CASES,
    ids=[case[0] for case in EXTRA_CASES],
)
def test_definitions_of_languages_with_extra_wheels(language, rel_path, source, expected):
    chunks = chunk_code(
        source, language, rel_path, max_tokens=LINE_BUDGET, count_tokens=count_lines
    )

    assert spans(chunks) == expected
    assert_well_formed(
        chunks, source, rel_path, language, max_tokens=LINE_BUDGET, count_tokens=count_lines
    )


def test_every_language_with_a_grammar_has_rules():
    assert supported_languages() == CODE_LANGUAGES


def test_a_class_that_fits_stays_one_chunk():
    chunks = chunk_code(PYTHON_SOURCE, "python", "p.py", max_tokens=40, count_tokens=count_lines)

    assert spans(chunks) == [
        (1, 5, None),
        (8, 28, "ArgumentParser"),
        (31, 33, "main"),
        (36, 37, None),
    ]


def test_a_large_class_keeps_docstring_and_fields_in_its_header():
    chunks = chunk_code(
        PYTHON_SOURCE, "python", "p.py", max_tokens=LINE_BUDGET, count_tokens=count_lines
    )

    header = next(c for c in chunks if c.symbol == "ArgumentParser")
    assert header.text == (
        'class ArgumentParser:\n    """Turns argv into a namespace."""\n\n    prefix_chars = "-"'
    )
    # The decorator and comment belong to their methods, not to the lines around them.
    assert next(c for c in chunks if c.symbol == "ArgumentParser.actions").text.startswith(
        "    @property\n    def actions(self):"
    )
    assert "# Fall back" in next(c for c in chunks if c.symbol == "ArgumentParser.parse_args").text


def test_leftovers_are_grouped_by_contiguous_run_and_never_dropped():
    source = (
        "import os\n"  # 1
        "import sys\n"
        "\n"
        "TIMEOUT = 30\n"  # 4
        "RETRIES = 3\n"
        "\n"
        "\n"
        "def fetch(url):\n"  # 8
        "    return os.fspath(url)\n"
        "\n"
        "\n"
        "CACHE = {}\n"  # 12
        "# A comment about nothing below, after a blank line.\n"
        "\n"
        "def store(key, value):\n"  # 15
        "    CACHE[key] = value\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"  # 19
        "    sys.exit(fetch(sys.argv[1]))\n"
    )

    chunks = chunk_code(source, "python", "net.py", max_tokens=200, count_tokens=count_lines)

    assert spans(chunks) == [
        (1, 5, None),
        (8, 9, "fetch"),
        (12, 13, None),
        (15, 16, "store"),
        (19, 20, None),
    ]


def test_comment_directly_above_belongs_to_the_definition_but_not_a_trailing_one():
    source = (
        "int a = 1; // about a\n"
        "int f(void) { return a; }\n"
        "\n"
        "/* Returns two. */\n"
        "int g(void) { return 2; }\n"
    )

    chunks = chunk_code(source, "c", "x.c", max_tokens=200, count_tokens=count_lines)

    assert spans(chunks) == [(1, 1, None), (2, 2, "f"), (4, 5, "g")]


def test_closing_lines_join_the_chunk_above():
    source = (
        "(function () {\n"
        "  function start() {\n"
        "    return 1;\n"
        "  }\n"
        "\n"
        "  function stop() {\n"
        "    return 0;\n"
        "  }\n"
        "})();\n"
    )

    chunks = chunk_code(source, "javascript", "iife.js", max_tokens=200, count_tokens=count_lines)

    assert spans(chunks) == [(1, 1, None), (2, 4, "start"), (6, 9, "stop")]


def test_consecutive_overloads_are_one_chunk():
    source = (
        "function pad(s: string): string;\n"
        "function pad(n: number): string;\n"
        "function pad(x: any): string {\n"
        "  return String(x).padStart(4);\n"
        "}\n"
    )

    chunks = chunk_code(source, "typescript", "pad.ts", max_tokens=200, count_tokens=count_lines)

    assert spans(chunks) == [(1, 5, "pad")]


def test_a_long_function_is_split_with_overlap_within_a_real_budget(minilm_count):
    body = "".join(
        f"    total += compute_weight(item_{i}, factor={i}) * scale  # step {i}\n"
        for i in range(120)
    )
    source = (
        f"import math\n\n\ndef accumulate(items, scale):\n    total = 0\n{body}    return total\n"
    )
    max_tokens = 96

    chunks = chunk_code(
        source, "python", "pkg/acc.py", max_tokens=max_tokens, count_tokens=minilm_count
    )

    parts = [c for c in chunks if c.symbol == "accumulate"]
    assert len(parts) > 5
    assert parts[0].start_line == 4
    assert parts[-1].end_line == 126
    for before, after in itertools.pairwise(parts):
        assert before.start_line < after.start_line <= before.end_line  # overlapping windows
    assert_well_formed(
        chunks, source, "pkg/acc.py", "python", max_tokens=max_tokens, count_tokens=minilm_count
    )


def test_a_minified_line_is_split_by_characters(minilm_count):
    functions = ";".join(
        f"function f{i}(a,b){{return a*{i}+b.map(function(x){{return x+{i}}}).length}}"
        for i in range(150)
    )
    source = f"'use strict';{functions};module.exports={{f0:f0}};\n"
    max_tokens = 128

    chunks = chunk_code(
        source, "javascript", "dist/app.min.js", max_tokens=max_tokens, count_tokens=minilm_count
    )

    assert len(chunks) > 10
    assert {(c.start_line, c.end_line) for c in chunks} == {(1, 1)}
    assert_well_formed(
        chunks,
        source,
        "dist/app.min.js",
        "javascript",
        max_tokens=max_tokens,
        count_tokens=minilm_count,
    )
    # The pieces overlap and together hold every character of the line, in order.
    line = source.rstrip("\n")
    reached = 0
    for chunk in chunks:
        offset = line.find(chunk.text, max(0, reached - len(chunk.text)))
        assert 0 <= offset <= reached
        reached = offset + len(chunk.text)
    assert reached == len(line)


def test_a_large_minified_bundle_goes_to_line_windows_without_parsing(minilm_count):
    bundle = ";".join(f"function f{i}(a,b){{return a*{i}+b}}" for i in range(2000)) + "\n"

    chunks = chunk_code(bundle, "javascript", "b.js", max_tokens=256, count_tokens=minilm_count)

    assert chunks == chunk_lines(
        bundle, "javascript", "b.js", max_tokens=256, count_tokens=minilm_count
    )
    assert {c.symbol for c in chunks} == {None}
    assert_well_formed(
        chunks, bundle, "b.js", "javascript", max_tokens=256, count_tokens=minilm_count
    )


def test_a_file_with_syntax_errors_still_yields_its_definitions():
    source = (
        "def good_one():\n"
        "    return 1\n"
        "\n"
        "def broken(:\n"
        "    return (\n"
        "\n"
        "class Survivor:\n"
        "    def method(self):\n"
        "        return 2\n"
    )

    chunks = chunk_code(source, "python", "bad.py", max_tokens=200, count_tokens=count_lines)

    assert (1, 2, "good_one") in spans(chunks)
    assert (7, 9, "Survivor") in spans(chunks)
    assert_well_formed(chunks, source, "bad.py", "python", max_tokens=200, count_tokens=count_lines)


def test_a_java_file_with_a_missing_brace_keeps_its_methods():
    source = (
        "class Broken {\n"
        "    void first() {\n"
        "        run();\n"
        "\n"
        "    void second() {\n"
        "        stop();\n"
        "    }\n"
        "}\n"
    )

    chunks = chunk_code(source, "java", "Broken.java", max_tokens=8, count_tokens=count_lines)

    assert_well_formed(
        chunks, source, "Broken.java", "java", max_tokens=8, count_tokens=count_lines
    )
    assert any(c.symbol and c.symbol.startswith("Broken") for c in chunks)


def test_a_real_module_within_budget_with_real_and_approximate_counters(minilm_count):
    source = Path(argparse.__file__).read_text(encoding="utf-8")
    for count_tokens, max_tokens in ((minilm_count, 256), (count_approx, 128)):
        chunks = chunk_code(
            source, "python", "argparse.py", max_tokens=max_tokens, count_tokens=count_tokens
        )

        assert_well_formed(
            chunks,
            source,
            "argparse.py",
            "python",
            max_tokens=max_tokens,
            count_tokens=count_tokens,
        )
        symbols = {c.symbol for c in chunks}
        assert {
            "ArgumentParser",
            "ArgumentParser.parse_args",
            "HelpFormatter._format_usage",
        } <= symbols


def test_token_counting_is_batched(minilm_count):
    source = Path(argparse.__file__).read_text(encoding="utf-8")
    calls: list[int] = []

    def counting(texts: list[str]) -> list[int]:
        calls.append(len(texts))
        return minilm_count(texts)

    chunks = chunk_code(source, "python", "argparse.py", max_tokens=256, count_tokens=counting)

    # One call per level of class nesting and per round of window verification, not per
    # chunk or line.
    assert len(calls) <= 10
    assert len(chunks) > 100


def test_windows_of_text_with_uneven_density_are_verified(minilm_count):
    # Prose then hex: the hex costs far more tokens per character, so the first estimate of
    # the windows is wrong for one half, and the verifying count has to cut them again.
    prose = "".join(
        f"    # This line explains step {i} of the routine in plain words.\n" for i in range(40)
    )
    blob = "".join(f"    KEY_{i} = '{(i * 7919) ** 9:x}{(i * 104729) ** 7:x}'\n" for i in range(40))
    source = f"def table():\n{prose}{blob}    return locals()\n"

    chunks = chunk_code(source, "python", "table.py", max_tokens=64, count_tokens=minilm_count)

    assert_well_formed(
        chunks, source, "table.py", "python", max_tokens=64, count_tokens=minilm_count
    )
    assert {c.symbol for c in chunks} == {"table"}


def test_crlf_line_endings_give_the_same_spans_without_carriage_returns():
    source = GO_SOURCE.replace("\n", "\r\n")

    chunks = chunk_code(source, "go", "server.go", max_tokens=LINE_BUDGET, count_tokens=count_lines)

    plain = chunk_code(
        GO_SOURCE, "go", "server.go", max_tokens=LINE_BUDGET, count_tokens=count_lines
    )
    assert spans(chunks) == spans(plain)
    assert all("\r" not in c.text for c in chunks)


def test_empty_or_blank_files_have_no_chunks():
    assert chunk_code("", "python", "e.py", max_tokens=50, count_tokens=count_lines) == []
    assert chunk_code("\n\n   \n", "rust", "e.rs", max_tokens=50, count_tokens=count_lines) == []


def test_languages_without_rules_fall_back_to_line_windows():
    source = '{\n  "name": "kenning",\n  "version": "0.1.0"\n}\n'

    chunks = chunk_code(source, "json", "package.json", max_tokens=50, count_tokens=count_lines)

    assert chunks == chunk_lines(
        source, "json", "package.json", max_tokens=50, count_tokens=count_lines
    )
    assert spans(chunks) == [(1, 4, None)]


def test_a_budget_too_small_for_the_header_is_a_clear_error():
    with pytest.raises(ValueError, match="max_tokens=4 leaves no room"):
        chunk_code(PYTHON_SOURCE, "python", "p.py", max_tokens=4, count_tokens=count_lines)


def test_chunking_from_several_threads_gives_the_same_chunks():
    expected = chunk_code(
        RUST_SOURCE, "rust", "p.rs", max_tokens=LINE_BUDGET, count_tokens=count_lines
    )
    results: list[list[Chunk]] = []

    def work() -> None:
        for _ in range(20):
            results.append(
                chunk_code(
                    RUST_SOURCE, "rust", "p.rs", max_tokens=LINE_BUDGET, count_tokens=count_lines
                )
            )

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 80
    assert all(result == expected for result in results)
