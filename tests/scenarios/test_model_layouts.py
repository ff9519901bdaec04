"""Model rules on the layouts real repositories have: several checkpoints, trainer state beside the weights,
pipelines with custom code, data files that share a suffix with weights, template cards, the maker's own
release, and files built to break the reader."""

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
)

LLAMA3_CARD = "---\nlicense: llama3\nbase_model: acme/base-small\nbase_model_relation: finetune\n---\n"
LLAMA3_LICENSE = "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n"


def rules_of(findings: list[dict[str, object]]) -> list[tuple[object, object]]:
    return sorted((finding["rule"], finding["path"]) for finding in findings)


def weights_bytes(tmp_path: Path, tensors: dict[str, np.ndarray]) -> bytes:
    target = tmp_path / f"w{len(list(tmp_path.glob('w*.safetensors')))}.safetensors"
    save_file(tensors, str(target))
    return target.read_bytes()


def hostile_pickle(marker: Path) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("archive/data.pkl", pickle_calling_os_system(f"touch {marker}"))
    return archive.getvalue()


def test_every_weights_file_is_read_and_trainer_state_is_not_taken_for_the_model(
    base_index: Path,
    make_repo: Callable[..., Path],
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned"
    derived = {f"backbone.{name}": value for name, value in base_tensors(seed=1).items()}
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# Ours\n",
            "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
            "config.json": json.dumps(CONFIG),
            "model.safetensors": weights_bytes(tmp_path, derived),
            # Hub repositories ship both formats; the smaller one is the hostile one here.
            "pytorch_model.bin": hostile_pickle(marker),
            # Trainer state is often the largest file beside the weights; it is not the model.
            "training_args.bin": hostile_pickle(marker) + b"\0" * 400_000,
        }
    )
    findings = findings_of(root, base_index)
    assert ("unreadable-input", "pytorch_model.bin") in rules_of(findings)
    assert ("unreadable-input", "training_args.bin") not in rules_of(findings)
    evidence = next(finding for finding in findings if finding["rule"] == "base-model")
    assert "weights derive from acme/base-small" in evidence["message"]
    assert not marker.exists()
    # Weight files are read whichever rules are chosen.
    selected = invoke_lintml(root, "check", "--no-catalog", "--select", "unreadable-input", "--format", "json")
    assert "pytorch_model.bin" in {item["path"] for item in json.loads(selected.stdout)["findings"]}


def test_tool_configs_data_arrays_and_json_bombs_are_not_model_findings(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "README.md": "# A training project\n",
            "app/config.json": '{\n  // a JSONC settings file\n  "port": 80\n}\n',
            "data/config.json": "[1, 2, 3]\n",
            "data/shakespeare/train.bin": np.arange(1000, dtype=np.uint16).tobytes(),
            "data/mnist/mnist.npz": b"PK\x03\x04not really",
            "deep/config.json": "[" * 100_000 + "]" * 100_000,
            "deep/model.safetensors": b"",
        }
    )
    result = invoke_lintml(root, "check", "--no-catalog", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    found = rules_of(json.loads(result.stdout)["findings"])
    assert found == [("model-card", "deep/model.safetensors"), ("unreadable-input", "deep/config.json")] or found == [
        ("model-card", "deep/model.safetensors"),
        ("unreadable-input", "deep/config.json"),
        ("unreadable-input", "deep/model.safetensors"),
    ], found


def test_names_templates_and_the_makers_own_release(
    base_index: Path,
    make_repo: Callable[..., Path],
) -> None:
    complete = {"LICENSE": LLAMA3_LICENSE, "NOTICE": LLAMA3_NOTICE + "\n", "USE_POLICY.md": "Acceptable Use Policy\n"}
    body = "\nBuilt with Meta Llama 3. Fine-tuned from acme/base-small.\n"
    hyphenated = make_repo({"README.md": LLAMA3_CARD + "# Llama-3-SuperChat-8B\n" + body, **complete}, name="a")
    template = make_repo({"README.md": LLAMA3_CARD + "# Model Card for Model ID\n" + body, **complete}, name="b")
    meta = make_repo(  # the maker's own card: its own license, no base, no relation
        {"README.md": "---\nlicense: llama3\n---\n# Meta-Llama-3-8B\n", "config.json": json.dumps(CONFIG), **complete},
        name="c",
    )
    for root in (hyphenated, template):
        (root / "config.json").write_text(json.dumps(CONFIG))
    for root in (hyphenated, template, meta):
        duties = [f for f in findings_of(root, base_index) if f["rule"] in ("model-license-duty", "model-attribution")]
        assert duties == [], (root.name, duties)


def test_an_agreement_named_in_prose_is_not_a_copy_and_a_reuse_copy_is(
    base_index: Path,
    make_repo: Callable[..., Path],
) -> None:
    card = LLAMA3_CARD + "# Llama 3 Chat\n\nReleased under the META LLAMA 3 COMMUNITY LICENSE AGREEMENT.\n"
    common = {"README.md": card, "config.json": json.dumps(CONFIG), "NOTICE": LLAMA3_NOTICE + "\n"}
    prose = make_repo(common, name="prose")
    reuse = make_repo({**common, "LICENSES/LicenseRef-llama3.txt": LLAMA3_LICENSE}, name="reuse")

    def copies(root: Path) -> list[dict[str, object]]:
        return [
            f
            for f in findings_of(root, base_index)
            if f["rule"] == "model-license-duty" and f["evidence"]["duty"] == "agreement-copy"
        ]

    assert len(copies(prose)) == 1
    assert copies(reuse) == []


def test_checkpoints_under_one_card_report_each_duty_once(
    base_index: Path,
    make_repo: Callable[..., Path],
    tmp_path: Path,
) -> None:
    weights = weights_bytes(tmp_path, base_tensors(seed=1))
    files: dict[str, str | bytes] = {"README.md": LLAMA3_CARD + "# Llama 3 Small\n", "config.json": json.dumps(CONFIG)}
    for step in (100, 200, 300):
        files[f"checkpoint-{step}/model.safetensors"] = weights
        files[f"checkpoint-{step}/config.json"] = json.dumps(CONFIG)
    findings = findings_of(make_repo(files), base_index)
    duties = sorted(f["evidence"]["duty"] for f in findings if f["rule"] == "model-license-duty")
    assert duties == ["acceptable-use", "agreement-copy", "notice-file"], duties


def test_custom_code_is_looked_for_beside_the_config_that_names_it(
    base_index: Path,
    make_repo: Callable[..., Path],
) -> None:
    text_encoder = {"model_type": "chatglm", "auto_map": {"AutoModel": "modeling_chatglm.ChatGLMModel"}}
    root = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# A pipeline\n",
            "model_index.json": "{}",
            "text_encoder/config.json": json.dumps(text_encoder),
            "text_encoder/modeling_chatglm.py": "class ChatGLMModel:\n    pass\n",
            "unet/config.json": json.dumps({"_class_name": "UNet2DConditionModel", "auto_map": {"x": "unet_x.Y"}}),
        }
    )
    residue = [f for f in findings_of(root, base_index) if f["rule"] == "model-code-residue"]
    assert [(f["path"], "unet_x.py" in f["message"] and "unet/" in f["message"]) for f in residue] == [
        ("unet/config.json", True)
    ]


