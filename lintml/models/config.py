"""Model configs as evidence: a ``config.json`` normalised to its architecture, and the code it names.

A copied model keeps its upstream's config: the same layer counts, widths, heads, vocabulary
size and RoPE settings, under a new name. :func:`normalize_config` drops what a copy changes
without changing the model (names, paths, dtype, library versions, runtime switches,
generation defaults) so that two configs of the same model compare equal; :func:`architecture`
keeps only the numbers that fix the tensor shapes, so a config can be recognised as having
exactly the architecture of a known model even when its bookkeeping differs.

``quantization_config`` is dropped too: quantization changes how the weights are stored,
not the architecture, and a quantized copy of a model is still that model.

:func:`code_references` lists the code a config, tokenizer config or processor config points
at (``auto_map`` entries, ``architectures``), which in a copy often still names the
upstream's modules; :func:`missing_references` says which of them the folder does not hold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

# Keys that name, locate or describe how a config was saved, never what the model is.
DROPPED_KEYS = frozenset(
    {
        "_name_or_path",
        "name_or_path",
        "auto_map",
        "architectures",
        "torch_dtype",
        "dtype",
        "transformers_version",
        "_commit_hash",
        "model_name",
        "use_cache",
        "return_dict",
        "gradient_checkpointing",
        "quantization_config",
        "torchscript",
        "use_bfloat16",
        "tf_legacy_loss",
        "chunk_size_feed_forward",
        "_diffusers_version",
    }
)
_DROPPED_PREFIXES = ("output_", "_attn_implementation")
_DROPPED_SUFFIXES = ("_version", "_path", "_name_or_path", "_dir")
_LOCAL_PATH = re.compile(r"(?:/|~/|\./|\.\./|[A-Za-z]:[\\/])")

# PretrainedConfig attributes that every config of an older transformers wrote out at their
# default value (generation settings and the like); a key at its default says nothing.
_DEFAULTS: dict[str, Any] = {
    "add_cross_attention": False,
    "bad_words_ids": None,
    "begin_suppress_tokens": None,
    "cross_attention_hidden_size": None,
    "decoder_start_token_id": None,
    "diversity_penalty": 0.0,
    "do_sample": False,
    "early_stopping": False,
    "encoder_no_repeat_ngram_size": 0,
    "exponential_decay_length_penalty": None,
    "finetuning_task": None,
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "length_penalty": 1.0,
    "max_length": 20,
    "min_length": 0,
    "no_repeat_ngram_size": 0,
    "num_beam_groups": 1,
    "num_beams": 1,
    "num_return_sequences": 1,
    "prefix": None,
    "problem_type": None,
    "pruned_heads": {},
    "remove_invalid_values": False,
    "repetition_penalty": 1.0,
    "return_dict_in_generate": False,
    "sep_token_id": None,
    "suppress_tokens": None,
    "task_specific_params": None,
    "temperature": 1.0,
    "tie_encoder_decoder": False,
    "tokenizer_class": None,
    "top_k": 50,
    "top_p": 1.0,
    "typical_p": 1.0,
}
_DEFAULT_LABEL = re.compile(r"LABEL_(\d+)")

# The keys that fix the shapes of a model's tensors (and how they are used), across the
# naming schemes of transformers' model families.
ARCHITECTURE_KEYS = frozenset(
    {
        "model_type",
        # width
        "hidden_size", "d_model", "n_embd", "embed_dim", "dim", "width", "hidden_dim",
        "intermediate_size", "ffn_dim", "d_ff", "n_inner", "ffn_hidden_size", "mlp_dim", "mlp_ratio",
        "encoder_ffn_dim", "decoder_ffn_dim", "moe_intermediate_size", "shared_expert_intermediate_size",
        # depth
        "num_hidden_layers", "n_layer", "n_layers", "num_layers", "depth", "encoder_layers", "decoder_layers",
        "num_decoder_layers", "num_encoder_layers",
        # attention
        "num_attention_heads", "n_head", "n_heads", "num_heads", "encoder_attention_heads",
        "decoder_attention_heads", "num_key_value_heads", "n_kv_heads", "num_kv_heads", "multi_query",
        "head_dim", "d_kv", "kv_channels", "attention_bias", "qkv_bias", "mlp_bias", "kv_lora_rank",
        "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "sliding_window",
        "use_sliding_window", "max_window_layers", "attention_chunk_size", "layer_types",
        # vocabulary and positions
        "vocab_size", "type_vocab_size", "max_position_embeddings", "n_positions", "n_ctx", "max_seq_len",
        "seq_length", "position_embedding_type", "rope_theta", "rope_scaling", "rope_parameters",
        "partial_rotary_factor", "rotary_dim", "rotary_pct", "rotary_emb_base",
        # normalisation and activation
        "rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon", "norm_eps", "hidden_act",
        "activation_function", "hidden_activation", "tie_word_embeddings", "is_encoder_decoder",
        # mixture of experts
        "num_experts", "num_local_experts", "n_routed_experts", "n_shared_experts", "num_experts_per_tok",
        "first_k_dense_replace", "moe_layer_freq", "decoder_sparse_step",
        # vision and multimodal
        "image_size", "patch_size", "num_channels", "projection_dim", "query_num", "num_query_tokens",
        "mm_hidden_size", "mm_projector_type", "vision_feature_layer", "vision_feature_select_strategy",
        "projector_hidden_act", "spatial_merge_size", "temporal_patch_size", "num_mel_bins",
    }
)  # fmt: skip
# Nested sub-configs that carry an architecture of their own.
_NESTED_CONFIGS = frozenset({"encoder", "decoder", "vision_tower", "text_model", "vision_model"})

RELATIONS = ("identical", "same-architecture", "different")
DIFFERENCES_KEPT = 8


@dataclass(frozen=True)
class ConfigComparison:
    """How a candidate config relates to a known one.

    ``relation`` is one of :data:`RELATIONS`; ``differences`` the dotted keys that differ
    (at most :data:`DIFFERENCES_KEPT`, sorted): for ``same-architecture`` the bookkeeping
    and training keys, for ``different`` the architecture keys; ``compared`` how many
    architecture values of the known config were compared.
    """

    relation: str
    differences: tuple[str, ...]
    compared: int


@dataclass(frozen=True)
class CodeReference:
    """A class a config points at: ``auto_map`` entries and ``architectures``.

    ``key`` is the ``auto_map`` key (``AutoModelForCausalLM``, ``AutoTokenizer``) or
    ``architectures``; ``module`` the Python module (``modeling_minicpmv``), None for an
    ``architectures`` entry; ``class_name`` the class; ``repo`` the Hub repository a
    ``org/repo--module.Class`` reference names, None for code beside the config; ``text`` the
    value as written in the file (to find its line); ``missing`` what the folder lacks
    ("module modeling_minicpmv.py", "class MiniCPMV"), set only by :func:`missing_references`.
    """

    key: str
    module: str | None
    class_name: str
    repo: str | None
    text: str
    missing: str | None = None

    @property
    def module_file(self) -> str | None:
        """The module's file, relative to the model folder (``modeling_minicpmv.py``)."""
        return None if self.module is None else self.module.replace(".", "/") + ".py"


