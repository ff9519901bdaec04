"""Normalised model configs, their architecture, comparison, and the code they reference."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lintml.models.config import (
    ARCHITECTURE_KEYS,
    CodeReference,
    ConfigComparison,
    architecture,
    code_references,
    compare_configs,
    missing_references,
    normalize_config,
)

# The shape of meta-llama/Llama-3.1-8B's config.json, as published.
LLAMA_31_8B: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 128000,
    "eos_token_id": 128001,
    "hidden_act": "silu",
    "hidden_size": 4096,
    "initializer_range": 0.02,
    "intermediate_size": 14336,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    },
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0",
    "use_cache": True,
    "vocab_size": 128256,
}

MINICPMV_CONFIG: dict[str, Any] = {
    "_name_or_path": "openbmb/MiniCPM-Llama3-V-2_5",
    "architectures": ["MiniCPMV"],
    "auto_map": {
        "AutoConfig": "configuration_minicpm.MiniCPMVConfig",
        "AutoModel": "modeling_minicpmv.MiniCPMV",
        "AutoModelForCausalLM": "modeling_minicpmv.MiniCPMV",
    },
    "hidden_size": 4096,
    "model_type": "minicpmv",
    "query_num": 96,
    "vision_config": {"hidden_size": 1152, "image_size": 980, "model_type": "siglip", "patch_size": 14},
}


def _copy_of(config: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(config)
    result.update(changes)
    return result


def test_bookkeeping_is_dropped_and_architecture_kept() -> None:
    config = _copy_of(
        LLAMA_31_8B,
        _name_or_path="/home/someone/checkpoints/llama",
        _commit_hash="0123abcd",
        auto_map={"AutoModel": "modeling_llama.LlamaModel"},
        output_hidden_states=False,
        _attn_implementation_autoset=True,
        quantization_config={"load_in_4bit": True, "quant_method": "bitsandbytes"},
        mm_vision_tower="./checkpoints/clip",
        peft_version="0.11",
        dtype="float16",
    )
    normalized = normalize_config(config)
    for dropped in (
        "architectures",
        "torch_dtype",
        "dtype",
        "transformers_version",
        "use_cache",
        "_name_or_path",
        "_commit_hash",
        "auto_map",
        "output_hidden_states",
        "_attn_implementation_autoset",
        "quantization_config",
        "mm_vision_tower",
        "peft_version",
    ):
        assert dropped not in normalized, dropped
    for kept in ("hidden_size", "num_key_value_heads", "rope_scaling", "rope_theta", "vocab_size", "bos_token_id"):
        assert kept in normalized, kept
    assert normalized["rope_theta"] == 500000 and isinstance(normalized["rope_theta"], int)
    assert normalize_config(config) == normalize_config(LLAMA_31_8B)


def test_normalisation_recurses_into_sub_configs() -> None:
    config = {
        "model_type": "llava",
        "text_config": {"_name_or_path": "lmsys/vicuna-7b-v1.5", "hidden_size": 4096, "torch_dtype": "float16"},
        "vision_config": {"hidden_size": 1024, "transformers_version": "4.36.0", "layer_norm_eps": 0.00001},
    }
    normalized = normalize_config(config)
    assert normalized == {
        "model_type": "llava",
        "text_config": {"hidden_size": 4096},
        "vision_config": {"hidden_size": 1024, "layer_norm_eps": 1e-05},
    }


def test_floats_are_canonical() -> None:
    written = json.loads('{"rms_norm_eps": 0.00001, "rope_theta": 500000, "initializer_range": 0.02}')
    other = json.loads('{"rms_norm_eps": 1e-05, "rope_theta": 500000.0, "initializer_range": 2e-2}')
    through_float32 = {
        "rms_norm_eps": 9.999999747378752e-06,
        "rope_theta": 500000.0,
        "initializer_range": 0.019999999552965164,
    }
    normalized = [normalize_config(config) for config in (written, other, through_float32)]
    assert normalized[0] == normalized[1] == normalized[2]
    assert json.dumps(normalized[0], sort_keys=True) == json.dumps(normalized[2], sort_keys=True)
    assert normalize_config({"x": float("nan"), "y": float("inf")}) == {"x": "NaN", "y": "Infinity"}


def test_placeholder_labels_are_dropped_and_real_labels_kept() -> None:
    placeholder = {
        "model_type": "bert",
        "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
        "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    }
    assert normalize_config(placeholder) == {"model_type": "bert"}
    real = {
        "model_type": "bert",
        "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
        "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    }
    assert normalize_config(real) == real


def test_generation_defaults_are_dropped_unless_changed() -> None:
    old_style = {
        "model_type": "gpt2",
        "n_layer": 12,
        "temperature": 1.0,
        "top_k": 50,
        "num_beams": 1,
        "pruned_heads": {},
    }
    assert normalize_config(old_style) == {"model_type": "gpt2", "n_layer": 12}
    tuned = {"model_type": "gpt2", "n_layer": 12, "num_beams": 4}
    assert normalize_config(tuned) == tuned


def test_normalisation_is_deterministic_idempotent_and_json() -> None:
    normalized = normalize_config(LLAMA_31_8B)
    reordered = dict(reversed(list(LLAMA_31_8B.items())))
    assert json.dumps(normalize_config(reordered)) == json.dumps(normalized)
    assert normalize_config(normalized) == normalized
    assert json.loads(json.dumps(normalized)) == normalized
    assert list(normalized) == sorted(normalized)


def test_architecture_is_the_shape_subset() -> None:
    shape = architecture(normalize_config(LLAMA_31_8B))
    assert set(shape) <= ARCHITECTURE_KEYS
    assert shape["num_key_value_heads"] == 8 and shape["rope_scaling"]["rope_type"] == "llama3"
    assert "initializer_range" not in shape and "bos_token_id" not in shape
    nested = architecture(normalize_config(MINICPMV_CONFIG))
    assert nested == {
        "hidden_size": 4096,
        "model_type": "minicpmv",
        "query_num": 96,
        "vision_config": {"hidden_size": 1152, "image_size": 980, "model_type": "siglip", "patch_size": 14},
    }


def test_identical_configs() -> None:
    renamed = _copy_of(LLAMA_31_8B, _name_or_path="someone/Llama3-Great", torch_dtype="float16")
    assert compare_configs(LLAMA_31_8B, renamed) == ConfigComparison("identical", (), 15)


def test_same_architecture_when_only_training_fields_differ() -> None:
    fine_tuned = _copy_of(LLAMA_31_8B, eos_token_id=[128001, 128009], initializer_range=0.01)
    comparison = compare_configs(LLAMA_31_8B, fine_tuned)
    assert comparison.relation == "same-architecture"
    assert comparison.differences == ("eos_token_id", "initializer_range")
    # a normalised config from a catalog compares the same way
    assert compare_configs(normalize_config(LLAMA_31_8B), fine_tuned) == comparison


def test_different_architecture_names_the_keys() -> None:
    wider = _copy_of(LLAMA_31_8B, num_key_value_heads=32)
    comparison = compare_configs(LLAMA_31_8B, wider)
    assert comparison.relation == "different" and comparison.differences == ("num_key_value_heads",)
    nested = copy.deepcopy(MINICPMV_CONFIG)
    nested["vision_config"]["patch_size"] = 16
    assert compare_configs(MINICPMV_CONFIG, nested).differences == ("vision_config.patch_size",)
    missing = {key: value for key, value in LLAMA_31_8B.items() if key != "rope_scaling"}
    assert compare_configs(LLAMA_31_8B, missing).differences == ("rope_scaling",)


def test_booleans_never_equal_numbers() -> None:
    assert compare_configs({"tie_word_embeddings": True}, {"tie_word_embeddings": 1}).relation == "different"


def test_a_config_without_architecture_is_not_same_architecture() -> None:
    assert compare_configs({"foo": 1}, {"foo": 2}).relation == "different"


def test_code_references_of_a_config() -> None:
    references = code_references(MINICPMV_CONFIG)
    assert references == [
        CodeReference(
            "AutoConfig", "configuration_minicpm", "MiniCPMVConfig", None, "configuration_minicpm.MiniCPMVConfig"
        ),
        CodeReference("AutoModel", "modeling_minicpmv", "MiniCPMV", None, "modeling_minicpmv.MiniCPMV"),
        CodeReference("AutoModelForCausalLM", "modeling_minicpmv", "MiniCPMV", None, "modeling_minicpmv.MiniCPMV"),
        CodeReference("architectures", None, "MiniCPMV", None, "MiniCPMV"),
    ]
    assert references[1].module_file == "modeling_minicpmv.py"


def test_code_references_of_a_tokenizer_config() -> None:
    tokenizer_config = {
        "auto_map": {
            "AutoTokenizer": ["tokenization_minicpmv.MiniCPMVTokenizer", None],
            "AutoProcessor": "openbmb/MiniCPM-V-2--processing_minicpmv.MiniCPMVProcessor",
            "Broken": "no_class_here",
            "AlsoBroken": 42,
        },
        "architectures": "not a list",
    }
    assert code_references(tokenizer_config) == [
        CodeReference(
            "AutoTokenizer",
            "tokenization_minicpmv",
            "MiniCPMVTokenizer",
            None,
            "tokenization_minicpmv.MiniCPMVTokenizer",
        ),
        CodeReference(
            "AutoProcessor",
            "processing_minicpmv",
            "MiniCPMVProcessor",
            "openbmb/MiniCPM-V-2",
            "openbmb/MiniCPM-V-2--processing_minicpmv.MiniCPMVProcessor",
        ),
    ]
    assert code_references({}) == []


def test_missing_references() -> None:
    references = code_references(MINICPMV_CONFIG)
    folder = {"config.json", "configuration_minicpm.py", "modeling_minicpmv.py"}
    assert missing_references(references, folder, {"MiniCPMVConfig", "MiniCPMV"}) == []
    # a copy that renamed the module but kept the config's reference to it
    renamed = {"config.json", "configuration_minicpm.py", "modeling_llama3v.py"}
    missing = missing_references(references, renamed, {"MiniCPMVConfig", "Llama3V"})
    assert [(reference.key, reference.text, reference.missing) for reference in missing] == [
        ("AutoModel", "modeling_minicpmv.MiniCPMV", "module modeling_minicpmv.py"),
        ("AutoModelForCausalLM", "modeling_minicpmv.MiniCPMV", "module modeling_minicpmv.py"),
        ("architectures", "MiniCPMV", "class MiniCPMV"),
    ]
    # the module is there, but not the class
    renamed_class = missing_references(references, folder, {"MiniCPMVConfig", "Llama3V"})
    assert [reference.missing for reference in renamed_class] == ["class MiniCPMV"] * 3


def test_missing_references_leave_library_and_hub_classes_alone() -> None:
    library = code_references({"architectures": ["LlamaForCausalLM"]})
    assert missing_references(library, set(), set()) == []
    hub = code_references({"auto_map": {"AutoModel": "org/repo--modeling_x.X"}, "architectures": ["X"]})
    assert missing_references(hub, set(), set()) == []
    nested = code_references({"auto_map": {"AutoModel": "models.modeling_x.X"}})
    assert nested[0].module_file == "models/modeling_x.py"
    assert missing_references(nested, {"./models/modeling_x.py"}, {"X"}) == []


@pytest.mark.parametrize(
    "hostile",
    [
        {"a": {"b": {"c": [1, 2, {"d": None}]}}},
        {"auto_map": None, "architectures": [None, 3, "Has Space", ""]},
        {"id2label": {"0": 5}, "label2id": []},
        {"text_config": "not a dict", "hidden_size": "4096"},
    ],
)
def test_odd_configs_do_not_crash(hostile: dict[str, Any]) -> None:
    normalized = normalize_config(hostile)
    json.dumps(normalized)
    architecture(normalized)
    compare_configs(hostile, hostile)
    assert all(isinstance(reference, CodeReference) for reference in code_references(hostile))


def test_deep_nesting_is_cut() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    json.dumps(normalize_config(deep))
