"""No import cycle among the chunkers: each imports the shared types, never the dispatcher."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHUNKERS = [
    "chunk_docs",
    "chunk_pdf",
    "chunk_docx",
    "text_packing",
    "text_decoding",
    "chunk_lines",
    "chunk_code",
]


@pytest.mark.parametrize("name", CHUNKERS)
def test_a_chunker_does_not_import_the_dispatcher(name: str) -> None:
    probe = (
        f"import sys, indexer.{name}; "
        "sys.exit('indexer.chunking' in sys.modules and 'imports indexer.chunking')"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr or done.stdout
