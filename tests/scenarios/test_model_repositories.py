"""Model repositories end to end: real git repositories holding real safetensors, configs and tokenizers.

A small "base" model is generated (random tensors, a BPE tokenizer, a Llama-style config), recorded
with `lintml index add-model`, and derivatives of it are checked with `lintml check`: a renamed,
noised copy passed off under another license, a correct fine-tune, an unrelated model of the same
architecture, config residue, and broken or hostile weights files.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from tests.helpers import (
    CONFIG,
    LLAMA3_NOTICE,
    base_tensors,
    findings_of,
    invoke_lintml,
    pickle_calling_os_system,
    tokenizer_json,
    write_model,
    write_tree,
)


def rules_at(findings: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(finding["rule"], finding["path"]) for finding in findings}


def test_a_renamed_noised_copy_passed_off_as_apache_is_caught(
    base_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    copied = {}
    for name, value in base_tensors(seed=1).items():
        noise = rng.normal(0, float(value.std()) or 0.0, value.shape).astype(np.float32)
        copied[name.replace("model.", "transformer.").replace("self_attn", "attention")] = value + noise
    config = dict(CONFIG, _name_or_path="ours/great-model", architectures=["GreatForCausalLM"], torch_dtype="bfloat16")
    staging = tmp_path / "staging"
    write_model(staging, copied, config, tokenizer_json(extra=["<|ours|>", "<|end|>"]))
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# Great Model\n\nTrained from scratch by us.\n",
            "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
            "model.safetensors": (staging / "model.safetensors").read_bytes(),
            "config.json": (staging / "config.json").read_text(),
            "tokenizer.json": (staging / "tokenizer.json").read_text(),
        }
    )
    findings = findings_of(root, base_index)
    by_rule = {finding["rule"]: finding for finding in findings}
    evidence = by_rule["base-model"]
    assert evidence["path"] == "README.md"
    assert "acme/base-small" in evidence["message"]
    assert "weights derive from acme/base-small" in evidence["message"]
    assert "the card declares no base model" in evidence["message"]
    # The config and tokenizer say the same, each in its own words.
    assert "its config is acme/base-small's once names and bookkeeping are left out" in evidence["message"]
    assert (
        "its tokenizer, compared with acme/base-small's, has the same vocabulary of 300 tokens" in evidence["message"]
    )
    # The weights make the base's license govern: apache-2.0 conflicts with it, and its duties are unmet.
    assert by_rule["model-license"]["severity"] == "error"
    assert "llama3" in by_rule["model-license"]["message"]
    duties = [finding["message"] for finding in findings if finding["rule"] == "model-license-duty"]
    assert any("Notice file" in message for message in duties), duties
    assert any('does not begin with "Llama 3"' in message for message in duties), duties


def test_a_correct_fine_tune_carries_everything(
    base_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    tuned = {
        name: value + rng.normal(0, 0.02 * (float(value.std()) or 1.0), value.shape).astype(np.float32)
        for name, value in base_tensors(seed=1).items()
    }
    staging = tmp_path / "staging"
    write_model(staging, tuned, CONFIG, tokenizer_json())
    root = make_repo(
        {
            "README.md": "---\nlicense: llama3\nbase_model: acme/base-small\nbase_model_relation: finetune\n---\n"
            "# Llama 3 Small Chat\n\nBuilt with Meta Llama 3. Fine-tuned from acme/base-small. Use is subject to"
            " the Acceptable Use Policy (USE_POLICY.md).\n",
            "LICENSE": "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n",
            "NOTICE": LLAMA3_NOTICE + "\n",
            "USE_POLICY.md": "# Meta Llama 3 Acceptable Use Policy\n",
            "model.safetensors": (staging / "model.safetensors").read_bytes(),
            "config.json": (staging / "config.json").read_text(),
            "tokenizer.json": (staging / "tokenizer.json").read_text(),
        }
    )
    findings = findings_of(root, base_index)
    model_rules = {
        "base-model",
        "base-model-unknown",
        "model-license",
        "model-license-duty",
        "model-attribution",
        "model-card",
        "model-code-residue",
        "unreadable-input",
    }
    assert [finding for finding in findings if finding["rule"] in model_rules] == []


def test_an_unrelated_model_of_the_same_architecture_is_not_called_derived(
    base_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    other_config = dict(CONFIG, vocab_size=300, rope_theta=10000.0)
    write_model(
        staging,
        base_tensors(seed=99),
        other_config,
        json.dumps({"model": {"type": "WordPiece", "vocab": {f"w{number}": number for number in range(300)}}}),
    )
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# Independent model\n",
            "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
            "model.safetensors": (staging / "model.safetensors").read_bytes(),
            "config.json": (staging / "config.json").read_text(),
            "tokenizer.json": (staging / "tokenizer.json").read_text(),
        }
    )
    findings = findings_of(root, base_index)
    assert not [finding for finding in findings if finding["rule"] in ("base-model", "model-license")], findings


def test_config_residue_and_a_card_less_checkpoint(base_index: Path, make_repo: Callable[..., Path]) -> None:
    config = dict(CONFIG, auto_map={"AutoModelForCausalLM": "modeling_minicpmv.MiniCPMV"})
    root = make_repo(
        {
            "README.md": "# A vision project\n",
            "checkpoints/config.json": json.dumps(config, indent=2),
            "checkpoints/model.safetensors": b"",
            "modeling_ours.py": "class Ours:\n    pass\n",
        }
    )
    findings = findings_of(root, base_index)
    found = rules_at(findings)
    assert ("model-code-residue", "checkpoints/config.json") in found
    residue = [finding for finding in findings if finding["rule"] == "model-code-residue"]
    minicpmv = next(finding for finding in residue if "modeling_minicpmv" in finding["message"])
    assert minicpmv["line"] == 18 and "module modeling_minicpmv.py" in minicpmv["message"]
    # With custom code in the config, `architectures` must name a class the repository defines too.
    assert any("class LlamaForCausalLM" in finding["message"] for finding in residue)
    assert ("model-card", "checkpoints/model.safetensors") in found


def test_broken_and_hostile_weights_are_findings_not_crashes(
    base_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    write_model(staging, base_tensors(seed=1), CONFIG, tokenizer_json())
    whole = (staging / "model.safetensors").read_bytes()
    marker = tmp_path / "pwned"
    hostile = io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_calling_os_system(f"touch {marker}"))
        archive.writestr("archive/version", "3\n")
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# Broken weights\n",
            "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
            "truncated/model.safetensors": whole[: len(whole) // 2],
            "truncated/config.json": json.dumps(CONFIG),
            "hostile/pytorch_model.bin": hostile.getvalue(),
            "hostile/config.json": json.dumps(CONFIG),
            "lying/model.safetensors": (2**62).to_bytes(8, "little") + b"{}",
            "broken/config.json": '{"model_type": "llama", "hidden_size": ',
            "broken/tokenizer.json": '{"model": {"type": "BPE", "vocab": [1, 2',
            "broken/tokenizer_config.json": "[not, json",
        }
    )
    findings = findings_of(root, base_index)
    unreadable = {finding["path"]: finding["message"] for finding in findings if finding["rule"] == "unreadable-input"}
    assert set(unreadable) >= {
        "truncated/model.safetensors",
        "hostile/pytorch_model.bin",
        "lying/model.safetensors",
        "broken/config.json",
        "broken/tokenizer.json",
    }
    assert "not valid JSON" in unreadable["broken/config.json"]
    assert "os" in unreadable["hostile/pytorch_model.bin"] and "system" in unreadable["hostile/pytorch_model.bin"]
    assert not marker.exists(), "a pickle in the scanned repository was executed"


def test_compare_models_prints_all_three_comparisons(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_model(first, base_tensors(seed=1), CONFIG, tokenizer_json(extra=["<|endoftext|>"]))
    renamed = {f"backbone.{name}": value for name, value in base_tensors(seed=1).items()}
    write_model(second, renamed, dict(CONFIG, _name_or_path="copy"), tokenizer_json(extra=["<|endoftext|>", "<|x|>"]))
    write_model(other, base_tensors(seed=5), CONFIG, tokenizer_json())
    same = invoke_lintml(tmp_path, "compare-models", str(first), str(second))
    assert same.returncode == 0, same.stderr
    assert "config" in same.stdout and "identical" in same.stdout
    assert "tokenizer" in same.stdout and "superset" in same.stdout
    assert "weights" in same.stdout and "derived" in same.stdout
    different = invoke_lintml(tmp_path, "compare-models", str(first), str(other), "--format", "json")
    assert different.returncode == 1, different.stderr
    report = json.loads(different.stdout)
    assert report["weights"]["verdict"] == "unrelated"
    assert report["config"]["relation"] == "identical"
    missing = invoke_lintml(tmp_path, "compare-models", str(first), str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_index_lists_and_removes_known_models(base_index: Path, tmp_path: Path) -> None:
    listed = invoke_lintml(tmp_path, "index", "list", "--index", str(base_index))
    assert "acme/base-small" in listed.stdout and "config, tokenizer, weights" in listed.stdout
    bad = invoke_lintml(tmp_path, "index", "add-model", "acme/x", str(tmp_path / "missing"), "--index", str(base_index))
    assert bad.returncode == 2 and "no such file or folder" in bad.stderr
    removed = invoke_lintml(tmp_path, "index", "remove", "acme/base-small", "--index", str(base_index))
    assert removed.returncode == 0, removed.stderr
    assert "acme/base-small" not in invoke_lintml(tmp_path, "index", "list", "--index", str(base_index)).stdout
    write_tree(tmp_path / "empty", {"README.md": "nothing\n"})
    empty = invoke_lintml(tmp_path, "index", "add-model", "acme/y", str(tmp_path / "empty"), "--index", str(base_index))
    assert empty.returncode == 2 and "nothing to record" in empty.stderr


FACENET = Path(__file__).resolve().parents[1] / "data" / "weights" / "facenet-pnet-zip.pt"


def test_real_weights_converted_renamed_and_noised_are_traced_to_their_pytorch_original(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """facenet's real P-Net weights, recorded from the PyTorch file (opcodes walked, never unpickled), are found
    again in a safetensors copy whose tensors were renamed and given noise of 1.5 times their own spread."""
    from lintml.models.weights import read_tensors, tensor_values

    index = tmp_path / "faces.sqlite3"
    recorded = invoke_lintml(
        tmp_path, "index", "add-model", "timesler/facenet-pnet", str(FACENET), "--license", "mit", "--index", str(index)
    )
    assert recorded.returncode == 0, recorded.stderr
    assert "weights" in recorded.stdout
    rng = np.random.default_rng(11)
    copied = {}
    for info in read_tensors(FACENET):
        values = tensor_values(info, np.arange(info.numel)).reshape(info.shape)
        noise = rng.normal(0, 1.5 * (float(values.std()) or 0.0), values.shape)
        copied["detector." + info.name.replace("conv", "layer")] = (values + noise).astype(np.float32)
    staging = tmp_path / "staging"
    staging.mkdir()
    save_file(copied, str(staging / "model.safetensors"))
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# FaceFinder\n\nOur own face detector.\n",
            "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
            "weights/model.safetensors": (staging / "model.safetensors").read_bytes(),
        }
    )
    findings = findings_of(root, index)
    evidence = next(finding for finding in findings if finding["rule"] == "base-model")
    assert "timesler/facenet-pnet" in evidence["message"] and "weights derive from" in evidence["message"]
    # MIT allows any license on a derivative, so no conflict; the MIT text must still travel with the weights.
    assert not [finding for finding in findings if finding["rule"] == "model-license"]
    duties = [finding["message"] for finding in findings if finding["rule"] == "model-license-duty"]
    assert any("MIT License" in message for message in duties), duties
