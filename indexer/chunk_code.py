"""Source files into chunks along their definitions, using tree-sitter.

Each function, method and class becomes a chunk whose symbol is its path through the
enclosing classes, modules, namespaces and impl blocks (``ArgumentParser.parse_args``,
``Server.Start`` for a Go method, ``Foo.bar`` for a C++ ``Foo::bar`` or a Rust ``impl Foo``
method). Comments, attributes and decorators directly above a definition belong to it.

A class that fits the token budget stays one chunk. A larger one becomes its header (the
lines before its first member definition: signature, docstring, fields) plus a chunk per
member, recursively for nested classes. Lines outside any definition (imports, constants,
top-level statements) are grouped into one chunk per contiguous run, with the enclosing
class (or ``None`` at top level) as symbol, so every non-blank line of the file is in some
chunk. Anything still over the budget is split by ``chunk_lines.BudgetFitter``.

Chunking works on whole lines, so definitions sharing a line are chunked together; a
minified file (long lines on average) skips the parse and goes straight to line windows. A
file that does not parse cleanly is chunked from whatever tree-sitter recovered (it is
error-tolerant) rather than skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from engine.types import Chunk
from indexer.chunk_header import embed_text_for
from indexer.chunk_lines import BudgetFitter, CountTokens, Span, chunk_lines, split_lines
from indexer.languages import get_parser

logger = logging.getLogger(__name__)

NameOf = Callable[[Node], str | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    """How one node type is a definition: ``name`` returns ``None`` when this node is not."""

    container: bool
    name: NameOf


@dataclass(frozen=True, slots=True)
class _LanguageRules:
    definitions: Mapping[str, tuple[_Rule, ...]]
    # Nodes around a definition that belong to it (``export``, decorators, ``template<>``).
    wrappers: frozenset[str] = frozenset()
    # Extra siblings attached when directly above a definition, besides comments/attributes.
    leading: Callable[[Node], bool] | None = None
    # Statements that name a scope for the rest of their block (C# ``namespace X;``).
    scope_statements: Mapping[str, NameOf] = field(default_factory=dict)


_COMMENT_TYPES = frozenset(
    {"comment", "line_comment", "block_comment", "multiline_comment", "haddock", "attribute_item"}
)
# At most this many nodes outside definitions are walked in search of more definitions: the
# walk is Python-speed, and only generated files (data tables, bundles) come near it.
_MAX_DESCENT_NODES = 200_000
# Files whose lines average more characters than this are minified or data: they have no line
# structure for definitions to follow, and parsing them is slow, so they go to line windows.
_MINIFIED_LINE_LENGTH = 400
_MINIFIED_MIN_CHARS = 20_000
_MAX_NAME_CHARS = 200
# A run of lines outside definitions that only closes what came before (``}``, ``end``,
# ``});``) joins the chunk above it rather than becoming a chunk of its own.
_CLOSING_LINE = re.compile(
    r"^\s*(?:[()\[\]{}<>;,]+|end|fi|done|esac|@end|#\s*endif\b.*|end(?:if|while|for|foreach|function))"
    r"\s*[)\];,]*\s*(?://.*|/\*.*\*/|#.*|--.*)?$"
)
_MAX_CLOSING_LINES = 3


# -- names --------------------------------------------------------------------------------


def _text(node: Node | None) -> str | None:
    if node is None or node.text is None:
        return None
    return node.text.decode("utf-8", "replace")


def _clean(name: str | None) -> str | None:
    """A name as it appears in a symbol path: no generics, no ``::`` or ``\\``, one line."""
    if not name:
        return None
    name = " ".join(name.split())
    head, operator, tail = name.partition("operator")  # keep C++ ``operator<`` intact
    previous = None
    while previous != head:
        previous, head = head, re.sub(r"<[^<>]*>", "", head)
    name = (head + operator + tail).replace("::", ".").replace("\\", ".")
    name = name.strip(".*&: ")
    return name[:_MAX_NAME_CHARS] or None


def _by_field(field_name: str = "name") -> NameOf:
    return lambda node: _clean(_text(node.child_by_field_name(field_name)))


def _first_child(node: Node, *types: str) -> Node | None:
    for child in node.named_children:
        if child.type in types:
            return child
    return None


def _with_body(name_of: NameOf, body_field: str = "body") -> NameOf:
    """Only nodes with a body define something (``struct x;`` and ``mod x;`` do not)."""
    return lambda node: name_of(node) if node.child_by_field_name(body_field) else None


def _multi_line(name_of: NameOf) -> NameOf:
    """For members that are worth a chunk only when they span lines (C# properties)."""
    return lambda node: name_of(node) if node.end_point.row > node.start_point.row else None


def _c_declarator_name(node: Node) -> str | None:
    """The function name inside a C/C++ declarator (through pointers, references, parens)."""
    declarator = node.child_by_field_name("declarator")
    for _ in range(16):
        if declarator is None:
            return None
        if declarator.type in (
            "identifier",
            "field_identifier",
            "qualified_identifier",
            "destructor_name",
            "operator_name",
            "template_function",
            "type_identifier",
        ):
            return _clean(_text(declarator))
        inner = declarator.child_by_field_name("declarator")
        if inner is None and declarator.named_child_count:
            inner = declarator.named_children[0]
        declarator = inner
    return None


def _c_typedef_name(node: Node) -> str | None:
    """``typedef struct {...} name;`` is a definition; ``typedef int name;`` is not."""
    kind = node.child_by_field_name("type")
    if kind is None or kind.child_by_field_name("body") is None:
        return None
    return _clean(_text(node.child_by_field_name("declarator")))


def _go_method_name(node: Node) -> str | None:
    name = _text(node.child_by_field_name("name"))
    receiver = node.child_by_field_name("receiver")
    param = _first_child(receiver, "parameter_declaration") if receiver is not None else None
    receiver_type = _text(param.child_by_field_name("type")) if param is not None else None
    if receiver_type:
        receiver_type = re.sub(r"\[.*\]", "", receiver_type).lstrip("*")
        return _clean(f"{receiver_type}.{name}")
    return _clean(name)


def _go_type_name(node: Node) -> str | None:
    specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
    return _clean(_text(specs[0].child_by_field_name("name"))) if len(specs) == 1 else None


def _rust_impl_name(node: Node) -> str | None:
    return _clean(_text(node.child_by_field_name("type")))


_JS_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)