def _dropped(key: str, normalized: Any) -> bool:
    if key in DROPPED_KEYS or key.startswith(_DROPPED_PREFIXES) or key.endswith(_DROPPED_SUFFIXES):
        return True
    if key in _DEFAULTS and _canonical(normalized) == _canonical(_normalize_value(_DEFAULTS[key])):
        return True
    return isinstance(normalized, str) and _LOCAL_PATH.match(normalized) is not None


def _default_labels(value: Any) -> bool:
    """Whether id2label / label2id are transformers' placeholders (LABEL_0, LABEL_1, ...), not real labels."""
    if not isinstance(value, dict) or not value:
        return False
    for left, right in value.items():
        label, index = (right, left) if isinstance(right, str) else (left, right)
        match = _DEFAULT_LABEL.fullmatch(str(label))
        if match is None or match.group(1) != str(index):
            return False
    return True


def _normalize_float(value: float) -> float | int | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    # Seven significant digits: a value saved through float32 (9.999999747378752e-06) reads as
    # the value written (1e-05), and 1e-05 and 0.00001 are one number anyway.
    rounded = float(f"{value:.7g}")
    if rounded.is_integer() and abs(rounded) < 2**53:
        return int(rounded)
    return rounded


def _normalize_value(value: Any, depth: int = 0) -> Any:
    if depth > 32:
        return None  # deeper than any real config: not evidence
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return _normalize_float(value)
    if isinstance(value, dict):
        return _normalize_mapping(value, depth + 1)
    if isinstance(value, (list, tuple)):
        return [_normalize_value(item, depth + 1) for item in value]
    return str(value)


