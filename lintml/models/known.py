"""A known model: what an index records about a model people build on, to recognise its derivatives.

A record holds the model's Hub name (and other names it goes by), its license, where the facts
came from, and up to three fingerprints: the normalised config (``lintml.models.config``), the
tokenizer fingerprint (``lintml.models.tokenizer``) and the weight sketch
(``lintml.models.sketch``). Any of them may be missing: the shipped catalog knows many models
by their architecture only, and a few by their tokenizer or weights as well.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KnownModel:
    name: str  # the Hub id, e.g. "meta-llama/Llama-3.1-8B"
    license: str | None = None  # lintml's id: an SPDX id or LicenseRef-... (see rules/licenses/licenses.yaml)
    source: str | None = None  # where the facts came from: a pinned package, a folder, a cited URL
    aliases: tuple[str, ...] = ()  # other names for the same weights (e.g. the pre-rename Hub id)
    config: dict[str, Any] | None = None  # normalised config, or only its architecture keys
    tokenizer: dict[str, Any] | None = None  # TokenizerFingerprint.as_dict()
    sketch: bytes | None = None  # ModelSketch.to_bytes()
    added: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def answers_to(self, name: str) -> bool:
        """Whether a card's ``base_model`` value names this model (Hub ids compare case-insensitively)."""
        wanted = name.strip().strip("/").lower()
        return any(wanted == known.lower() for known in self.names())

    def row(self) -> tuple[object, ...]:
        return (
            self.name,
            self.license,
            self.source,
            json.dumps(list(self.aliases)),
            None if self.config is None else json.dumps(self.config, sort_keys=True),
            None if self.tokenizer is None else json.dumps(self.tokenizer, sort_keys=True),
            self.sketch,
            self.added,
        )

    def identity(self) -> list[object]:
        """What a cached check result depends on, for the index's identity."""
        sketch = None if self.sketch is None else f"{zlib.crc32(self.sketch):08x}"
        return [self.name, self.license, list(self.aliases), self.config, self.tokenizer, sketch]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> KnownModel:
        name, license_id, source, aliases, config, tokenizer, sketch, added = row
        return cls(
            name=str(name),
            license=None if license_id is None else str(license_id),
            source=None if source is None else str(source),
            aliases=tuple(json.loads(aliases)),
            config=None if config is None else json.loads(config),
            tokenizer=None if tokenizer is None else json.loads(tokenizer),
            sketch=None if sketch is None else bytes(sketch),
            added=str(added),
        )

    def what(self) -> str:
        """Which fingerprints the record has, for listings: "config, tokenizer, weights"."""
        held = [
            label
            for label, value in (("config", self.config), ("tokenizer", self.tokenizer), ("weights", self.sketch))
            if value is not None
        ]
        return ", ".join(held) or "name only"
