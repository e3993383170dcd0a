from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import KenningError
from engine.model_config import read_model_config
from tests.model_fixtures import QWEN3_QUERY_PROMPT


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _st_folder(root: Path, modules: list[dict], pooling: dict | None = None) -> Path:
    _write(root / "config.json", {"model_type": "bert", "hidden_size": 32})
    _write(root / "modules.json", modules)
    if pooling is not None:
        _write(root / "1_Pooling" / "config.json", pooling)
    return root


def _module(idx: int, path: str, kind: str) -> dict:
    return {
        "idx": idx,
        "name": str(idx),
        "path": path,
        "type": f"sentence_transformers.models.{kind}",
    }


TRANSFORMER = _module(0, "", "Transformer")
POOLING = _module(1, "1_Pooling", "Pooling")
NORMALIZE = _module(2, "2_Normalize", "Normalize")


def test_bundled_minilm(minilm_path: Path):
    config = read_model_config(minilm_path)
    assert config.pooling == ("mean",)
    assert config.normalize is True
    assert config.max_seq_length == 256
    assert config.do_lower_case is False
    assert config.model_type == "bert"
    assert config.hidden_size == 384
    assert config.max_position_embeddings == 512
    assert config.prompts == {}
    assert config.query_prompt == "" and config.document_prompt == ""
    assert config.transformer_dir == minilm_path
    assert not config.is_qwen3


def test_tiny_qwen3_folder(tiny_qwen3_dir: Path):
    config = read_model_config(tiny_qwen3_dir)
    assert config.pooling == ("lasttoken",)
    assert config.normalize is True
    assert config.is_qwen3
    assert config.padding_side == "left"
    assert config.query_prompt == QWEN3_QUERY_PROMPT
    assert config.document_prompt == ""
    assert config.max_seq_length == 128
    assert config.hidden_size == 64


def test_plain_hf_folder_defaults_by_architecture(tmp_path: Path):
    _write(tmp_path / "qwen" / "config.json", {"model_type": "qwen3", "hidden_size": 1024})
    _write(tmp_path / "bert" / "config.json", {"model_type": "bert", "hidden_size": 384})
    qwen = read_model_config(tmp_path / "qwen")
    bert = read_model_config(tmp_path / "bert")
    assert qwen.pooling == ("lasttoken",) and qwen.is_qwen3
    assert bert.pooling == ("mean",) and not bert.is_qwen3
    assert qwen.prompts == {} and qwen.transformer_dir == tmp_path / "qwen"


def test_sentence_transformers_5_pooling_key(tmp_path: Path):
    folder = _st_folder(
        tmp_path, [TRANSFORMER, POOLING], {"embedding_dimension": 32, "pooling_mode": "cls"}
    )
    config = read_model_config(folder)
    assert config.pooling == ("cls",)
    assert config.normalize is False


def test_several_pooling_modes_and_include_prompt(tmp_path: Path):
    pooling = {
        "word_embedding_dimension": 32,
        "pooling_mode_cls_token": True,
        "pooling_mode_mean_tokens": True,
        "include_prompt": False,
    }
    config = read_model_config(_st_folder(tmp_path, [TRANSFORMER, POOLING, NORMALIZE], pooling))
    assert config.pooling == ("cls", "mean")
    assert config.include_prompt is False


def test_transformer_in_a_subfolder(tmp_path: Path):
    sub = {**TRANSFORMER, "path": "0_Transformer"}
    _write(tmp_path / "modules.json", [sub, POOLING])
    _write(tmp_path / "0_Transformer" / "config.json", {"model_type": "bert", "hidden_size": 8})
    _write(tmp_path / "0_Transformer" / "sentence_bert_config.json", {"max_seq_length": 77})
    _write(tmp_path / "1_Pooling" / "config.json", {"pooling_mode_max_tokens": True})
    config = read_model_config(tmp_path)
    assert config.transformer_dir == tmp_path / "0_Transformer"
    assert config.max_seq_length == 77
    assert config.pooling == ("max",)


def test_unsupported_module_is_a_clear_error(tmp_path: Path):
    dense = _module(2, "2_Dense", "Dense")
    folder = _st_folder(tmp_path, [TRANSFORMER, POOLING, dense], {"pooling_mode_mean_tokens": True})
    with pytest.raises(KenningError, match="Dense") as err:
        read_model_config(folder)
    assert "\n" not in str(err.value)


def test_unsupported_pooling_mode_is_a_clear_error(tmp_path: Path):
    folder = _st_folder(tmp_path, [TRANSFORMER, POOLING], {"pooling_mode": "weightedmean"})
    with pytest.raises(KenningError, match="weightedmean"):
        read_model_config(folder)


def test_not_a_model_folder(tmp_path: Path):
    with pytest.raises(KenningError, match=r"config\.json"):
        read_model_config(tmp_path)
    with pytest.raises(KenningError, match="not found"):
        read_model_config(tmp_path / "missing")


def test_broken_json_is_a_clear_error(tmp_path: Path, minilm_path: Path):
    folder = tmp_path / "m"
    shutil.copytree(minilm_path, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    (folder / "modules.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KenningError, match=r"modules\.json"):
        read_model_config(folder)
