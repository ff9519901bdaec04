"""Model folders: where a repository keeps a model, and the card, config, tokenizer and weights of each.

A folder holds a model when it has weights, a tokenizer, or a ``config.json``. Component folders
of a pipeline (``unet/``, ``vae/``, ``text_encoder/`` under a folder with ``model_index.json``)
belong to the pipeline. A model's card is the model card in its folder, else the nearest one
above it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from lintml import repository
from lintml.repository import RepoFile

# The Hub reads README.md; MODEL_CARD.md speaks for a folder only when it has no README with front matter.
CARD_NAMES = ("readme.md", "model_card.md")
# Weight suffixes that are model weights whatever the file is called. Others (`.bin`, `.h5`, `.npz` ...)
# hold data as often as models (nanoGPT's train.bin, mnist.npz), so their names must say "model".
MODEL_WEIGHT_SUFFIXES = frozenset(
    ".safetensors .gguf .ggml .ggmlv3 .ckpt .pt .pth .onnx .tflite .mlmodel .pdparams .nemo .engine .plan"
    " .keras".split()
)
_MODEL_WORDS = ("model", "adapter", "weights", "checkpoint", "ckpt", "lora")


def is_model_weights(path: str) -> bool:
    """Whether a file classified as weights is a model's (not a data array that shares a suffix with weights)."""
    name = PurePosixPath(path).name.lower()
    if PurePosixPath(name).suffix in MODEL_WEIGHT_SUFFIXES:
        return True
    return any(word in name for word in _MODEL_WORDS)


@dataclass(frozen=True)
class ModelFolder:
    path: str  # POSIX, relative to the root; "" for the root itself
    card: str | None  # the model card that speaks for it (in the folder or above), or None
    configs: tuple[str, ...]  # config.json of the model (and of its components)
    tokenizer: tuple[str, ...]  # tokenizer files of the model's own tokenizer folder
    weights: tuple[str, ...]  # weight files
    files: tuple[str, ...]  # every file under the folder, for residue checks

    def label(self) -> str:
        """How messages name the model: by its folder, or as the repository's own at the top."""
        return f"the model in {self.path}/" if self.path else "the repository's model"

    def relative(self, path: str) -> str:
        return path[len(self.path) + 1 :] if self.path else path

    @property
    def main_config(self) -> str | None:
        """The model's own ``config.json`` (not a component's), if it has one."""
        wanted = f"{self.path}/config.json" if self.path else "config.json"
        return wanted if wanted in self.configs else None


def parent_folder(path: str) -> str:
    """The folder a path is in, "" at the top: what PurePosixPath(path).parent gives, without building a path."""
    return path.rstrip("/").rpartition("/")[0]


_folder_of = parent_folder


def _ancestors(folder: str) -> Iterable[str]:
    current = folder
    while current:
        current = _folder_of(current)
        yield current


def folder_chain(folder: str) -> set[str]:
    """A folder and every folder above it, up to the top ("")."""
    return {folder, *_ancestors(folder)}


def model_folders(files: Iterable[RepoFile]) -> list[ModelFolder]:
    """Every model in the listing, sorted by folder."""
    by_folder: dict[str, list[RepoFile]] = defaultdict(list)
    for item in files:
        by_folder[_folder_of(item.path)].append(item)
    names = {folder: {item.name.lower() for item in items} for folder, items in by_folder.items()}

    def holds_model(folder: str) -> bool:
        kinds = {item.kind for item in by_folder[folder]}
        return (
            any(item.kind == repository.WEIGHTS and is_model_weights(item.path) for item in by_folder[folder])
            or repository.TOKENIZER in kinds
            or "config.json" in names[folder]
            or "model_index.json" in names[folder]
        )

    # Folders whose subfolders are parts of one model: diffusers pipelines, sentence-transformers modules.
    pipelines = {folder for folder, held in names.items() if {"model_index.json", "modules.json"} & held}
    owner_of: dict[str, str] = {}
    for folder in sorted(by_folder):
        if not holds_model(folder):
            continue
        pipeline = next((above for above in _ancestors(folder) if above in pipelines), None)
        owner_of[folder] = pipeline if pipeline is not None else folder
    cards = {
        folder: next(
            (item.path for name in CARD_NAMES for item in items if item.name.lower() == name),
            None,
        )
        for folder, items in by_folder.items()
    }
    members: dict[str, list[RepoFile]] = defaultdict(list)
    for folder, owner in owner_of.items():
        members[owner].extend(by_folder[folder])
    # Every path, sorted, so that the files under a folder are one slice (found by bisection, not by a
    # pass over the whole repository for each of thousands of model folders).
    every_path = sorted(item.path for items in by_folder.values() for item in items)
    found = []
    for owner in sorted(members):
        card = next(
            (
                cards[candidate]
                for candidate in (owner, *_ancestors(owner))
                if cards.get(candidate) and _is_card(by_folder, cards[candidate])
            ),
            None,
        )
        held = sorted(members[owner], key=lambda item: item.path)
        own_folder_files = [item for item in held if _folder_of(item.path) == owner]
        weights = [item.path for item in held if item.kind == repository.WEIGHTS and is_model_weights(item.path)]
        tokenizer_files = [item for item in own_folder_files if item.kind == repository.TOKENIZER] or [
            item for item in held if item.kind == repository.TOKENIZER
        ]
        # "0" follows "/": the paths that start with "owner/" are those from "owner/" up to "owner0".
        first = bisect.bisect_left(every_path, f"{owner}/") if owner else 0
        last = bisect.bisect_left(every_path, f"{owner}0") if owner else len(every_path)
        under = tuple(every_path[first:last])
        found.append(
            ModelFolder(
                path=owner,
                card=card,
                configs=tuple(item.path for item in held if item.name == "config.json"),
                tokenizer=tuple(item.path for item in tokenizer_files),
                weights=tuple(weights),
                files=under,
            )
        )
    return found


def _is_card(by_folder: dict[str, list[RepoFile]], path: str) -> bool:
    """A README counts as a card when it has front matter (it is then classified a model card) or is MODEL_CARD.md."""
    folder = _folder_of(path)
    return any(item.path == path and item.kind == repository.MODEL_CARD for item in by_folder[folder])
