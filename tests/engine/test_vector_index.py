import json

import numpy as np
import pytest

from engine.vector_index import HEADER_NAME, INDEX_NAME, VectorIndex


def _unit(rng, n, dim):
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_query_returns_the_nearest_ids_with_cosine(rng):
    vecs = _unit(rng, 200, 32)
    index = VectorIndex(32)
    index.add(np.arange(1000, 1200), vecs)
    hits = index.query(vecs[17], 5)
    assert hits[0][0] == 1017
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)


def test_deleted_ids_are_never_returned(rng):
    vecs = _unit(rng, 50, 16)
    index = VectorIndex(16)
    index.add(np.arange(50), vecs)
    index.delete([3, 4])
    ids = {i for i, _ in index.query(vecs[3], 50)}
    assert 3 not in ids and 4 not in ids
    assert len(index) == 48


def test_grows_past_its_initial_capacity(rng):
    index = VectorIndex(8, capacity=10)
    vecs = _unit(rng, 3000, 8)
    index.add(np.arange(3000), vecs)
    assert len(index) == 3000
    assert index.query(vecs[2999], 1)[0][0] == 2999


def test_k_larger_than_the_index_or_the_filter(rng):
    vecs = _unit(rng, 10, 8)
    index = VectorIndex(8)
    index.add(np.arange(10), vecs)
    assert len(index.query(vecs[0], 100)) == 10
    hits = index.query(vecs[0], 5, allowed=lambda label: label in (2, 5))
    assert {i for i, _ in hits} <= {2, 5} and hits


def test_save_and_load_round_trip(tmp_path, rng):
    vecs = _unit(rng, 100, 16)
    index = VectorIndex(16)
    index.add(np.arange(100), vecs)
    index.save(tmp_path, model="m", generation=5)
    loaded = VectorIndex.load(tmp_path, model="m", dim=16, generation=5)
    assert loaded is not None and len(loaded) == 100
    assert loaded.query(vecs[42], 1)[0][0] == 42


def test_load_rejects_other_generation_model_or_dim(tmp_path, rng):
    index = VectorIndex(16)
    index.add(np.arange(5), _unit(rng, 5, 16))
    index.save(tmp_path, model="m", generation=5)
    assert VectorIndex.load(tmp_path, model="m", dim=16, generation=6) is None
    assert VectorIndex.load(tmp_path, model="other", dim=16, generation=5) is None
    assert (tmp_path / INDEX_NAME).exists()  # stale is not damaged: left in place


@pytest.mark.parametrize("damage", ["truncate", "flip", "header"])
def test_damaged_files_are_moved_aside_not_loaded(tmp_path, rng, damage):
    index = VectorIndex(16)
    index.add(np.arange(100), _unit(rng, 100, 16))
    index.save(tmp_path, model="m", generation=1)
    data_path = tmp_path / INDEX_NAME
    if damage == "truncate":
        data_path.write_bytes(data_path.read_bytes()[:1000])
    elif damage == "flip":
        raw = bytearray(data_path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data_path.write_bytes(bytes(raw))
    else:
        (tmp_path / HEADER_NAME).write_text("{not json")
    assert VectorIndex.load(tmp_path, model="m", dim=16, generation=1) is None
    assert not data_path.exists()
    assert list(tmp_path.glob(INDEX_NAME + ".damaged-*"))


def test_header_records_what_it_describes(tmp_path, rng):
    index = VectorIndex(16)
    index.add(np.arange(3), _unit(rng, 3, 16))
    index.save(tmp_path, model="m", generation=9)
    header = json.loads((tmp_path / HEADER_NAME).read_text())
    assert header["generation"] == 9 and header["count"] == 3 and len(header["sha256"]) == 64
    assert not index.dirty
