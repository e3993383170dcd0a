from __future__ import annotations

import numpy as np
import pytest

from engine.token_batches import pad_batch, plan_batches


def test_every_index_appears_once_and_batches_fit_the_budget():
    lengths = [5, 300, 17, 17, 64, 1, 128, 9, 250, 33, 2, 80]
    batches = plan_batches(lengths, token_budget=512)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    for batch in batches:
        padded = max(lengths[i] for i in batch) * len(batch)
        assert padded <= 512


def test_batches_are_length_sorted_longest_first():
    lengths = [3, 90, 12, 45, 7, 60]
    batches = plan_batches(lengths, token_budget=100)
    order = [lengths[i] for batch in batches for i in batch]
    assert order == sorted(lengths, reverse=True)
    assert lengths[batches[0][0]] == 90


def test_short_inputs_share_a_batch_long_ones_do_not():
    # Not a fixed count: 40 short texts fit one batch, two long ones need one each.
    lengths = [10] * 40 + [400, 400]
    batches = plan_batches(lengths, token_budget=500)
    sizes = sorted(len(b) for b in batches)
    assert sizes == [1, 1, 40]


def test_an_input_longer_than_the_budget_gets_its_own_batch():
    batches = plan_batches([1000, 10, 10], token_budget=100)
    assert batches[0] == [0]
    assert sorted(batches[1]) == [1, 2]


def test_max_batch_size_caps_the_count():
    batches = plan_batches([1] * 10, token_budget=10_000, max_batch_size=4)
    assert [len(b) for b in batches] == [4, 4, 2]


def test_empty_input_gives_no_batches():
    assert plan_batches([], token_budget=10) == []


def test_a_budget_below_one_is_rejected():
    with pytest.raises(ValueError, match="token_budget"):
        plan_batches([1, 2], token_budget=0)


def test_pad_batch_right():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0, side="right")
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    assert ids.dtype == np.int64 and mask.dtype == np.int64


def test_pad_batch_left_keeps_the_last_token_at_the_end():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=9, side="left")
    assert ids.tolist() == [[5, 6, 7], [9, 9, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]


def test_pad_batch_rejects_an_unknown_side():
    with pytest.raises(ValueError, match="padding side"):
        pad_batch([[1]], pad_id=0, side="middle")