def test_weights_outweigh_config_and_tokenizer_both_ways(
    base_index: Path,
    make_repo: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # Trained from scratch with the very same config: the weights say unrelated, so no base-model finding.
    independent = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\n---\n# Independent\n",
            "config.json": json.dumps(CONFIG),
            "model.safetensors": weights_bytes(tmp_path, base_tensors(seed=42)),
        },
        name="independent",
    )
    assert [f for f in findings_of(independent, base_index) if f["rule"] == "base-model"] == []
    # A copy whose card names a base lintml does not know is still traced by its weights.
    renamed = make_repo(
        {
            "README.md": "---\nlicense: apache-2.0\nbase_model: mylab/our-own-base\n---\n# Ours\n",
            "model.safetensors": weights_bytes(tmp_path, base_tensors(seed=1)),
        },
        name="renamed",
    )
    evidence = [f for f in findings_of(renamed, base_index) if f["rule"] == "base-model"]
    assert len(evidence) == 1 and "declares base_model mylab/our-own-base" in evidence[0]["message"]


def test_a_readme_with_front_matter_is_the_card_even_beside_model_card_md(
    base_index: Path,
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo(
        {
            "README.md": "---\nlicense: mit\nbase_model: acme/base-small\n---\n# Chat\n",
            "MODEL_CARD.md": "# Notes on the model\n",
            "config.json": json.dumps(CONFIG),
        }
    )
    assert ("model-license", "README.md") in rules_of(findings_of(root, base_index))


def test_add_model_reads_license_name_and_says_what_it_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "qwen-like"
    write_model(folder, base_tensors(seed=1), CONFIG, tokenizer_json())
    (folder / "README.md").write_text("---\nlicense: other\nlicense_name: qwen\n---\n# Q\n")
    save_file(base_tensors(seed=2), str(folder / "extra.safetensors"))
    whole = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(whole[: len(whole) // 3])  # truncated
    index = tmp_path / "i.sqlite3"
    added = invoke_lintml(tmp_path, "index", "add-model", "acme/q", str(folder), "--index", str(index))
    assert added.returncode == 0, added.stderr
    assert "(LicenseRef-qwen): config, tokenizer" in added.stdout
    assert "warning:" in added.stderr and "recorded without it" in added.stderr
    nothing = invoke_lintml(tmp_path, "compare-models", str(tmp_path / "qwen-like" / "README.md"), str(folder))
    assert nothing.returncode == 2 and "nothing to compare" in nothing.stderr


def test_a_model_at_the_top_is_not_rechecked_for_unrelated_files(
    base_index: Path,
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo(
        {
            "README.md": "---\nlicense: mit\nbase_model: acme/base-small\n---\n# Chat\n",
            "config.json": json.dumps(CONFIG),
            "train.py": "print('training')\n",
        }
    )
    only_code = invoke_lintml(root, "check", "--no-catalog", "--index", str(base_index), "train.py", "--format", "json")
    assert [f for f in json.loads(only_code.stdout)["findings"] if f["rule"].startswith("model")] == []
    card = invoke_lintml(root, "check", "--no-catalog", "--index", str(base_index), "README.md", "--format", "json")
    assert any(f["rule"] == "model-license" for f in json.loads(card.stdout)["findings"])
