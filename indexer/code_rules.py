"""Per-language tree-sitter rules for ``chunk_code``: which nodes are definitions, which are
containers (classes, modules, impl blocks), and how each is named.

Kept apart from the chunking algorithm so adding a language is a table entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tree_sitter import Node

_MAX_NAME_CHARS = 200

NameOf = Callable[[Node], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one node type is a definition: ``name`` returns ``None`` when this node is not."""

    container: bool
    name: NameOf


@dataclass(frozen=True, slots=True)
class LanguageRules:
    definitions: Mapping[str, tuple[Rule, ...]]
    # Nodes around a definition that belong to it (``export``, decorators, ``template<>``).
    wrappers: frozenset[str] = frozenset()
    # Extra siblings attached when directly above a definition, besides comments/attributes.
    leading: Callable[[Node], bool] | None = None
    # Statements that name a scope for the rest of their block (C# ``namespace X;``).
    scope_statements: Mapping[str, NameOf] = field(default_factory=dict)


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


def _leaf(name_of: NameOf) -> tuple[Rule, ...]:
    return (Rule(False, name_of),)


def _container(name_of: NameOf) -> tuple[Rule, ...]:
    return (Rule(True, name_of),)


_NAME = _by_field()

_JS_DEFINITIONS: dict[str, tuple[Rule, ...]] = {
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
_TS_DEFINITIONS: dict[str, tuple[Rule, ...]] = {
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
_C_DEFINITIONS: dict[str, tuple[Rule, ...]] = {
    "function_definition": _leaf(_c_declarator_name),
    "struct_specifier": _leaf(_with_body(_NAME)),
    "union_specifier": _leaf(_with_body(_NAME)),
    "enum_specifier": _leaf(_with_body(_NAME)),
    "type_definition": _leaf(_c_typedef_name),
}
_OCAML = LanguageRules(
    {
        "value_definition": _leaf(_ocaml_value_name),
        "type_definition": _leaf(_ocaml_type_name),
        "module_definition": _container(_ocaml_module_name),
        "module_type_definition": _leaf(_ocaml_module_name),
    }
)

RULES: dict[str, LanguageRules] = {
    "python": LanguageRules(
        {"function_definition": _leaf(_NAME), "class_definition": _container(_NAME)},
        wrappers=frozenset({"decorated_definition"}),
    ),
    "javascript": LanguageRules(_JS_DEFINITIONS, wrappers=_JS_WRAPPERS),
    "typescript": LanguageRules(_TS_DEFINITIONS, wrappers=_JS_WRAPPERS | {"ambient_declaration"}),
    "tsx": LanguageRules(_TS_DEFINITIONS, wrappers=_JS_WRAPPERS | {"ambient_declaration"}),
    "go": LanguageRules(
        {
            "function_declaration": _leaf(_NAME),
            "method_declaration": _leaf(_go_method_name),
            "type_declaration": _leaf(_go_type_name),
        }
    ),
    "rust": LanguageRules(
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
    "java": LanguageRules(
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
    "c": LanguageRules(_C_DEFINITIONS),
    "cpp": LanguageRules(
        {
            **_C_DEFINITIONS,
            "class_specifier": _container(_with_body(_NAME)),
            "struct_specifier": _container(_with_body(_NAME)),
            "union_specifier": _container(_with_body(_NAME)),
            "namespace_definition": _container(_NAME),
        },
        wrappers=frozenset({"template_declaration"}),
    ),
    "csharp": LanguageRules(
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
    "ruby": LanguageRules(
        {
            "class": _container(_NAME),
            "module": _container(_NAME),
            "method": _leaf(_NAME),
            "singleton_method": _leaf(_NAME),
        }
    ),
    "php": LanguageRules(
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
    "bash": LanguageRules({"function_definition": _leaf(_NAME)}),
    "kotlin": LanguageRules(
        {
            "class_declaration": _container(_NAME),
            "object_declaration": _container(_NAME),
            "function_declaration": _leaf(_NAME),
            "secondary_constructor": _leaf(lambda n: "constructor"),
        }
    ),
    "scala": LanguageRules(
        {
            "class_definition": _container(_NAME),
            "object_definition": _container(_NAME),
            "trait_definition": _container(_NAME),
            "enum_definition": _container(_NAME),
            "function_definition": _leaf(_NAME),
            "function_declaration": _leaf(_NAME),
        }
    ),
    "lua": LanguageRules(
        {
            "function_declaration": _leaf(_lua_function_name),
            "assignment_statement": _leaf(_lua_assignment_name),
        },
        wrappers=frozenset({"variable_declaration"}),
    ),
    "swift": LanguageRules(
        {
            "class_declaration": _container(_NAME),
            "protocol_declaration": _container(_NAME),
            "function_declaration": _leaf(_NAME),
            "init_declaration": _leaf(lambda n: "init"),
            "deinit_declaration": _leaf(lambda n: "deinit"),
            "subscript_declaration": _leaf(lambda n: "subscript"),
        }
    ),
    "haskell": LanguageRules(
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
    "elixir": LanguageRules(
        {"call": (Rule(True, _elixir_module_name), Rule(False, _elixir_function_name))},
        leading=_elixir_leading,
    ),
    "zig": LanguageRules(
        {
            "function_declaration": _leaf(_NAME),
            "variable_declaration": _container(_zig_container_name),
            "test_declaration": _leaf(_zig_test_name),
        }
    ),
    "ocaml": _OCAML,
    "ocaml_interface": _OCAML,
    "julia": LanguageRules(
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
    "objc": LanguageRules(
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
    return frozenset(RULES)
