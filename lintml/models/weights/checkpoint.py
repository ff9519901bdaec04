"""Entry point: the tensors of a weights file, a model folder, or a sharded checkpoint's index (each shard read
by the reader of its format)."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from lintml.containment import OutsideTree, Tree
from lintml.models.weights.base import OpenedFile, TensorInfo, WeightsError, json_object, located, shown
from lintml.models.weights.gguf import read_gguf
from lintml.models.weights.pytorch import read_torch_legacy, read_torch_zip
from lintml.models.weights.safetensors import read_safetensors

MAX_INDEX = 64 * 1024 * 1024  # bytes of a sharded checkpoint's index
_SHARD = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.safetensors$")


def read_tensors(path: Path, tree: Tree | None = None) -> list[TensorInfo]:
    """Every tensor of the checkpoint at ``path`` (a weights file, a model folder or a ``*.index.json``), by name.

    Every file is located through ``tree`` (by default the folder ``path`` names, or the folder of the
    file it names): a shard, an index or the file itself that leads out of it is refused.
    """
    path = Path(path)
    if tree is None:
        tree = Tree(path if path.is_dir() else path.parent)
    real = located(path, tree)
    if os.path.isdir(real):
        chosen = _pick_in_folder(path, tree)
        if isinstance(chosen, list):
            return _sorted(_read_shards(path, chosen, tree))
        path = chosen
    elif not os.path.isfile(real):
        raise WeightsError(path, "no such file or folder")
    if path.name.endswith(".index.json"):
        return _sorted(_read_index(path, tree))
    return _sorted(_read_file(path, tree))


def _sorted(infos: list[TensorInfo]) -> list[TensorInfo]:
    return sorted(infos, key=lambda info: info.name)


def _pick_in_folder(folder: Path, tree: Tree) -> Path | list[Path]:
    """The weights of a model folder: a sharded index, else ``model.safetensors``, else the one weights file.

    Chosen by name: a link among the files is located (and refused if it leads out) when it is read.
    """
    try:
        with os.scandir(located(folder, tree)) as listing:
            files = sorted(
                folder / entry.name for entry in listing if entry.is_symlink() or entry.is_file(follow_symlinks=False)
            )
    except OSError as error:
        raise WeightsError(folder, f"cannot list the folder ({error.strerror or error})") from None
    names = {item.name: item for item in files}
    for preferred in ("model.safetensors.index.json", "model.safetensors", "diffusion_pytorch_model.safetensors"):
        if preferred in names:
            return names[preferred]
    indexes = [item for item in files if item.name.endswith(".safetensors.index.json")]
    if len(indexes) == 1:
        return indexes[0]
    safetensors = [item for item in files if item.suffix == ".safetensors"]
    shards = [_SHARD.match(item.name) for item in safetensors]
    if len(safetensors) > 1 and len({shard["stem"] if shard else None for shard in shards}) == 1 and shards[0]:
        return safetensors  # model-00001-of-00003.safetensors … without an index
    if len(safetensors) == 1:
        return safetensors[0]
    if not safetensors:
        for preferred in ("pytorch_model.bin.index.json", "pytorch_model.bin", "model.pt", "model.pth"):
            if preferred in names:
                return names[preferred]
        others = [item for item in files if item.suffix in (".bin", ".pt", ".pth", ".ckpt", ".gguf")]
        if len(others) == 1:
            return others[0]
        safetensors = others
    if not safetensors:
        raise WeightsError(folder, "no weights file lintml reads (safetensors, PyTorch .bin/.pt/.pth, GGUF)")
    listed = ", ".join(item.name for item in safetensors[:5])
    raise WeightsError(folder, f"several weights files and no index to join them ({listed}); name one")


def _read_file(path: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(path, tree) as opened:
        head = opened.read(0, 264, exact=False)
    if path.suffix == ".safetensors":
        return read_safetensors(path, tree)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return read_torch_zip(path, tree)
    if head.startswith(b"GGUF"):
        return read_gguf(path, tree)
    if head[:1] == b"\x80":
        return read_torch_legacy(path, tree)
    if head[257:262] == b"ustar":
        raise WeightsError(path, "a tar archive (the torch.save format of torch < 0.4); lintml does not read it")
    if len(head) > 8 and head[8:9] == b"{":
        return read_safetensors(path, tree)
    raise WeightsError(path, "not a weights format lintml reads (safetensors, PyTorch zip or legacy pickle, GGUF)")


def _read_index(index: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(index, tree) as opened:
        if opened.size > MAX_INDEX:
            raise WeightsError(index, f"the index is {opened.size} bytes, over the {MAX_INDEX}-byte limit")
        raw = opened.read(0, opened.size)
    document = json_object(index, raw, "index", MAX_INDEX)
    weight_map = document.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise WeightsError(index, "the index has no weight_map object")
    by_shard: dict[str, list[str]] = {}
    for name, shard in weight_map.items():
        if not isinstance(shard, str):
            raise WeightsError(index, f"weight_map gives tensor {shown(name)} a shard that is not a file name")
        by_shard.setdefault(shard, []).append(name)
    folder = index.parent
    infos: list[TensorInfo] = []
    for shard, names in sorted(by_shard.items()):
        relative = PurePosixPath(shard)
        file = folder / relative
        if relative.is_absolute() or ".." in relative.parts or "\\" in shard or "\0" in shard or not shard:
            raise WeightsError(index, f"weight_map names shard {shown(shard)}, which is not a file beside the index")
        try:
            real = tree.inside(file)
        except OutsideTree as refused:
            raise WeightsError(index, f"weight_map names shard {shown(shard)}: {refused.escape.describe()}") from None
        except (OSError, ValueError):
            real = None
        if real is None or not real.is_file():
            raise WeightsError(index, f"weight_map names shard {shown(shard)}, which does not exist")
        present = {info.name: info for info in _read_file(file, tree)}
        for name in names:
            if name not in present:
                raise WeightsError(
                    file, f"the index {index.name} puts tensor {shown(name)} in this shard, which lacks it"
                )
            infos.append(present[name])
    return infos


def _read_shards(folder: Path, shards: list[Path], tree: Tree) -> list[TensorInfo]:
    totals = {int(match["total"]) for match in (_SHARD.match(item.name) for item in shards) if match}
    if totals != {len(shards)}:
        raise WeightsError(folder, f"shards {shards[0].name}… do not form a complete set and no index names them")
    infos: dict[str, TensorInfo] = {}
    for shard in shards:
        for info in read_safetensors(shard, tree):
            if info.name in infos:
                raise WeightsError(shard, f"tensor {shown(info.name)} is also in {infos[info.name].file.name}")
            infos[info.name] = info
    return list(infos.values())
