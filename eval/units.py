"""Named spans of the corpus files: functions, classes, methods and document sections.

Written independently of Kenning's chunkers (Python's ``ast``, tree-sitter straight from the
grammar wheel, a small heading scanner), because the same spans serve two purposes that must
not lean on the code under test: resolving a query's target symbol to lines, and the units
of the BM25 baseline ("whole functions").

Every span is 1-based and inclusive.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Unit:
    path: str  # corpus-relative, with forward slashes
    symbol: str  # dotted qualname, or the heading text of a document section
    start_line: int
    end_line: int
    kind: str  # "function" | "class" | "module" | "section"


def python_units(rel_path: str, source: str) -> list[Unit]:
    """Every class, function and method (decorators included), plus module-level runs."""
    tree = ast.parse(source)
    units: list[Unit] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{node.name}"
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                units.append(Unit(rel_path, name, start, node.end_lineno or start, kind))
                visit(node.body, f"{name}.")
            elif isinstance(node, ast.If | ast.Try | ast.With):
                # Definitions guarded by "if sys.platform ..." or "try: import ..." still
                # belong to the enclosing scope's name space.
                for sub in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, sub, [])
                    for child in children:
                        if isinstance(child, ast.ExceptHandler):
                            visit(child.body, prefix)
                    visit([c for c in children if isinstance(c, ast.stmt)], prefix)

    visit(tree.body, "")
    return units


def python_top_level_runs(rel_path: str, source: str) -> list[Unit]:
    """Contiguous runs of top-level statements that are not definitions (imports, constants)."""
    tree = ast.parse(source)
    runs: list[Unit] = []
    start: int | None = None
    end = 0
    for node in tree.body:
        is_def = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if is_def:
            if start is not None:
                runs.append(Unit(rel_path, "<module>", start, end, "module"))
                start = None
            continue
        if start is None:
            start = node.lineno
        end = node.end_lineno or node.lineno
    if start is not None:
        runs.append(Unit(rel_path, "<module>", start, end, "module"))
    return runs


_JS_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "class"}


def js_units(rel_path: str, source: str) -> list[Unit]:
    """Function declarations, classes, methods and ``const name = (...) =>`` definitions."""
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    parser = Parser(Language(tree_sitter_javascript.language()))
    data = source.encode("utf-8")
    root = parser.parse(data).root_node
    units: list[Unit] = []

    def text(node: object) -> str:
        return data[node.start_byte : node.end_byte].decode("utf-8")  # type: ignore[attr-defined]

    def add(name: str, node: object, kind: str) -> None:
        start = node.start_point[0] + 1  # type: ignore[attr-defined]
        end = node.end_point[0] + 1  # type: ignore[attr-defined]
        units.append(Unit(rel_path, name, start, end, kind))

    def visit(node: object, prefix: str) -> None:
        for child in node.children:  # type: ignore[attr-defined]
            kind = child.type
            if kind in ("function_declaration", "generator_function_declaration"):
                name = f"{prefix}{text(child.child_by_field_name('name'))}"
                add(name, child, "function")
                visit(child, f"{name}.")
            elif kind in ("class_declaration", "class"):
                name_node = child.child_by_field_name("name")
                name = f"{prefix}{text(name_node)}" if name_node else prefix.rstrip(".")
                add(name, child, "class")
                visit(child.child_by_field_name("body"), f"{name}.")
            elif kind == "method_definition":
                name = f"{prefix}{text(child.child_by_field_name('name'))}"
                add(name, child, "function")
                visit(child, f"{name}.")
            elif kind == "variable_declarator":
                value = child.child_by_field_name("value")
                if value is not None and value.type in _JS_FUNCTION_VALUES:
                    name = f"{prefix}{text(child.child_by_field_name('name'))}"
                    # The whole declaration statement, so "const x = async () => {...}" counts.
                    add(name, node, "function")
                    visit(value, f"{name}.")
                else:
                    visit(child, prefix)
            else:
                visit(child, prefix)

    visit(root, "")
    return units


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def markdown_units(rel_path: str, source: str) -> list[Unit]:
    """One unit per heading: from the heading line to the line before the next heading
    of the same or a higher level (fenced code blocks are not scanned for headings)."""
    lines = source.splitlines()
    headings: list[tuple[int, int, str]] = []  # (line, level, text)
    in_fence = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        match = None if in_fence else _MD_HEADING.match(line)
        if match:
            headings.append((number, len(match.group(1)), match.group(2).strip()))
    return _sections(rel_path, headings, len(lines))


def rst_units(rel_path: str, source: str) -> list[Unit]:
    """Headings are a text line underlined by punctuation; level = order of first use."""
    lines = source.splitlines()
    order: list[str] = []
    headings: list[tuple[int, int, str]] = []
    for index in range(1, len(lines)):
        match = _RST_UNDERLINE.match(lines[index])
        title = lines[index - 1].strip()
        if match and title and len(lines[index].rstrip()) >= len(title):
            char = match.group(1)
            if char not in order:
                order.append(char)
            headings.append((index, order.index(char) + 1, title))
    return _sections(rel_path, headings, len(lines))


def _sections(rel_path: str, headings: list[tuple[int, int, str]], n_lines: int) -> list[Unit]:
    units = []
    for i, (line, level, title) in enumerate(headings):
        end = n_lines
        for later_line, later_level, _ in headings[i + 1 :]:
            if later_level <= level:
                end = later_line - 1
                break
        units.append(Unit(rel_path, title, line, end, "section"))
    return units


def file_units(corpus_root: Path, rel_path: str) -> list[Unit]:
    """The named spans of one corpus file, chosen by its extension ([] for other kinds)."""
    source = (corpus_root / rel_path).read_text(encoding="utf-8")
    suffix = Path(rel_path).suffix
    if suffix == ".py":
        return python_units(rel_path, source)
    if suffix in (".js", ".mjs", ".cjs"):
        return js_units(rel_path, source)
    if suffix == ".md":
        return markdown_units(rel_path, source)
    if suffix == ".rst":
        return rst_units(rel_path, source)
    return []


def resolve(corpus_root: Path, rel_path: str, symbol: str) -> Unit:
    """The unit named ``symbol`` in ``rel_path``; raises ``LookupError`` when absent/ambiguous."""
    matches = [u for u in file_units(corpus_root, rel_path) if u.symbol == symbol]
    if len(matches) != 1:
        raise LookupError(f"{rel_path}: {len(matches)} units named {symbol!r}")
    return matches[0]
