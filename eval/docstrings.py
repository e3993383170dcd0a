"""Docstring summaries and line-preserving docstring removal, for the CodeSearchNet-style set.

CodeSearchNet pairs a function's docstring with its code and removes the docstring from the
code, so a search engine has to match a description against the implementation alone. Here
the removal keeps every line where it was (the docstring's lines become blank, or ``pass``
when the docstring was the whole body), so target line numbers hold in both copies.
"""

from __future__ import annotations

import ast
import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def _docstring_node(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first
    return None


def strip_docstrings(source: str) -> str:
    """``source`` without module, class and function docstrings; line count unchanged."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[ast.Expr, bool]] = []  # (docstring node, was the whole body)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = _docstring_node(node)
            if doc is not None:
                edits.append((doc, len(node.body) == 1 and not isinstance(node, ast.Module)))
    # Bottom-up, so earlier spans keep their coordinates while later ones are edited.
    for doc, alone in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        first, last = doc.lineno - 1, (doc.end_lineno or doc.lineno) - 1
        head = lines[first][: doc.col_offset]
        tail = lines[last][doc.end_col_offset or 0 :]
        filler = "pass" if alone else ""
        if head.strip():
            # "def f(): 'doc'" on one line: keep the statement separator valid.
            filler = "pass"
        replacement = [head + filler + tail] + ["\n"] * (last - first)
        if not (head + filler + tail).strip():
            replacement[0] = "\n"
        lines[first : last + 1] = replacement
    stripped = "".join(lines)
    ast.parse(stripped)  # a malformed result is a bug here, not a quiet eval error
    return stripped


def summary(docstring: str) -> str:
    """The first sentence of the first paragraph, on one line (CodeSearchNet's query)."""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    flat = " ".join(paragraph.split())
    return _SENTENCE_END.split(flat, maxsplit=1)[0].strip()


def documented_functions(source: str) -> list[tuple[str, int, int, str]]:
    """``(qualname, start_line, end_line, docstring)`` for every documented def."""
    tree = ast.parse(source)
    found: list[tuple[str, int, int, str]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{node.name}"
                doc = ast.get_docstring(node)
                if doc:
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    found.append((name, start, node.end_lineno or start, doc))
                visit(node.body, f"{name}.")

    visit(tree.body, "")
    return found