def _normalize_mapping(data: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    normalized: dict[str, Any] = {}
    drop_labels = _default_labels(data.get("id2label")) or _default_labels(data.get("label2id"))
    for key in sorted(data, key=str):
        name = str(key)
        if drop_labels and name in ("id2label", "label2id", "num_labels"):
            continue
        value = _normalize_value(data[key], depth)
        if not _dropped(name, value):
            normalized[name] = value
    return normalized


def normalize_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """A config without its names, paths and bookkeeping, recursively through sub-configs.

    Dropped: :data:`DROPPED_KEYS`, keys starting ``output_`` or ``_attn_implementation``,
    keys ending ``_version``, ``_path``, ``_dir``; string values that are local paths;
    PretrainedConfig generation and runtime settings at their defaults; ``id2label`` /
    ``label2id`` (and ``num_labels``) when they are the placeholder ``LABEL_n`` labels.
    Floats are rounded to seven significant digits and integral floats become integers.
    The result has sorted keys, is JSON-serialisable, and normalising it again changes nothing.
    """
    return _normalize_mapping(data, 0)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _is_sub_config(key: str, value: Any) -> bool:
    return isinstance(value, dict) and (key.endswith("_config") or key in _NESTED_CONFIGS)


def architecture(normalized: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`ARCHITECTURE_KEYS` of a normalised config, and those of its sub-configs (``text_config``, ...)."""
    chosen: dict[str, Any] = {}
    for key, value in normalized.items():
        if key in ARCHITECTURE_KEYS:
            chosen[key] = value
        elif _is_sub_config(key, value):
            nested = architecture(value)
            if nested:
                chosen[key] = nested
    return chosen


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every value, descending into sub-configs but not into other objects."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if _is_sub_config(key, value):
            yield from _leaves(value, path + ".")
        else:
            yield path, value


def _differences(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[str]:
    mine, theirs = dict(_leaves(left)), dict(_leaves(right))
    return sorted(key for key in mine.keys() | theirs.keys() if _value_of(mine, key) != _value_of(theirs, key))


def _value_of(values: Mapping[str, Any], key: str) -> str | None:
    return _canonical(values[key]) if key in values else None


def compare_configs(known: Mapping[str, Any], candidate: Mapping[str, Any]) -> ConfigComparison:
    """Whether ``candidate`` is the ``known`` config, has its architecture, or is another model.

    Both are normalised first (a normalised config may be passed as is). ``identical``: the
    normalised configs are equal; ``same-architecture``: every architecture value the known
    config states (there must be at least one) is equal in the candidate; ``different``:
    otherwise. Values compare by canonical JSON, so ``true`` never equals ``1``.
    """
    known_normal, candidate_normal = normalize_config(known), normalize_config(candidate)
    known_shape = dict(_leaves(architecture(known_normal)))
    if _canonical(known_normal) == _canonical(candidate_normal):
        return ConfigComparison("identical", (), len(known_shape))
    candidate_values = dict(_leaves(candidate_normal))
    mismatched = sorted(key for key in known_shape if _value_of(known_shape, key) != _value_of(candidate_values, key))
    if known_shape and not mismatched:
        differing = _differences(known_normal, candidate_normal)
        return ConfigComparison("same-architecture", tuple(differing[:DIFFERENCES_KEPT]), len(known_shape))
    return ConfigComparison("different", tuple(mismatched[:DIFFERENCES_KEPT]), len(known_shape))


# --- code references --------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_MODULE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _parse_reference(key: str, text: str) -> CodeReference | None:
    repo = None
    reference = text.strip()
    if "--" in reference:
        repo, _, reference = reference.partition("--")
        repo = repo.strip() or None
    module, dot, class_name = reference.rpartition(".")
    if not dot or not _MODULE.fullmatch(module) or not _IDENTIFIER.fullmatch(class_name):
        return None
    return CodeReference(key=key, module=module, class_name=class_name, repo=repo, text=text)


def _auto_map_values(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]  # [slow, fast], either may be null
    return []


def code_references(data: Mapping[str, Any]) -> list[CodeReference]:
    """The classes a config.json / tokenizer_config.json / (pre)processor_config.json points at.

    Every ``auto_map`` value (a ``"module.Class"`` string, a ``"org/repo--module.Class"``
    string naming another Hub repository, or a ``[slow, fast]`` list of them), then every
    ``architectures`` entry, each once, in file order. Values that are not references are skipped.
    """
    references: list[CodeReference] = []
    auto_map = data.get("auto_map")
    if isinstance(auto_map, dict):
        for key, value in auto_map.items():
            for text in _auto_map_values(value):
                reference = _parse_reference(str(key), text)
                if reference is not None:
                    references.append(reference)
    architectures = data.get("architectures")
    if isinstance(architectures, list):
        for name in architectures:
            if isinstance(name, str) and _IDENTIFIER.fullmatch(name.strip()):
                references.append(CodeReference("architectures", None, name.strip(), None, name))
    return list(dict.fromkeys(references))


def missing_references(
    references: Iterable[CodeReference], folder_files: set[str], defined_classes: set[str]
) -> list[CodeReference]:
    """The references the model folder does not satisfy, each with ``missing`` saying what is absent.

    ``folder_files`` are paths relative to the model folder; ``defined_classes`` the class
    names its Python files define. An ``auto_map`` reference to local code is missing when its
    module file is absent ("module modeling_x.py") or its class is not defined ("class X").
    An ``architectures`` entry is checked only when the same references include local
    ``auto_map`` code (a remote-code model, whose architecture class should be defined beside
    it); otherwise it names a class of the transformers library. References to another Hub
    repository (``repo``) are never missing here: they are not meant to be in the folder.
    """
    references = list(references)
    present = {path.replace("\\", "/").removeprefix("./") for path in folder_files}
    remote_code = any(reference.module is not None and reference.repo is None for reference in references)
    missing = []
    for reference in references:
        if reference.repo is not None:
            continue
        if reference.module_file is not None and reference.module_file not in present:
            missing.append(replace(reference, missing=f"module {reference.module_file}"))
        elif reference.class_name not in defined_classes and (reference.module is not None or remote_code):
            missing.append(replace(reference, missing=f"class {reference.class_name}"))
    return missing
