"""Deterministic trees of small source files and documents, and random edits to them."""

from __future__ import annotations

import random
from pathlib import Path

_WORDS = tuple(
    " ".join(
        (
            "parse render upload retry cache token budget window socket buffer stream thread",
            "queue index vector store commit rollback journal folder watcher event storm branch",
            "switch config loader plugin widget layout shader kernel matrix tensor batch epoch",
            "gradient invoice ledger payment refund customer order cart shipping address postal",
        )
    ).split()
)


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def python_source(rng: random.Random, tag: str) -> str:
    parts = [f'"""Module {tag}: {_words(rng, 8)}."""\n\nimport os\n']
    for i in range(rng.randint(1, 8)):
        body = "\n".join(
            f"    value_{j} = {rng.randint(0, 999)}  # {_words(rng, 4)}"
            for j in range(rng.randint(1, 25))
        )
        parts.append(
            f'\n\ndef {tag}_{rng.choice(_WORDS)}_{i}(arg):\n    """{_words(rng, 10)}."""\n'
            f"{body}\n    return arg\n"
        )
    return "".join(parts)


def markdown_doc(rng: random.Random, tag: str) -> str:
    sections = [f"# {tag} {_words(rng, 3)}\n"]
    for i in range(rng.randint(1, 6)):
        paragraphs = "\n\n".join(_words(rng, rng.randint(8, 60)) for _ in range(rng.randint(1, 4)))
        sections.append(f"\n## Section {i} {_words(rng, 2)}\n\n{paragraphs}\n")
    return "".join(sections)


def text_note(rng: random.Random, tag: str) -> str:
    return "\n".join(f"{tag} {_words(rng, rng.randint(3, 15))}" for _ in range(rng.randint(1, 80)))


_MAKERS = ((".py", python_source), (".md", markdown_doc), (".txt", text_note))


def new_file(root: Path, rng: random.Random, serial: int) -> Path:
    suffix, make = rng.choice(_MAKERS)
    folder = root / f"pkg{rng.randint(0, 9)}" / f"sub{rng.randint(0, 3)}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"file{serial}{suffix}"
    path.write_text(make(rng, f"f{serial}"))
    return path


def write_corpus(root: Path, files: int, *, seed: int) -> list[Path]:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    return [new_file(root, rng, i) for i in range(files)]


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def mutate(root: Path, rng: random.Random, changes: int, *, serial_base: int) -> None:
    """Edit, add, delete and rename ``changes`` files (edits in place, like most editors)."""
    files = corpus_files(root)
    for n in range(changes):
        action = rng.random()
        if action < 0.55 and files:
            path = rng.choice(files)
            suffix = path.suffix
            make = dict(_MAKERS).get(suffix, text_note)
            path.write_text(make(rng, f"e{serial_base}_{n}"))
        elif action < 0.75 or not files:
            files.append(new_file(root, rng, serial_base * 1000 + n))
        elif action < 0.9:
            path = files.pop(rng.randrange(len(files)))
            path.unlink()
        else:
            path = files.pop(rng.randrange(len(files)))
            target = path.with_name(f"moved{serial_base}_{n}{path.suffix}")
            path.rename(target)
            files.append(target)