def _js_declarator_name(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    if value is None or value.type not in _JS_FUNCTION_VALUES:
        return None
    return _clean(_text(node.child_by_field_name("name")))


def _js_assignment_name(node: Node) -> str | None:
    value = node.child_by_field_name("right")
    if value is None or value.type not in _JS_FUNCTION_VALUES:
        return None
    target = _text(node.child_by_field_name("left"))
    return _clean(target.replace(".prototype.", ".")) if target else None


def _js_field_name(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    if value is None or value.type not in _JS_FUNCTION_VALUES:
        return None
    name = node.child_by_field_name("property") or node.child_by_field_name("name")
    return _clean(_text(name))


def _ts_module_name(node: Node) -> str | None:
    name = _text(node.child_by_field_name("name"))
    return _clean(name.strip("\"'")) if name else None


def _lua_function_name(node: Node) -> str | None:
    name = _text(node.child_by_field_name("name"))
    return _clean(name.replace(":", ".")) if name else None


def _lua_assignment_name(node: Node) -> str | None:
    values = _first_child(node, "expression_list")
    targets = _first_child(node, "variable_list")
    if values is None or targets is None or values.named_child_count != 1:
        return None
    if values.named_children[0].type != "function_definition":
        return None
    return _clean(_text(targets))


def _haskell_instance_name(node: Node) -> str | None:
    name = _text(node.child_by_field_name("name"))
    patterns = _text(node.child_by_field_name("patterns"))
    return _clean(f"{name} {patterns}" if name and patterns else name)


_ELIXIR_MODULES = frozenset({"defmodule", "defprotocol", "defimpl"})
_ELIXIR_FUNCTIONS = frozenset(
    {"def", "defp", "defmacro", "defmacrop", "defguard", "defguardp", "defdelegate", "defn"}
)


def _elixir_arguments(node: Node, macros: frozenset[str]) -> Node | None:
    if _text(node.child_by_field_name("target")) not in macros:
        return None
    arguments = _first_child(node, "arguments")
    return arguments.named_children[0] if arguments and arguments.named_child_count else None


def _elixir_module_name(node: Node) -> str | None:
    return _clean(_text(_elixir_arguments(node, _ELIXIR_MODULES)))


def _elixir_function_name(node: Node) -> str | None:
    head = _elixir_arguments(node, _ELIXIR_FUNCTIONS)
    if head is not None and head.type == "binary_operator":  # def f(x) when x > 0
        head = head.child_by_field_name("left")
    if head is not None and head.type == "call":
        head = head.child_by_field_name("target")
    return _clean(_text(head)) if head is not None and head.type == "identifier" else None


def _elixir_leading(node: Node) -> bool:
    text = _text(node) or ""
    return node.type == "unary_operator" and text.startswith(
        ("@doc", "@spec", "@impl", "@deprecated")
    )


def _zig_container_name(node: Node) -> str | None:
    kinds = ("struct_declaration", "enum_declaration", "union_declaration", "opaque_declaration")
    if _first_child(node, *kinds) is None:
        return None
    return _clean(_text(_first_child(node, "identifier")))


def _zig_test_name(node: Node) -> str | None:
    label = _first_child(node, "string", "identifier")
    return _clean(f"test {(_text(label) or '').strip(chr(34))}".strip())


def _ocaml_value_name(node: Node) -> str | None:
    binding = _first_child(node, "let_binding")
    pattern = binding.child_by_field_name("pattern") if binding is not None else None
    return _clean(_text(pattern)) if pattern is not None and pattern.type == "value_name" else None


def _ocaml_type_name(node: Node) -> str | None:
    binding = _first_child(node, "type_binding")
    return _clean(_text(binding.child_by_field_name("name"))) if binding is not None else None


def _ocaml_module_name(node: Node) -> str | None:
    binding = _first_child(node, "module_binding")
    return _clean(_text(_first_child(binding, "module_name"))) if binding is not None else None


def _julia_signature_name(node: Node) -> str | None:
    signature = _first_child(node, "signature")
    head = signature.named_children[0] if signature and signature.named_child_count else None
    while head is not None and head.type in (
        "call_expression",
        "where_expression",
        "typed_expression",
    ):
        head = head.named_children[0] if head.named_child_count else None
    return _clean(_text(head)) if head is not None else None


def _julia_type_name(node: Node) -> str | None:
    head = _first_child(node, "type_head")
    while head is not None and head.type != "identifier":
        head = head.named_children[0] if head.named_child_count else None
    return _clean(_text(head))


def _julia_short_function_name(node: Node) -> str | None:
    left = node.named_children[0] if node.named_child_count else None
    if left is None or left.type != "call_expression" or not left.named_child_count:
        return None
    return _clean(_text(left.named_children[0]))


def _objc_class_name(node: Node) -> str | None:
    return _clean(_text(_first_child(node, "identifier")))


def _objc_method_name(node: Node) -> str | None:
    parts = [_text(c) or "" for c in node.named_children if c.type == "identifier"]
    if not parts:
        return None
    has_parameters = _first_child(node, "method_parameter") is not None
    return "".join(f"{part}:" for part in parts) if has_parameters else parts[0]


# -- per-language rules -------------------------------------------------------------------


def _leaf(name_of: NameOf) -> tuple[_Rule, ...]:
    return (_Rule(False, name_of),)


def _container(name_of: NameOf) -> tuple[_Rule, ...]:
    return (_Rule(True, name_of),)


_NAME = _by_field()

_JS_DEFINITIONS: dict[str, tuple[_Rule, ...]] = {
    "function_declaration": _leaf(_NAME),
    "generator_function_declaration": _leaf(_NAME),
    "class_declaration": _container(_NAME),
    "class": _container(_NAME),
    "method_definition": _leaf(_NAME),
    "variable_declarator": _leaf(_js_declarator_name),
    "assignment_expression": _leaf(_js_assignment_name),
    "field_definition": _leaf(_js_field_name),
}
_JS_WRAPPERS = frozenset(
    {"export_statement", "lexical_declaration", "variable_declaration", "expression_statement"}
)
_TS_DEFINITIONS: dict[str, tuple[_Rule, ...]] = {
    **_JS_DEFINITIONS,
    "public_field_definition": _leaf(_js_field_name),
    "abstract_class_declaration": _container(_NAME),
    "interface_declaration": _leaf(_NAME),
    "type_alias_declaration": _leaf(_NAME),
    "enum_declaration": _leaf(_NAME),
    "internal_module": _container(_ts_module_name),
    "module": _container(_ts_module_name),
    "function_signature": _leaf(_NAME),
    "abstract_method_signature": _leaf(_NAME),
}
_C_DEFINITIONS: dict[str, tuple[_Rule, ...]] = {
    "function_definition": _leaf(_c_declarator_name),
    "struct_specifier": _leaf(_with_body(_NAME)),
    "union_specifier": _leaf(_with_body(_NAME)),
    "enum_specifier": _leaf(_with_body(_NAME)),
    "type_definition": _leaf(_c_typedef_name),
}
_OCAML = _LanguageRules(
    {
        "value_definition": _leaf(_ocaml_value_name),
        "type_definition": _leaf(_ocaml_type_name),
        "module_definition": _container(_ocaml_module_name),
        "module_type_definition": _leaf(_ocaml_module_name),
    }
)

_RULES: dict[str, _LanguageRules] = {
    "python": _LanguageRules(
        {"function_definition": _leaf(_NAME), "class_definition": _container(_NAME)},
        wrappers=frozenset({"decorated_definition"}),
    ),
    "javascript": _LanguageRules(_JS_DEFINITIONS, wrappers=_JS_WRAPPERS),
    "typescript": _LanguageRules(_TS_DEFINITIONS, wrappers=_JS_WRAPPERS | {"ambient_declaration"}),
    "tsx": _LanguageRules(_TS_DEFINITIONS, wrappers=_JS_WRAPPERS | {"ambient_declaration"}),
    "go": _LanguageRules(
        {
            "function_declaration": _leaf(_NAME),
            "method_declaration": _leaf(_go_method_name),
            "type_declaration": _leaf(_go_type_name),
        }
    ),
    "rust": _LanguageRules(
        {
            "function_item": _leaf(_NAME),
            "function_signature_item": _leaf(_NAME),
            "struct_item": _leaf(_NAME),
            "enum_item": _leaf(_NAME),
            "union_item": _leaf(_NAME),
            "type_item": _leaf(_NAME),
            "macro_definition": _leaf(_NAME),
            "trait_item": _container(_NAME),
            "impl_item": _container(_rust_impl_name),
            "mod_item": _container(_with_body(_NAME)),
        }
    ),
    "java": _LanguageRules(
        {
            "class_declaration": _container(_NAME),
            "interface_declaration": _container(_NAME),
            "enum_declaration": _container(_NAME),
            "record_declaration": _container(_NAME),
            "annotation_type_declaration": _container(_NAME),
            "method_declaration": _leaf(_NAME),
            "constructor_declaration": _leaf(_NAME),
            "compact_constructor_declaration": _leaf(_NAME),
        }
    ),
    "c": _LanguageRules(_C_DEFINITIONS),
    "cpp": _LanguageRules(
        {
            **_C_DEFINITIONS,
            "class_specifier": _container(_with_body(_NAME)),
            "struct_specifier": _container(_with_body(_NAME)),
            "union_specifier": _container(_with_body(_NAME)),
            "namespace_definition": _container(_NAME),
        },
        wrappers=frozenset({"template_declaration"}),
    ),
    "csharp": _LanguageRules(
        {
            "namespace_declaration": _container(_NAME),
            "class_declaration": _container(_NAME),
            "struct_declaration": _container(_NAME),
            "interface_declaration": _container(_NAME),
            "record_declaration": _container(_NAME),
            "record_struct_declaration": _container(_NAME),
            "enum_declaration": _leaf(_NAME),
            "delegate_declaration": _leaf(_NAME),
            "method_declaration": _leaf(_NAME),
            "constructor_declaration": _leaf(_NAME),
            "destructor_declaration": _leaf(
                lambda n: _clean(f"~{_text(n.child_by_field_name('name'))}")
            ),
            "operator_declaration": _leaf(
                lambda n: _clean(f"operator {_text(n.child_by_field_name('operator'))}")
            ),
            "property_declaration": _leaf(_multi_line(_NAME)),
            "indexer_declaration": _leaf(_multi_line(lambda n: "this[]")),
        },
        scope_statements={"file_scoped_namespace_declaration": _NAME},
    ),
    "ruby": _LanguageRules(
        {
            "class": _container(_NAME),
            "module": _container(_NAME),
            "method": _leaf(_NAME),
            "singleton_method": _leaf(_NAME),
        }
    ),
    "php": _LanguageRules(
        {
            "namespace_definition": _container(_with_body(_NAME)),
            "class_declaration": _container(_NAME),
            "interface_declaration": _container(_NAME),
            "trait_declaration": _container(_NAME),
            "enum_declaration": _container(_NAME),
            "function_definition": _leaf(_NAME),
            "method_declaration": _leaf(_NAME),
        },
        scope_statements={"namespace_definition": _NAME},
    ),
    "bash": _LanguageRules({"function_definition": _leaf(_NAME)}),
    "kotlin": _LanguageRules(
        {
            "class_declaration": _container(_NAME),
            "object_declaration": _container(_NAME),
            "function_declaration": _leaf(_NAME),
            "secondary_constructor": _leaf(lambda n: "constructor"),
        }
    ),
    "scala": _LanguageRules(
        {
            "class_definition": _container(_NAME),
            "object_definition": _container(_NAME),
            "trait_definition": _container(_NAME),
            "enum_definition": _container(_NAME),
            "function_definition": _leaf(_NAME),
            "function_declaration": _leaf(_NAME),
        }
    ),
    "lua": _LanguageRules(
        {
            "function_declaration": _leaf(_lua_function_name),
            "assignment_statement": _leaf(_lua_assignment_name),
        },
        wrappers=frozenset({"variable_declaration"}),
    ),
    "swift": _LanguageRules(
        {
            "class_declaration": _container(_NAME),
            "protocol_declaration": _container(_NAME),
            "function_declaration": _leaf(_NAME),
            "init_declaration": _leaf(lambda n: "init"),
            "deinit_declaration": _leaf(lambda n: "deinit"),
            "subscript_declaration": _leaf(lambda n: "subscript"),
        }
    ),
    "haskell": _LanguageRules(
        {
            "function": _leaf(_NAME),
            "bind": _leaf(_NAME),
            "signature": _leaf(_NAME),
            "data_type": _leaf(_NAME),
            "newtype": _leaf(_NAME),
            "type_synomym": _leaf(_NAME),
            "type_family": _leaf(_NAME),
            "class": _container(_NAME),
            "instance": _container(_haskell_instance_name),
        }
    ),
    "elixir": _LanguageRules(
        {"call": (_Rule(True, _elixir_module_name), _Rule(False, _elixir_function_name))},
        leading=_elixir_leading,
    ),
    "zig": _LanguageRules(
        {
            "function_declaration": _leaf(_NAME),
            "variable_declaration": _container(_zig_container_name),
            "test_declaration": _leaf(_zig_test_name),
        }
    ),
    "ocaml": _OCAML,
    "ocaml_interface": _OCAML,
    "julia": _LanguageRules(
        {
            "function_definition": _leaf(_julia_signature_name),
            "macro_definition": _leaf(_julia_signature_name),
            "struct_definition": _leaf(_julia_type_name),
            "abstract_definition": _leaf(_julia_type_name),
            "module_definition": _container(_NAME),
            "assignment": _leaf(_julia_short_function_name),
        },
        leading=lambda node: node.type == "string_literal",  # docstrings precede definitions
    ),
    "objc": _LanguageRules(
        {
            **_C_DEFINITIONS,
            "class_implementation": _container(_objc_class_name),
            "category_implementation": _container(_objc_class_name),
            "class_interface": _leaf(_objc_class_name),
            "protocol_declaration": _leaf(_objc_class_name),
            "method_definition": _leaf(_objc_method_name),
        }
    ),
}


def supported_languages() -> frozenset[str]:
    """Languages ``chunk_code`` chunks by definitions (the others go to line windows)."""
    return frozenset(_RULES)


# -- finding definitions ------------------------------------------------------------------


@dataclass(slots=True)
class _Definition:
    symbol: str | None
    start: int  # 0-based rows, inclusive; start includes attached comments and decorators
    end: int
    node: Node | None  # None once merged with a neighbour: then it is never expanded
    container: bool


@dataclass(slots=True)
class _Piece:
    """A run of rows planned as one chunk (before the budget is applied)."""

    start: int
    end: int
    symbol: str | None
    definition: _Definition | None = None


def _end_row(node: Node, source: bytes) -> int:
    """The last row holding text of ``node``.

    Some grammars end a node after the whitespace that follows it (Scala's indented blocks
    reach into the next definition's indentation); that whitespace is not part of it.
    """
    end = node.end_byte
    start = node.start_byte
    trailing = end
    while trailing > start and source[trailing - 1] in b" \t\n\r\f\v":
        trailing -= 1
    return node.end_point.row - source.count(b"\n", trailing, end)


def _join(scope: str | None, name: str) -> str:
    return f"{scope}.{name}" if scope else name


class _DefinitionFinder:
    def __init__(self, rules: _LanguageRules, source: bytes) -> None:
        self._rules = rules
        self._source = source

    def find(self, root: Node, scope: str | None) -> list[_Definition]:
        """Definitions below ``root`` that are not inside another definition, in file order.

        Walks with an explicit stack: deeply nested expressions would overflow recursion.
        """
        found: list[_Definition] = []
        definitions = self._rules.definitions
        wrappers = self._rules.wrappers
        scope_statements = self._rules.scope_statements
        covered_to = -1  # the last row of the last definition found
        visits_left = _MAX_DESCENT_NODES
        stack: list[tuple[Iterator[Node], str | None]] = [(iter(root.children), scope)]
        while stack:
            siblings, current_scope = stack[-1]
            node = next(siblings, None)
            if node is None:
                stack.pop()
                continue
            if not node.is_named:
                continue
            first_row, last_row = node.start_point.row, node.end_point.row
            if last_row <= covered_to:
                continue  # on rows a definition already holds: nothing more to find there
            if node.type in definitions:
                definition = self._definition(node, root, current_scope)
                if definition is not None:
                    found.append(definition)
                    covered_to = definition.end
                    continue
            if node.type in scope_statements:
                scope_name = scope_statements[node.type](node)
                if scope_name is not None:
                    stack[-1] = (siblings, _join(current_scope, scope_name))
                    continue
            # A one-line node can only hold one-line definitions, which are worth finding
            # only through wrappers (``export const f = () => 1;``); skipping the rest keeps
            # big one-line literals (data tables) cheap. The visit cap bounds generated files.
            if node.child_count and (last_row > first_row or node.type in wrappers):
                visits_left -= node.child_count
                if visits_left < 0:
                    logger.debug(
                        "Stopped looking for definitions after %d nodes", _MAX_DESCENT_NODES
                    )
                    break
                stack.append((iter(node.children), current_scope))
        return found

    def _definition(self, node: Node, root: Node, scope: str | None) -> _Definition | None:
        for rule in self._rules.definitions.get(node.type, ()):
            name = rule.name(node)
            if name:
                outer = self._outermost_wrapper(node, root)
                return _Definition(
                    symbol=_join(scope, name),
                    start=self._start_with_leading(outer),
                    end=_end_row(outer, self._source),
                    node=node,
                    container=rule.container,
                )
        return None

    def _outermost_wrapper(self, node: Node, root: Node) -> Node:
        while (
            node.parent is not None
            and node.parent != root
            and node.parent.type in self._rules.wrappers
        ):
            node = node.parent
        return node

    def _is_leading(self, node: Node) -> bool:
        if node.type in _COMMENT_TYPES:
            return True
        return self._rules.leading is not None and self._rules.leading(node)

    def _start_with_leading(self, node: Node) -> int:
        """The first row of ``node`` with the comments/attributes directly above it."""
        start = node.start_point.row
        previous = node.prev_named_sibling
        while previous is not None and self._is_leading(previous):
            if _end_row(previous, self._source) < start - 1:
                break  # a blank line between: it is not about this definition
            before = previous.prev_sibling
            if (
                before is not None
                and before.end_point.row == previous.start_point.row
                and not self._is_leading(before)
            ):
                break  # a comment trailing code on its line belongs to that code
            start = previous.start_point.row
            previous = previous.prev_named_sibling
        return start


# -- planning chunks ----------------------------------------------------------------------


def _is_closing_run(lines: Sequence[str], start: int, end: int) -> bool:
    content = [line for line in lines[start : end + 1] if line.strip()]
    return 0 < len(content) <= _MAX_CLOSING_LINES and all(
        _CLOSING_LINE.match(line) for line in content
    )


def _merge_neighbours(
    definitions: list[_Definition], lines: Sequence[str], scope: str | None
) -> list[_Definition]:
    """Merge definitions that share a row, and consecutive clauses of one name.

    Line-based chunks cannot separate definitions on one row. Consecutive same-named
    definitions separated only by blank lines are clauses or overloads of one thing (Haskell
    and Elixir equations, a TypeScript overload list, a Python property and its setter).
    """
    merged: list[_Definition] = []
    for definition in sorted(definitions, key=lambda d: (d.start, d.end)):
        if merged:
            last = merged[-1]
            shares_row = definition.start <= last.end
            same_name = (
                definition.symbol == last.symbol
                and not definition.container
                and not last.container
                and not any(line.strip() for line in lines[last.end + 1 : definition.start])
            )
            if shares_row or same_name:
                symbol = last.symbol if last.symbol == definition.symbol else scope
                merged[-1] = _Definition(
                    symbol, last.start, max(last.end, definition.end), None, False
                )
                continue
        merged.append(definition)
    return merged


def _plan(
    start: int,
    end: int,
    definitions: list[_Definition],
    scope: str | None,
    lines: Sequence[str],
) -> list[_Piece]:
    """Pieces covering rows ``start``..``end``: one per definition, one per run between."""
    pieces: list[_Piece] = []
    pending_closing: tuple[int, int] | None = None

    def add_run(first: int, last: int) -> None:
        nonlocal pending_closing
        while first <= last and not lines[first].strip():
            first += 1
        while last >= first and not lines[last].strip():
            last -= 1
        if first > last:
            return
        if _is_closing_run(lines, first, last):
            if pieces:
                pieces[-1].end = last
            else:
                pending_closing = (first, last)
            return
        pieces.append(_Piece(first, last, scope))

    cursor = start
    for definition in _merge_neighbours(definitions, lines, scope):
        add_run(cursor, definition.start - 1)
        piece = _Piece(definition.start, definition.end, definition.symbol, definition)
        if pending_closing is not None:
            piece.start, pending_closing = pending_closing[0], None
        pieces.append(piece)
        cursor = definition.end + 1
    add_run(cursor, end)
    if pending_closing is not None:
        pieces.append(_Piece(pending_closing[0], pending_closing[1], scope))
    return pieces


class _CodeChunker:
    def __init__(
        self,
        lines: Sequence[str],
        source: bytes,
        rules: _LanguageRules,
        fitter: BudgetFitter,
        *,
        rel_path: str,
        max_tokens: int,
        count_tokens: CountTokens,
    ) -> None:
        self._lines = lines
        self._finder = _DefinitionFinder(rules, source)
        self._fitter = fitter
        self._rel_path = rel_path
        self._max_tokens = max_tokens
        self._count_tokens = count_tokens

    def chunk(self, root: Node) -> list[Chunk]:
        pieces = _plan(0, len(self._lines) - 1, self._finder.find(root, None), None, self._lines)
        spans: list[Span] = []
        counts: list[int] = []
        # Count a whole level in one call; only oversized classes open up into the next level.
        while pieces:
            texts = [
                embed_text_for(
                    self._rel_path, p.symbol, self._fitter.body(Span(p.start, p.end, p.symbol))
                )
                for p in pieces
            ]
            opened: list[_Piece] = []
            for piece, tokens in zip(pieces, self._count_tokens(texts), strict=True):
                members = self._open(piece) if tokens > self._max_tokens else None
                if members:
                    opened.extend(members)
                else:
                    spans.append(Span(piece.start, piece.end, piece.symbol))
                    counts.append(tokens)
            pieces = opened
        return self._fitter.fit(spans, counts)

    def _open(self, piece: _Piece) -> list[_Piece] | None:
        """An oversized class as its header plus its members; ``None`` if it has none."""
        definition = piece.definition
        if definition is None or not definition.container or definition.node is None:
            return None
        members = self._finder.find(definition.node, definition.symbol)
        if not members:
            return None
        first = min(member.start for member in members)
        if first <= piece.start:
            return None  # a member on the header's own row: no header to split off
        header = _Piece(piece.start, first - 1, piece.symbol)
        return [header, *_plan(first, piece.end, members, piece.symbol, self._lines)]


def _looks_minified(text: str) -> bool:
    return (
        len(text) >= _MINIFIED_MIN_CHARS
        and len(text) / (text.count("\n") + 1) > _MINIFIED_LINE_LENGTH
    )


def chunk_code(
    text: str,
    language: str,
    rel_path: str,
    *,
    max_tokens: int,
    count_tokens: CountTokens,
) -> list[Chunk]:
    """Chunk a source file along its definitions; languages without rules fall back to lines.

    Chunks are in file order, ``kind="code"``, with 1-based inclusive line spans, and each
    ``count_tokens([chunk.embed_text])[0] <= max_tokens``.
    """
    rules = _RULES.get(language)
    parser = get_parser(language) if rules is not None else None
    if rules is None or parser is None or _looks_minified(text):
        return chunk_lines(
            text, language, rel_path, max_tokens=max_tokens, count_tokens=count_tokens
        )
    lines = split_lines(text)
    # Surrogates (from lenient decoding) cannot be encoded; replacing them keeps rows intact.
    source = text.encode("utf-8", "replace")
    tree = parser.parse(source)
    if tree.root_node.has_error:
        logger.debug("%s has syntax errors; chunking what tree-sitter recovered", rel_path)
    fitter = BudgetFitter(
        lines,
        rel_path=rel_path,
        language=language,
        kind="code",
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    chunker = _CodeChunker(
        lines,
        source,
        rules,
        fitter,
        rel_path=rel_path,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    return chunker.chunk(tree.root_node)
