"""The known models: how the catalog's are read, what the shipped catalog holds, and where model folders are."""

from __future__ import annotations

import sys

import pytest

from lintml.licenses import shipped_knowledge
from lintml.models.config import compare_configs, normalize_config
from lintml.models.folder import model_folders
from lintml.provenance.catalog import CATALOG_PATH
from lintml.provenance.index import UpstreamIndex
from lintml.repository import MemorySource
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from catalog_models import feed_forward_size, llama_architectures, llama_config, load_description

SKU_LIST = """
VOCAB = 128256

def arch_args_small():
    return {"dim": 2048, "n_layers": 16, "n_heads": 32, "n_kv_heads": 8, "vocab_size": VOCAB,
            "ffn_dim_multiplier": 1.5, "multiple_of": 256, "norm_eps": 1e-05, "rope_theta": 500000.0}

def models():
    return [
        Model(huggingface_repo="acme/Small", arch_args=arch_args_small()),
        Model(huggingface_repo="acme/Big", arch_args={"dim": 8192, "n_layers": 80, "n_heads": 64,
              "n_kv_heads": 8, "vocab_size": VOCAB, "ffn_dim_multiplier": 1.3, "multiple_of": 4096,
              "norm_eps": 1e-05, "rope_theta": 500000.0}),
        Model(huggingface_repo="acme/Small-Int4", arch_args=arch_args_small(), quantization_format=None),
        Model(huggingface_repo=__import__("os").system("false"), arch_args={}),
    ]
"""


def test_llama_architectures_are_read_without_running_the_file() -> None:
    found = llama_architectures(SKU_LIST)
    assert set(found) == {"acme/Small", "acme/Big"}  # quantized variants and non-literals are skipped
    assert found["acme/Small"]["vocab_size"] == 128256  # the module constant, resolved
    # Meta's feed-forward rule gives the intermediate sizes of the published configs.
    assert feed_forward_size(2048, 1.5, 256) == 8192  # Llama 3.2 1B
    assert feed_forward_size(4096, 1.3, 1024) == 14336  # Llama 3 / 3.1 8B
    assert feed_forward_size(8192, 1.3, 4096) == 28672  # Llama 3 70B
    assert feed_forward_size(16384, 1.2, 4096) == 53248  # Llama 3.1 405B
    config = llama_config(found["acme/Big"], 131072)
    assert config["intermediate_size"] == 28672 and config["num_key_value_heads"] == 8


def test_every_catalog_license_is_known() -> None:
    knowledge = shipped_knowledge()
    terms = shipped_knowledge().model_terms
    for entry in load_description()["model"]:
        license_id = entry["license"]
        assert (
            license_id in terms.licenses
            or license_id in knowledge.licenses
            or license_id in set(knowledge.hub_ids.values())
        ), entry["name"]
    for family in load_description()["llama"]:
        for version in family["versions"]:
            assert version["license"] in terms.licenses
    for license_id in terms.licenses:
        assert knowledge.normalize_expression(license_id) == license_id, license_id


def test_the_shipped_catalog_knows_the_models_people_build_on() -> None:
    index = UpstreamIndex(CATALOG_PATH)
    try:
        models = {model.name: model for model in index.models}
    finally:
        index.close()
    llama = models["meta-llama/Llama-3-8B"]
    assert llama.answers_to("meta-llama/Meta-Llama-3-8B") and llama.license == "LicenseRef-llama3"
    assert llama.tokenizer is not None and llama.tokenizer["size"] == 128000
    published = {  # meta-llama/Meta-Llama-3-8B's config.json, architecture values
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 128256,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-05,
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "bos_token_id": 128000,
    }
    assert compare_configs(llama.config, normalize_config(published)).relation == "same-architecture"
    assert compare_configs(models["meta-llama/Llama-3.1-8B"].config, normalize_config(published)).relation == (
        "different"  # 3.1 reads 131,072 positions
    )
    minilm = models["sentence-transformers/all-MiniLM-L6-v2"]
    assert minilm.sketch is not None and minilm.config is not None and minilm.tokenizer is not None
    assert models["mistralai/Mistral-Nemo-Base-2407"].tokenizer["kind"] == "tekken"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a model at the top, its card beside it
        ({"README.md": "---\nlicense: mit\n---\n", "config.json": "{}", "model.safetensors": "x"}, {"": "README.md"}),
        # a checkpoint folder under a project whose top README has front matter
        (
            {"README.md": "---\nlicense: mit\n---\n", "ckpt/model.safetensors": "x", "ckpt/config.json": "{}"},
            {"ckpt": "README.md"},
        ),
        # a README without front matter is no card
        ({"ckpt/README.md": "# notes\n", "ckpt/model.safetensors": "x"}, {"ckpt": None}),
        # a diffusers pipeline: components belong to the folder with model_index.json
        (
            {
                "sd/model_index.json": "{}",
                "sd/README.md": "---\nlicense: openrail++\n---\n",
                "sd/unet/config.json": "{}",
                "sd/unet/diffusion_pytorch_model.safetensors": "x",
                "sd/vae/config.json": "{}",
                "sd/tokenizer/vocab.json": "{}",
            },
            {"sd": "sd/README.md"},
        ),
    ],
)
def test_model_folders_and_their_cards(files: dict[str, str], expected: dict[str, str | None]) -> None:
    found = model_folders(MemorySource(files).files())
    assert {folder.path: folder.card for folder in found} == expected
    pipeline = next((folder for folder in found if folder.path == "sd"), None)
    if pipeline is not None:
        assert pipeline.weights == ("sd/unet/diffusion_pytorch_model.safetensors",)
        assert set(pipeline.configs) == {"sd/unet/config.json", "sd/vae/config.json"}
        assert pipeline.tokenizer == ("sd/tokenizer/vocab.json",)
